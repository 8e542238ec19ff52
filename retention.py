# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Ten-year retention of issued customer invoices (C. com. L123-22).

An issued customer invoice or credit note (posted, paid, or cancelled by a
credit note) is kept as issued until ten years after the end of its fiscal
year: not deleted, not altered, not cancelled by a reversing move, its
frozen report and print log unchanged. Tryton already forbids most of it;
these checks close the remaining ways, for every user including the
administrator and the root user. Payment, reconciliation, dunning and the
posted / paid transitions keep working.
"""

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import RetentionError

RETENTION_YEARS = 10
# Printed on the invoice or defining it: never changed once issued
INVOICE_FROZEN_FIELDS = {
    'description', 'comment', 'reference', 'move', 'invoice_report_revisions',
    }
INVOICE_REPORT_FIELDS = {
    'invoice_report_cache', 'invoice_report_cache_id',
    'invoice_report_format',
    }
# Only the server moves an issued invoice between these states
INVOICE_STATES = {'posted', 'paid'}


def add_years(date, years):
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        # 29 February
        return date.replace(year=date.year + years, day=28)


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    retention_date = fields.Function(fields.Date(
            "Keep Until",
            help="The date until which the issued invoice must be kept "
            "unchanged: ten years after the end of its fiscal year."),
        'get_retention_date')
    retention_active = fields.Function(fields.Boolean(
            "Under Retention",
            help="Whether the issued invoice must still be kept unchanged."),
        'get_retention_active')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Even the accounting administrators may no more change them
        for name in ['description', 'comment', 'reference']:
            field = getattr(cls, name)
            field.states = field.states.copy()
            field.states['readonly'] = (
                field.states.get('readonly', False)
                | Eval('retention_active', False))

    @property
    def retention_issued(self):
        "Whether the invoice was issued to the customer"
        return bool(self.type == 'out' and self.number and self.move
            and self.move.state == 'posted')

    def get_retention_date(self, name=None):
        if not self.retention_issued:
            return None
        return add_years(
            self.move.period.fiscalyear.end_date, RETENTION_YEARS)

    def get_retention_active(self, name):
        return self.retained

    @property
    def retained(self):
        "Whether the invoice is under retention today"
        pool = Pool()
        Date = pool.get('ir.date')
        retention_date = self.get_retention_date()
        if not retention_date:
            return False
        with Transaction().set_context(company=self.company.id):
            return Date.today() <= retention_date

    def _retention_error(self, message, **kwargs):
        return RetentionError(gettext(
                'sale_chain.%s' % message,
                invoice=self.rec_name,
                date=self.retention_date.strftime('%d/%m/%Y'),
                **kwargs))

    @classmethod
    def check_modification(cls, mode, invoices, values=None, external=False):
        # Before Tryton's own checks, to name the retention rule
        if mode in {'write', 'delete'}:
            for invoice in invoices:
                if invoice.retained:
                    invoice.check_retention(mode, values, external)
        super().check_modification(
            mode, invoices, values=values, external=external)

    def check_retention(self, mode, values, external):
        "Raise a RetentionError if mode with values would alter the invoice"
        if mode == 'delete':
            raise self._retention_error('msg_invoice_retention_delete')
        frozen = values.keys() & INVOICE_FROZEN_FIELDS
        if external:
            # Only the server writes the system fields
            frozen |= values.keys() & (INVOICE_REPORT_FIELDS | {
                    'state', 'cancel_move', 'additional_moves'})
        if frozen:
            raise self._retention_error(
                'msg_invoice_retention_modify',
                fields=', '.join(sorted(frozen)))
        if (values.keys() & INVOICE_REPORT_FIELDS
                and self.has_report_cache):
            raise self._retention_error('msg_invoice_retention_report')
        state = values.get('state')
        if state and state not in INVOICE_STATES:
            # A credit note cancels the invoice it refunds
            if not (state == 'cancelled'
                    and (self.cancel_move or values.get('cancel_move'))):
                raise self._retention_error(
                    'msg_invoice_retention_state', state=state)

    @classmethod
    def cancel(cls, invoices):
        for invoice in invoices:
            # Cancelling by a reversing move is refused: a credit note
            # corrects an issued invoice
            if (invoice.state in INVOICE_STATES and invoice.retained
                    and not invoice.cancel_move):
                raise invoice._retention_error(
                    'msg_invoice_retention_cancel')
        super().cancel(invoices)


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        if mode == 'delete' or (mode == 'write'
                and values.keys() & {'description', 'note'}):
            for line in lines:
                invoice = line.invoice
                if invoice and invoice.retained:
                    raise invoice._retention_error(
                        'msg_invoice_retention_modify',
                        fields=', '.join(sorted(
                                (values or {}).keys()
                                & {'description', 'note'}))
                        or 'lines')
        super().check_modification(
            mode, lines, values=values, external=external)


class InvoiceTax(metaclass=PoolMeta):
    __name__ = 'account.invoice.tax'

    @classmethod
    def check_modification(cls, mode, taxes, values=None, external=False):
        if mode == 'delete' or (mode == 'write'
                and values.keys() & {'description', 'legal_notice'}):
            for tax in taxes:
                if tax.invoice.retained:
                    raise tax.invoice._retention_error(
                        'msg_invoice_retention_modify',
                        fields=', '.join(sorted(
                                (values or {}).keys()
                                & {'description', 'legal_notice'}))
                        or 'taxes')
        super().check_modification(
            mode, taxes, values=values, external=external)


class InvoiceReportRevision(metaclass=PoolMeta):
    __name__ = 'account.invoice.report.revision'

    @classmethod
    def check_modification(
            cls, mode, revisions, values=None, external=False):
        super().check_modification(
            mode, revisions, values=values, external=external)
        if mode in {'write', 'delete'}:
            for revision in revisions:
                if revision.invoice.retained:
                    raise revision.invoice._retention_error(
                        'msg_invoice_retention_report')


class InvoicePrintLog(metaclass=PoolMeta):
    __name__ = 'account.invoice.print_log'

    @classmethod
    def check_modification(cls, mode, logs, values=None, external=False):
        if mode == 'delete':
            for log in logs:
                if log.invoice.retained:
                    raise log.invoice._retention_error(
                        'msg_invoice_retention_print_log')
        super().check_modification(
            mode, logs, values=values, external=external)


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def check_modification(cls, mode, moves, values=None, external=False):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        # Tryton refuses these on posted moves too: name the retention rule
        posted = [m.id for m in moves if m.state == 'posted']
        if posted and (mode == 'delete' or (mode == 'write'
                    and values.keys() - cls._check_modify_exclude)):
            invoices = Invoice.search([
                    ('move', 'in', posted),
                    ('type', '=', 'out'),
                    ])
            for invoice in invoices:
                if invoice.retained:
                    raise invoice._retention_error(
                        'msg_invoice_retention_move',
                        move=invoice.move.rec_name)
        super().check_modification(
            mode, moves, values=values, external=external)
