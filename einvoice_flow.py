# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The platform side of an issued invoice: its upload to the approved
platform (PA) over the Flow Service, the lifecycle statuses that come back,
and the "encaissée" status the seller reports for the payments of
services."""
import datetime as dt
import hashlib
import logging
from collections import defaultdict
from decimal import Decimal

from sql.conditionals import Coalesce

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access

from . import einvoice_cdar as cdar
from .einvoice_platform import PlatformRefused, PlatformUnavailable, client_of
from .exceptions import EinvoiceSendError
from .invoice import is_french_company

logger = logging.getLogger(__name__)

SENDING_STATES = [
    (None, ""),
    ('waiting', "Waiting to Send"),
    ('sent', "Sent"),
    ('refused', "Refused by the Platform"),
    ]
# The platform answers these without having kept the flow: sending the
# same again is harmless
ALREADY_SENT = {'AlreadyExistingFlow'}


def _now():
    return dt.datetime.now().replace(microsecond=0)


def _parse_datetime(value, exact=False):
    "The naive UTC date-time of an ISO value, to the second unless exact"
    if not value:
        return None
    try:
        value = dt.datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        return None
    if value.tzinfo:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value if exact else value.replace(microsecond=0)


def _retry_delay(attempts):
    "When a waiting invoice is tried again: doubling, at most a day"
    base = config.getfloat('sale_chain', 'platform_retry_minutes', default=5.)
    return dt.timedelta(minutes=min(base * 2 ** max(attempts - 1, 0), 1440))


class InvoiceEinvoiceStatus(ModelSQL, ModelView):
    "Invoice E-Invoice Status"
    __name__ = 'account.invoice.einvoice.status'
    __string__ = "Invoice E-Invoice Status"
    _rec_name = 'name'

    invoice = fields.Many2One(
        'account.invoice', "Invoice", required=True, ondelete='CASCADE',
        readonly=True)
    code = fields.Selection(
        cdar.STATUSES, "Code", required=True, readonly=True, sort=False)
    name = fields.Function(
        fields.Char("Status"), 'get_name', searcher='search_name')
    date = fields.DateTime("Date", readonly=True)
    reason_code = fields.Char("Reason Code", readonly=True)
    reason = fields.Char("Reason", readonly=True)
    direction = fields.Selection([
            ('in', "Received"),
            ('out', "Sent"),
            ], "Direction", readonly=True)
    flow_id = fields.Char("Flow", readonly=True,
        help="The platform's identifier of the lifecycle flow.")
    payment_line = fields.Many2One(
        'account.move.line', "Payment", readonly=True, ondelete='RESTRICT')
    amount = fields.Numeric("Amount", digits=(16, 2), readonly=True)
    message = fields.Text("Message", readonly=True,
        help="The CDAR lifecycle message as received or sent.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('invoice')
        t = cls.__table__()
        # Every status once: a flow polled twice, a payment reported twice
        cls._sql_constraints += [
            ('flow_unique', Unique(t, t.invoice, t.flow_id),
                'sale_chain.msg_einvoice_status_unique'),
            ('payment_unique', Unique(t, t.invoice, t.payment_line),
                'sale_chain.msg_einvoice_status_unique'),
            ]
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    def get_name(self, name):
        return dict(self.fields_get(['code'])['code']['selection']).get(
            self.code, self.code)

    @classmethod
    def search_name(cls, name, clause):
        "Search the statuses by their label or their code"
        _, operator, operand, *extra = clause
        labels = cls.fields_get(['code'])['code']['selection']
        if operator.endswith('like') and isinstance(operand, str):
            text = operand.strip('%').lower()
            codes = [c for c, l in labels
                if text in (l or '').lower() or text in c.lower()]
            if operator.startswith('not'):
                return [('code', 'not in', codes)]
            return [('code', 'in', codes)]
        return [('code', operator, operand, *extra)]

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        # The history of what the platform said: only the system writes it
        if external:
            raise EinvoiceSendError(gettext(
                    'sale_chain.msg_einvoice_status_readonly'))


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    # All written by the system only (workflow.py refuses them from outside)
    einvoice_sending = fields.Selection(
        SENDING_STATES, "Platform Sending", readonly=True,
        help="Where the upload of the electronic invoice to the platform "
        "stands.")
    einvoice_flow_id = fields.Char("Platform Flow", readonly=True,
        help="The identifier the platform gave the uploaded invoice.")
    einvoice_tracking_id = fields.Char("Tracking ID", readonly=True,
        help="The identifier the invoice is sent under, the same for every "
        "attempt.")
    einvoice_submitted_at = fields.DateTime("Submitted At", readonly=True)
    einvoice_send_attempts = fields.Integer("Send Attempts", readonly=True)
    einvoice_next_attempt = fields.DateTime("Next Attempt", readonly=True)
    einvoice_send_error = fields.Text("Sending Error", readonly=True)
    einvoice_status = fields.Selection(
        [(None, "")] + cdar.STATUSES, "Platform Status", readonly=True,
        sort=False,
        help="The latest lifecycle status of the invoice.")
    einvoice_status_date = fields.DateTime(
        "Platform Status Date", readonly=True)
    einvoice_statuses = fields.One2Many(
        'account.invoice.einvoice.status', 'invoice', "Lifecycle",
        readonly=True)
    einvoice_next_step = fields.Function(
        fields.Text("What to Do"), 'get_einvoice_next_step')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._check_modify_exclude |= {
            'einvoice_sending', 'einvoice_flow_id', 'einvoice_tracking_id',
            'einvoice_submitted_at', 'einvoice_send_attempts',
            'einvoice_next_attempt', 'einvoice_send_error',
            'einvoice_status', 'einvoice_status_date'}
        cls._buttons.update({
                'einvoice_send': {
                    'invisible': (~Eval('state').in_(['posted', 'paid'])
                        | ~Eval('einvoice_sending').in_(
                            ['waiting', 'refused'])),
                    'depends': ['state', 'einvoice_sending'],
                    },
                })

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'einvoice_sending', 'einvoice_flow_id',
                'einvoice_tracking_id', 'einvoice_submitted_at',
                'einvoice_send_attempts', 'einvoice_next_attempt',
                'einvoice_send_error', 'einvoice_status',
                'einvoice_status_date']:
            default.setdefault(name, None)
        default.setdefault('einvoice_statuses', None)
        return super().copy(invoices, default=default)

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree/field[@name="einvoice_status"]', 'visual', If(
                    Eval('einvoice_status').in_(list(cdar.DEAD_ENDS))
                    | (Eval('einvoice_sending') == 'refused'), 'danger',
                    If(Eval('einvoice_sending') == 'waiting', 'warning',
                        If(Eval('einvoice_status') == cdar.CASHED,
                            'success', '')))),
            ('//group[@id="einvoice_next_step"]', 'states', {
                    'invisible': ~Bool(Eval('einvoice_next_step')),
                    }),
            ]

    def get_einvoice_next_step(self, name):
        if self.einvoice_status in cdar.DEAD_ENDS:
            return gettext('sale_chain.msg_einvoice_next_step_dead_end',
                status=self.einvoice_status_label)
        if self.einvoice_sending == 'refused':
            return gettext('sale_chain.msg_einvoice_next_step_refused')

    @property
    def einvoice_status_label(self):
        return dict(self.fields_get(['einvoice_status'])[
                'einvoice_status']['selection']).get(self.einvoice_status, '')

    @property
    def einvoice_sendable(self):
        """Tell if the invoice goes to the platform: an issued e-invoice to
        a French business (B2B e-invoicing; B2C and abroad are
        e-reporting)"""
        if not (self.type == 'out' and is_french_company(self.company)
                and self.state in {'posted', 'paid'}
                and self.einvoice_validity == 'valid'):
            return False
        if not self.is_business:
            return False
        address = self.invoice_address
        country = address.country if address else None
        return not country or country.code == 'FR'

    @classmethod
    def _post(cls, invoices):
        super()._post(invoices)
        to_send = [i for i in invoices
            if i.einvoice_sendable and not i.einvoice_flow_id]
        if to_send:
            with without_check_access():
                cls.write(to_send, {'einvoice_sending': 'waiting'})
            # One task per invoice: one failure holds up no other
            for invoice in to_send:
                cls.__queue__.einvoice_upload([invoice])

    @classmethod
    @ModelView.button
    def einvoice_send(cls, invoices):
        "Send again by hand an invoice waiting or refused by the platform"
        for invoice in invoices:
            if invoice.einvoice_flow_id:
                raise EinvoiceSendError(gettext(
                        'sale_chain.msg_einvoice_already_sent',
                        invoice=invoice.rec_name,
                        flow=invoice.einvoice_flow_id))
            if not invoice.einvoice_sendable:
                raise EinvoiceSendError(gettext(
                        'sale_chain.msg_einvoice_not_sendable',
                        invoice=invoice.rec_name))
        with without_check_access():
            cls.write(invoices, {
                    'einvoice_sending': 'waiting',
                    'einvoice_next_attempt': None,
                    })
            cls.einvoice_upload(invoices)

    @classmethod
    def einvoice_upload(cls, invoices):
        "Upload each invoice not yet sent (the queued task)"
        with without_check_access():
            for invoice in cls.browse(invoices):
                invoice._einvoice_upload()

    def einvoice_tracking(self):
        "The identity of every upload of the invoice"
        # The same from one attempt to the next, and across a lost commit:
        # the platform refuses a second flow of one tracking id
        siren = self.einvoice_siren or ''
        return ('%s-%s' % (siren, self.number))[:64]

    @property
    def einvoice_siren(self):
        party = self.company.party
        if party.siren:
            return party.siren.code_compact or ''.join(
                party.siren.code.split())

    def einvoice_flow_file(self):
        "(content, file name, content type, syntax) of the upload"
        if not self.invoice_report_cache:
            # The report is frozen at posting by a task which may run after
            # this one
            self.print_invoice()
            self.invoice_report_cache = self.__class__(
                self.id).invoice_report_cache
        name = self.number.replace('/', '-')
        if (self.invoice_report_cache
                and self.invoice_report_format == 'pdf'):
            return (bytes(self.invoice_report_cache), 'factur-x-%s.pdf' % name,
                'application/pdf', 'Factur-X')
        return (self.einvoice_xml(), 'cii-%s.xml' % name, 'application/xml',
            'CII')

    def _einvoice_lock(self):
        """Lock the row and return its flow id and attempts as stored

        The update takes the row lock (SQLite: the database's write lock):
        a second transaction waits for the first, then fails to serialize
        and is retried, seeing the flow id"""
        table = self.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.einvoice_send_attempts],
                [Coalesce(table.einvoice_send_attempts, 0) + 1],
                where=table.id == self.id))
        cursor.execute(*table.select(
                table.einvoice_flow_id, table.einvoice_send_attempts,
                where=table.id == self.id))
        return cursor.fetchone()

    def _einvoice_upload(self):
        """Upload the invoice once; return 'sent', 'waiting', 'refused' or
        None when it is none to send"""
        if not self.einvoice_sendable or self.einvoice_flow_id:
            return None
        flow_id, attempts = self._einvoice_lock()
        if flow_id:
            return 'sent'
        client = client_of(self.company)
        if client is None:
            self._einvoice_wait(attempts, gettext(
                    'sale_chain.msg_einvoice_no_platform',
                    company=self.company.rec_name))
            return 'waiting'
        tracking = self.einvoice_tracking()
        content, filename, content_type, syntax = self.einvoice_flow_file()
        info = {
            'trackingId': tracking,
            'name': filename,
            'processingRule': 'B2B',
            'flowSyntax': syntax,
            'flowProfile': 'CIUS',
            'sha256': hashlib.sha256(content).hexdigest(),
            }
        try:
            found = None
            if attempts > 1:
                # An earlier attempt may have reached the platform
                found = self._einvoice_find(client, tracking)
            if not found:
                try:
                    found = client.upload(
                        content, info, filename, content_type)
                except PlatformRefused as exception:
                    if exception.code not in ALREADY_SENT:
                        raise
                    found = self._einvoice_find(client, tracking)
                    if not found:
                        raise
        except PlatformUnavailable as exception:
            self._einvoice_wait(attempts, gettext(
                    'sale_chain.msg_einvoice_unavailable',
                    error=str(exception)))
            return 'unavailable'
        except PlatformRefused as exception:
            self._einvoice_refused(exception)
            return 'refused'
        self.__class__.write([self], {
                'einvoice_sending': 'sent',
                'einvoice_flow_id': found['flowId'],
                'einvoice_tracking_id': tracking,
                'einvoice_submitted_at': (
                    _parse_datetime(found.get('submittedAt')) or _now()),
                'einvoice_send_attempts': attempts,
                'einvoice_next_attempt': None,
                'einvoice_send_error': None,
                })
        return 'sent'

    @staticmethod
    def _einvoice_find(client, tracking):
        results, _ = client.search({
                'trackingId': tracking,
                'flowDirection': ['Out'],
                'flowType': ['CustomerInvoice'],
                }, limit=1)
        return results[0] if results else None

    def _einvoice_wait(self, attempts, error):
        self.__class__.write([self], {
                'einvoice_sending': 'waiting',
                'einvoice_tracking_id': self.einvoice_tracking(),
                'einvoice_send_attempts': attempts,
                'einvoice_next_attempt': _now() + _retry_delay(attempts),
                'einvoice_send_error': error,
                })

    def _einvoice_refused(self, exception):
        error = gettext('sale_chain.msg_einvoice_refused',
            invoice=self.rec_name, status=exception.status,
            code=exception.code or '', message=exception.message or '')
        self.__class__.write([self], {
                'einvoice_sending': 'refused',
                'einvoice_tracking_id': self.einvoice_tracking(),
                'einvoice_next_attempt': None,
                'einvoice_send_error': error,
                })
        self._einvoice_notify(
            gettext('sale_chain.msg_einvoice_refused_label',
                invoice=self.rec_name), error, salespersons=False)

    def _einvoice_notify(self, label, description, salespersons=True):
        "Notify the accountants of the company, and the salespersons"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        Sale = pool.get('sale.sale')
        group = ModelData.get_id('account', 'group_account')
        users = set(User.search([
                    ('groups', '=', group),
                    ('companies', '=', self.company.id),
                    ]))
        if salespersons and self.sales:
            for sale_users in Sale.get_salesperson_users(
                    list(self.sales)).values():
                users.update(sale_users)
        for user in users:
            self.__class__.notify_user(
                [self], 'tryton-warning', label, description=description,
                user=user.id)

    @classmethod
    def einvoice_send_pending(cls):
        """Upload the invoices the queue missed or which wait for the
        platform, then report the payments not yet reported"""
        transaction = Transaction()
        now = _now()
        domain = [
            ('einvoice_sending', '=', 'waiting'),
            ['OR',
                ('einvoice_next_attempt', '=', None),
                ('einvoice_next_attempt', '<=', now),
                ],
            ]
        company = transaction.context.get('company')
        if company:
            domain.append(('company', '=', company))
        with without_check_access():
            ids = [i.id for i in cls.search(domain, order=[('id', 'ASC')])]
            for invoice_id in ids:
                invoice = cls(invoice_id)
                try:
                    outcome = invoice._einvoice_upload()
                except backend.DatabaseOperationalError:
                    # Another worker is sending it
                    transaction.rollback()
                    continue
                # Each upload is kept at once: a later failure must not
                # lose it and send it again
                transaction.commit()
                if outcome == 'unavailable':
                    # The platform is down: the others wait their turn
                    break
            cls.einvoice_report_payments(cls.search([
                        ('einvoice_cashed_pending', '=', True),
                        ]))

    # Lifecycle

    @classmethod
    def einvoice_fetch_statuses(cls):
        """Poll the platform for the lifecycle flows and store each status
        on its invoice once"""
        pool = Pool()
        Platform = pool.get('account.einvoice.platform')
        transaction = Transaction()
        company_id = transaction.context.get('company')
        with without_check_access():
            platforms = Platform.search(
                [('company', '=', company_id)] if company_id else [])
            for platform in platforms:
                cls._einvoice_fetch(platform)
                transaction.commit()

    @classmethod
    def _einvoice_fetch(cls, platform):
        pool = Pool()
        Status = pool.get('account.invoice.einvoice.status')
        Platform = pool.get('account.einvoice.platform')
        client = platform.client()
        polled = platform.lifecycle_polled_until
        if polled:
            # The platform's own time of the last flow read, with a margin
            # for a flow it would record late; what is stored is skipped
            since = polled - dt.timedelta(seconds=config.getint(
                    'sale_chain', 'platform_poll_margin', default=300))
        else:
            # Since the last status stored; a day of margin for clocks
            last = Status.search([
                    ('invoice.company', '=', platform.company.id),
                    ('direction', '=', 'in'),
                    ], order=[('date', 'DESC')], limit=1)
            since = (last[0].date - dt.timedelta(days=1)
                if last and last[0].date else dt.datetime(2000, 1, 1))
        where = {
            'flowType': ['CustomerInvoiceLC'],
            'flowDirection': ['In'],
            'updatedAfter': since.isoformat() + 'Z',
            }
        cursor = None
        seen = set()
        latest = polled
        while True:
            try:
                results, cursor = client.search(where, cursor=cursor)
            except (PlatformUnavailable, PlatformRefused) as exception:
                logger.warning("lifecycle polling of platform %s: %s",
                    platform.id, exception.__class__.__name__)
                return
            flow_ids = [r['flowId'] for r in results
                if r['flowId'] not in seen]
            seen.update(flow_ids)
            cls._einvoice_fetch_flows(platform, flow_ids)
            for result in results:
                # To the microsecond: the search is strictly after it
                updated = _parse_datetime(
                    result.get('updatedAt'), exact=True)
                if updated and (latest is None or updated > latest):
                    latest = updated
            if not cursor or not results:
                break
        # Only once every page is read: an interrupted poll starts again
        # from the same point
        if latest != polled:
            Platform.write([platform], {'lifecycle_polled_until': latest})

    @classmethod
    def _einvoice_fetch_flows(cls, platform, flow_ids):
        """Download the lifecycle flows not yet stored and store their
        statuses: the poll's and the webhook's"""
        pool = Pool()
        Status = pool.get('account.invoice.einvoice.status')
        if not flow_ids:
            return
        client = platform.client()
        siren = platform.company.party.siren
        siren = (siren.code_compact if siren else None)
        known = {s.flow_id for s in Status.search([
                    ('flow_id', 'in', flow_ids),
                    ])}
        messages = []
        for flow_id in flow_ids:
            if flow_id in known:
                continue
            try:
                xml = client.download(flow_id)
            except (PlatformUnavailable, PlatformRefused):
                # Fetched at the next poll
                continue
            parsed = cdar.parse(xml)
            if parsed and parsed['code'] in dict(cdar.STATUSES):
                messages.append((flow_id, xml, parsed))
        cls._einvoice_store(siren, messages)

    @classmethod
    def _einvoice_store(cls, siren, messages):
        "Store the statuses of messages [(flow id, xml, parsed)] of ours"
        pool = Pool()
        Status = pool.get('account.invoice.einvoice.status')
        if not messages:
            return
        numbers = {p['invoice_number'] for _, _, p in messages}
        invoices = defaultdict(list)
        for invoice in cls.search([
                    ('type', '=', 'out'),
                    ('number', 'in', list(numbers)),
                    ('einvoice_flow_id', '!=', None),
                    ]):
            invoices[invoice.number].append(invoice)
        # The SIREN of each company once, not of each invoice again
        sirens = {}

        def siren_of(invoice):
            if invoice.company.id not in sirens:
                sirens[invoice.company.id] = invoice.einvoice_siren
            return sirens[invoice.company.id]
        to_create = []
        for flow_id, xml, parsed in messages:
            if parsed['seller_siren'] != siren:
                continue
            # A lifecycle flow cites the invoice, not its tracking id
            matches = [i for i in invoices.get(parsed['invoice_number'], [])
                if i.invoice_date == parsed['invoice_date']
                and siren_of(i) == siren]
            if len(matches) != 1:
                continue
            invoice, = matches
            to_create.append({
                    'invoice': invoice.id,
                    'code': parsed['code'],
                    'date': parsed['issued_at'] or _now(),
                    'reason_code': parsed['reason_code'],
                    'reason': parsed['reason'],
                    'direction': 'in',
                    'flow_id': flow_id,
                    'amount': parsed['amount'],
                    'message': xml.decode('utf-8'),
                    })
        if not to_create:
            return
        statuses = Status.create(to_create)
        cls._einvoice_update_status({s.invoice for s in statuses})
        for status in statuses:
            if status.code in cdar.DEAD_ENDS:
                invoice = status.invoice
                invoice._einvoice_notify(
                    gettext('sale_chain.msg_einvoice_dead_end_label',
                        invoice=invoice.rec_name, status=status.name),
                    gettext('sale_chain.msg_einvoice_next_step_dead_end',
                        status=status.name)
                    + (' ' + status.reason if status.reason else ''))

    @classmethod
    def _einvoice_update_status(cls, invoices):
        "Set the latest status of invoices from their history"
        pool = Pool()
        Status = pool.get('account.invoice.einvoice.status')
        invoices = cls.browse(list(invoices))
        # The fields needed only, not every message of the history again
        latest = {}
        for status in Status.search_read([
                    ('invoice', 'in', [i.id for i in invoices]),
                    ], order=[('date', 'ASC NULLS FIRST'), ('id', 'ASC')],
                fields_names=['invoice', 'code', 'date']):
            latest[status['invoice']] = status
        to_write = []
        for invoice in invoices:
            status = latest.get(invoice.id)
            if status:
                to_write.extend(([invoice], {
                            'einvoice_status': status['code'],
                            'einvoice_status_date': status['date'],
                            }))
        if to_write:
            cls.write(*to_write)

    # "Encaissée"

    einvoice_cashed_pending = fields.Function(
        fields.Boolean("Payments to Report"), 'get_einvoice_cashed_pending',
        searcher='search_einvoice_cashed_pending')

    @property
    def einvoice_reports_payments(self):
        "Tell if the payments of the invoice are reported: services"
        return (self.einvoice_flow_id and not self.is_credit_note
            and self.operation_nature in {'services', 'both'}
            and self.einvoice_status not in cdar.DEAD_ENDS)

    def einvoice_payments(self):
        "The move lines which paid the receivable of the invoice"
        lines = list(self.payment_lines)
        for line in self.lines_to_pay:
            if line.reconciliation:
                for other in line.reconciliation.lines:
                    if other.move != self.move and other not in lines:
                        lines.append(other)
        return [l for l in lines if (l.credit - l.debit) > 0]

    def get_einvoice_cashed_pending(self, name):
        if not self.einvoice_reports_payments:
            return False
        reported = {s.payment_line for s in self.einvoice_statuses
            if s.payment_line}
        return any(l not in reported for l in self.einvoice_payments())

    @classmethod
    def search_einvoice_cashed_pending(cls, name, clause):
        # The candidates: issued services invoices with payments; the
        # getter tells which have one not reported
        _, operator, value = clause
        if (operator == '=') != bool(value):
            return []
        return [
            ('einvoice_flow_id', '!=', None),
            ('type', '=', 'out'),
            ['OR',
                ('state', '=', 'paid'),
                ('payment_lines', '!=', None),
                ],
            ]

    @classmethod
    def add_payment_lines(cls, payments):
        super().add_payment_lines(payments)
        cls._einvoice_queue_payments(list(payments))

    @classmethod
    def process(cls, invoices):
        super().process(invoices)
        cls._einvoice_queue_payments(invoices)

    @classmethod
    def _einvoice_queue_payments(cls, invoices):
        to_report = [i for i in invoices
            if i.type == 'out' and i.einvoice_flow_id]
        if to_report:
            cls.__queue__.einvoice_report_payments(to_report)

    @classmethod
    def einvoice_report_payments(cls, invoices):
        "Send the encaissée status of each payment not yet reported"
        with without_check_access():
            for invoice in cls.browse(invoices):
                if invoice.get_einvoice_cashed_pending(None):
                    invoice._einvoice_report_payments()

    def _einvoice_report_payments(self):
        pool = Pool()
        Status = pool.get('account.invoice.einvoice.status')
        client = client_of(self.company)
        if client is None:
            return
        reported = {s.payment_line for s in self.einvoice_statuses
            if s.payment_line}
        for line in self.einvoice_payments():
            if line in reported:
                continue
            xml = self.einvoice_cashed_message(line)
            identifier = 'ENC-%s-%s' % (self.einvoice_tracking_id, line.id)
            info = {
                'trackingId': identifier[:64],
                'name': '%s.xml' % identifier,
                'processingRule': 'B2B',
                'flowSyntax': 'CDAR',
                'flowProfile': 'CIUS',
                'sha256': hashlib.sha256(xml).hexdigest(),
                }
            try:
                result = client.upload(
                    xml, info, info['name'], 'application/xml')
            except PlatformRefused as exception:
                if exception.code not in ALREADY_SENT:
                    logger.warning("encaissée of invoice %s refused: %s",
                        self.id, exception.code)
                    return
                result = {}
            except PlatformUnavailable:
                # Reported at the next run of the scheduled job
                return
            Status.create([{
                        'invoice': self.id,
                        'code': cdar.CASHED,
                        'date': _now(),
                        'direction': 'out',
                        'flow_id': result.get('flowId'),
                        'payment_line': line.id,
                        'amount': line.credit - line.debit,
                        'message': xml.decode('utf-8'),
                        }])
        self.__class__._einvoice_update_status([self])

    def einvoice_cashed_message(self, line):
        """The CDAR "encaissée" message of the payment line: the amount
        received split by VAT rate as the invoice's taxes are"""
        amount = line.credit - line.debit
        total = self.total_amount or Decimal(1)
        by_rate = defaultdict(Decimal)
        for tax in self.taxes:
            rate = (tax.tax.rate * 100) if (
                tax.tax and tax.tax.type == 'percentage') else Decimal(0)
            by_rate[rate] += tax.base + tax.amount
        untaxed = total - sum(by_rate.values())
        if untaxed:
            by_rate[Decimal(0)] += untaxed
        amounts = []
        rest = amount
        rates = sorted(by_rate)
        for i, rate in enumerate(rates):
            if i == len(rates) - 1:
                share = rest
            else:
                share = (amount * by_rate[rate] / total).quantize(
                    Decimal('0.01'))
                rest -= share
            amounts.append((share, rate))
        party = self.party
        buyer_siren = party.siren.code_compact if party.siren else None
        return cdar.build(
            'ENC-%s-%s' % (self.number, line.id),
            dt.datetime.combine(line.date, dt.time(12)) if line.date
            else _now(),
            cdar.CASHED, self.number, self.invoice_date,
            self.einvoice_siren,
            sender=('SE', self.einvoice_siren, None),
            recipient=('BY', buyer_siren, party.einvoice_endpoint),
            invoice_type='380', amounts=amounts,
            currency=self.currency.code)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('account.invoice|einvoice_send_pending',
                    "Send Invoices to the E-Invoicing Platform"),
                ('account.invoice|einvoice_fetch_statuses',
                    "Fetch E-Invoice Statuses"),
                ])

