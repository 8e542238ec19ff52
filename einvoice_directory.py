# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The routing of the electronic invoices: the buyer's electronic address
(BT-49) as the Directory Service of the company's platform gives it for
its SIREN, cached on the party with the date of the answer.

A manual address on the party wins; without either, the SIREN serves.  The
look-up runs from the party form and at the posting of a customer invoice
when the cached answer is missing or too old; an unreachable directory
never holds up a posting."""
import datetime as dt
import logging

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .einvoice import compact
from .einvoice_platform import PlatformRefused, PlatformUnavailable
from .exceptions import (
    DirectoryError, DirectoryReadonly, DirectoryWarning)
from .invoice import is_business_customer

logger = logging.getLogger(__name__)

DIRECTORY_STATUSES = [
    (None, "Not Looked Up"),
    ('found', "Found"),
    ('missing', "Not in the Directory"),
    ('unavailable', "Directory Unavailable"),
    ]
# Only the look-up writes them
DIRECTORY_FIELDS = {
    'einvoice_directory_address', 'einvoice_directory_siren',
    'einvoice_directory_status', 'einvoice_directory_date',
    }
# A posting waits for one answer, not for the retries of a sending: the
# cached address or the SIREN serves when the directory does not answer
POSTING_RETRIES = 0


def max_age():
    "The age in days after which a cached answer is asked again"
    return config.getint('sale_chain', 'directory_max_age_days', default=30)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    einvoice_directory_address = fields.Char(
        "Directory Address", readonly=True,
        help="The electronic invoicing address the Directory Service "
        "gives for the SIREN (SIREN, SIREN_SIRET or "
        "SIREN_SIRET_ROUTINGCODE); a manual address wins over it.")
    einvoice_directory_siren = fields.Char(
        "Directory SIREN", readonly=True,
        help="The SIREN the directory was asked about: its answer is void "
        "once the party's SIREN changes.")
    einvoice_directory_status = fields.Selection(
        DIRECTORY_STATUSES, "Directory Look-Up", readonly=True,
        help="What the Directory Service answered at the last look-up.")
    einvoice_directory_date = fields.DateTime(
        "Directory Answer Date", readonly=True,
        help="When the Directory Service last answered for the party.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'einvoice_directory_refresh': {
                    'invisible': Eval('id', -1) < 0,
                    'depends': ['id'],
                    },
                })

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        # A copy is another party: looked up for itself
        for name in DIRECTORY_FIELDS:
            default.setdefault(name, None)
        return super().copy(parties, default=default)

    @classmethod
    def create(cls, vlist):
        # From outside, a party is created without a directory answer
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            vlist = [{k: v for k, v in values.items()
                    if k not in DIRECTORY_FIELDS} for values in vlist]
        return super().create(vlist)

    @classmethod
    def check_modification(cls, mode, parties, values=None, external=False):
        super().check_modification(
            mode, parties, values=values, external=external)
        # The clients show them read-only; a call over RPC would not care
        if mode == 'write' and external:
            written = values.keys() & DIRECTORY_FIELDS
            if written:
                field = cls._fields[sorted(written)[0]]
                raise DirectoryReadonly(gettext(
                        'sale_chain.msg_einvoice_directory_readonly',
                        field=field.string,
                        party=parties[0].rec_name if parties else ''))

    @property
    def einvoice_directory_route(self):
        "The address the directory gave for the current SIREN, or None"
        siren = compact(self.siren)
        if (siren and self.einvoice_directory_address
                and self.einvoice_directory_siren == siren):
            return self.einvoice_directory_address

    @property
    def einvoice_endpoint(self):
        # The manual address wins, then the directory's, then the SIREN
        if not (self.einvoice_address or '').strip():
            route = self.einvoice_directory_route
            if route:
                return '0225', route
        return super().einvoice_endpoint

    @property
    def einvoice_directory_missing(self):
        """Tell if the directory said the business customer is not in it
        and no manual address replaces it"""
        return bool(is_business_customer(self)
            and not (self.einvoice_address or '').strip()
            and self.einvoice_directory_status == 'missing'
            and self.einvoice_directory_siren == compact(self.siren))

    def einvoice_missing(self):
        missing = super().einvoice_missing()
        if self.einvoice_directory_missing:
            missing.append('- BR-FR-12: %s' % gettext(
                    'sale_chain.msg_einvoice_hint_directory_missing'))
        return missing

    def einvoice_directory_due(self, now=None):
        "Tell if the cached answer of the directory is to be asked again"
        siren = compact(self.siren)
        if not siren:
            return False
        if (self.einvoice_directory_siren != siren
                or self.einvoice_directory_status in {None, 'unavailable'}
                or not self.einvoice_directory_date):
            return True
        now = now or dt.datetime.now()
        return (now - self.einvoice_directory_date
            >= dt.timedelta(days=max_age()))

    @classmethod
    @ModelView.button
    def einvoice_directory_refresh(cls, parties):
        "Look the parties up in the Directory Service now"
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        company = Company(company_id) if company_id else None
        client = directory_client(company)
        if client is None:
            raise DirectoryError(gettext(
                    'sale_chain.msg_einvoice_directory_no_platform',
                    company=company.rec_name if company else ''))
        for party in parties:
            if not compact(party.siren):
                raise DirectoryError(gettext(
                        'sale_chain.msg_einvoice_directory_no_siren',
                        party=party.rec_name))
        cls.einvoice_directory_lookup(parties, client)

    @classmethod
    def einvoice_directory_lookup(
            cls, parties, client, retries=None, memo=False):
        """Ask the directory of client about the SIREN of each party and
        store its answer; return {party id: status}

        A directory which does not answer leaves the cached address as it
        is, marked unavailable, so that it is asked again next time."""
        now = dt.datetime.now().replace(microsecond=0)
        kwargs = {'memo': memo}
        if retries is not None:
            kwargs['retries'] = retries
        result, to_write = {}, []
        for party in parties:
            siren = compact(party.siren)
            if not siren:
                continue
            try:
                lines = client.directory_lines(siren, **kwargs)
            except (PlatformUnavailable, PlatformRefused) as exception:
                logger.warning(
                    "directory unavailable for SIREN %s: %r",
                    siren, exception)
                values = {'einvoice_directory_status': 'unavailable'}
            else:
                line = party.einvoice_directory_choose(lines or [])
                values = {
                    'einvoice_directory_siren': siren,
                    'einvoice_directory_address': (
                        line['address'] if line else None),
                    'einvoice_directory_status': (
                        'found' if line else 'missing'),
                    'einvoice_directory_date': now,
                    }
            result[party.id] = values['einvoice_directory_status']
            to_write.extend(([party], values))
        if to_write:
            with without_check_access():
                cls.write(*to_write)
        return result

    def einvoice_directory_choose(self, lines):
        """The directory line the invoices go to: that of the SIRET of the
        invoice address, else the SIREN's own line, else the first one"""
        lines = [l for l in lines
            if (l.get('status') or 'Enabled') == 'Enabled']
        address = self.address_get(type='invoice')
        siret = compact(getattr(address, 'siret', None)) if address else None
        plain = [l for l in lines if not l['routing']]
        if siret:
            for line in plain:
                if line['siret'] == siret:
                    return line
        for line in plain:
            if not line['siret'] and not line['suffix']:
                return line
        # The SIREN receives elsewhere only: still the buyer's platform
        return lines[0] if lines else None


def directory_client(company):
    """The client of the company's active platform which has a Directory
    Service, or None"""
    pool = Pool()
    Platform = pool.get('account.einvoice.platform')
    if not company:
        return None
    # The accountant posts without reading the platform's account
    with without_check_access():
        platform = Platform.get_for(company)
        if platform and platform.directory_url:
            return platform.client()


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    einvoice_buyer_address = fields.Function(fields.Char(
            "Buyer Electronic Address",
            help="The electronic address (BT-49) the invoice is routed to, "
            "as the customer is now: its manual address, the one found "
            "in the Directory Service, else its SIREN."),
        'get_einvoice_routing')
    einvoice_directory_status = fields.Function(fields.Selection(
            DIRECTORY_STATUSES, "Directory Look-Up",
            help="What the Directory Service answered about the "
            "customer."),
        'get_einvoice_routing')
    einvoice_routing_warning = fields.Function(fields.Text(
            "Routing Warning"),
        'get_einvoice_routing')

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//group[@id="einvoice_routing_warning"]', 'states', {
                    'invisible': ~Eval('einvoice_routing_warning'),
                    }),
            ]

    @classmethod
    def get_einvoice_routing(cls, invoices, names):
        result = {n: {i.id: None for i in invoices} for n in names}
        for invoice in invoices:
            # Once issued, the routing is the one of its CII
            if (not invoice.einvoice_required or not invoice.party
                    or invoice.state not in {'draft', 'validated'}):
                continue
            party = invoice.party
            if 'einvoice_buyer_address' in result:
                endpoint = party.einvoice_endpoint
                result['einvoice_buyer_address'][invoice.id] = (
                    '%s %s' % endpoint if endpoint else None)
            if 'einvoice_directory_status' in result:
                result['einvoice_directory_status'][invoice.id] = (
                    party.einvoice_directory_status)
            if ('einvoice_routing_warning' in result
                    and party.einvoice_directory_missing):
                result['einvoice_routing_warning'][invoice.id] = (
                    invoice.einvoice_directory_message())
        return result

    def einvoice_directory_message(self):
        return gettext(
            'sale_chain.msg_einvoice_directory_missing',
            party=self.party.rec_name, siren=compact(self.party.siren),
            invoice=self.rec_name)

    @classmethod
    def einvoice_route(cls, invoices):
        """Look up in the directory the customers of the invoices whose
        cached answer is missing or too old"""
        pool = Pool()
        Party = pool.get('party.party')
        now = dt.datetime.now()
        by_company = {}
        for invoice in invoices:
            party = invoice.party
            if (not invoice.einvoice_required or not party
                    or (party.einvoice_address or '').strip()):
                continue
            if party.einvoice_directory_due(now):
                by_company.setdefault(invoice.company, []).append(party)
        for company, parties in by_company.items():
            client = directory_client(company)
            if client:
                Party.einvoice_directory_lookup(
                    list(set(parties)), client, retries=POSTING_RETRIES,
                    memo=True)

    @classmethod
    def check_einvoices(cls, invoices):
        pool = Pool()
        Warning = pool.get('res.user.warning')
        # The CII checked and issued carries the address found
        cls.einvoice_route(invoices)
        for invoice in invoices:
            if (invoice.einvoice_required
                    and invoice.party.einvoice_directory_missing):
                # The SIREN still serves: the user is told, once per invoice
                key = Warning.format('einvoice_directory_missing', [invoice])
                if Warning.check(key):
                    raise DirectoryWarning(
                        key, invoice.einvoice_directory_message())
        super().check_einvoices(invoices)

    @classmethod
    @ModelView.button
    def einvoice_check(cls, invoices):
        # The check of a draft asks the directory too, and keeps its answer
        cls.einvoice_route(invoices)
        super().einvoice_check(invoices)
