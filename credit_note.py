# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval

from .common import CodedReasonMixin
from .exceptions import CreditNoteError

# The states of an invoice which count as issued
ISSUED = ['posted', 'paid']


class CreditReason(CodedReasonMixin, ModelSQL, ModelView):
    "Credit Note Reason"
    __name__ = 'account.invoice.credit.reason'


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    credited_invoice = fields.Many2One(
        'account.invoice', "Credited Invoice", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '=', Eval('type')),
            ('state', 'in', ISSUED),
            ],
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('type') != 'out',
            },
        help="The invoice this credit note corrects.")
    # Not required with the credited invoice: a complaint of a type without
    # reason creates such a draft, which posting then refuses
    credit_reason = fields.Many2One(
        'account.invoice.credit.reason', "Credit Reason",
        ondelete='RESTRICT',
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('type') != 'out',
            },
        help="Why the credit note is issued.")
    credit_description = fields.Text(
        "Credit Description",
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('type') != 'out',
            'required': Bool(Eval('credited_invoice')),
            },
        help="What happened, in the words of the customer file.")
    credit_notes = fields.One2Many(
        'account.invoice', 'credited_invoice', "Credit Notes",
        readonly=True,
        states={
            'invisible': Eval('type') != 'out',
            })

    @property
    def is_credit_note(self):
        "A customer invoice with a negative total"
        return self.type == 'out' and (self.total_amount or 0) < 0

    def _credit(self, **values):
        credit = super()._credit(**values)
        if self.type == 'out':
            credit.credited_invoice = self
        return credit

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('credit_notes', None)
        return super().copy(invoices, default=default)

    @classmethod
    def _post(cls, invoices):
        cls.check_credit_notes(invoices)
        super()._post(invoices)

    @classmethod
    def check_credit_notes(cls, invoices):
        """Refuse a customer credit note without reason, without the invoice
        it corrects, or crediting more than remains of it"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        notes = [i for i in invoices if i.is_credit_note]
        # Credited in this batch, so that two notes together cannot
        # exceed the invoice either
        batch_amounts = defaultdict(int)
        batch_quantities = defaultdict(float)
        for note in notes:
            if (not note.credit_reason
                    or not (note.credit_description or '').strip()):
                raise CreditNoteError(gettext(
                        'sale_chain.msg_credit_note_reason',
                        invoice=note.rec_name))
            original = note.credited_invoice
            if not original:
                raise CreditNoteError(gettext(
                        'sale_chain.msg_credit_note_original',
                        invoice=note.rec_name) + note.refusal_rules())
            if (original.state not in ISSUED
                    or original.type != note.type
                    or original.company != note.company
                    or original.party != note.party
                    or original.is_credit_note):
                raise CreditNoteError(gettext(
                        'sale_chain.msg_credit_note_original_invalid',
                        invoice=note.rec_name,
                        original=original.rec_name) + note.refusal_rules())
            others = [n for n in original.credit_notes
                if n != note and n.state in ISSUED]
            credited = -sum(n.total_amount for n in others)
            credited += batch_amounts[original]
            remaining = original.total_amount - credited
            if -note.total_amount > remaining:
                raise CreditNoteError(gettext(
                        'sale_chain.msg_credit_note_amount',
                        invoice=note.rec_name,
                        original=original.rec_name,
                        amount=lang.currency(
                            -note.total_amount, note.currency),
                        remaining=lang.currency(
                            max(remaining, 0), note.currency)))
            batch_amounts[original] += -note.total_amount
            cls._check_credited_quantities(note, original, batch_quantities)

    @classmethod
    def _check_credited_quantities(cls, note, original, batch_quantities):
        pool = Pool()
        Line = pool.get('account.invoice.line')
        Lang = pool.get('ir.lang')
        origins = {
            l.origin for l in note.lines
            if l.type == 'line' and isinstance(l.origin, Line)}
        for origin in origins:
            # The quantity still creditable is counted per invoice line:
            # a note citing another invoice would credit its lines again
            if origin.invoice != original:
                raise CreditNoteError(gettext(
                        'sale_chain.msg_credit_note_line_origin',
                        invoice=note.rec_name,
                        line=origin.rec_name,
                        original=original.rec_name))
        if not origins:
            return
        credited = defaultdict(float)
        for line in Line.search([
                    ('origin', 'in', [str(o) for o in origins]),
                    ('invoice.state', 'in', ISSUED),
                    ('invoice', '!=', note.id),
                    ]):
            credited[line.origin] += abs(line.quantity or 0)
        asked = defaultdict(float)
        for line in note.lines:
            if line.type == 'line' and line.origin in origins:
                asked[line.origin] += abs(line.quantity or 0)
        lang = Lang.get()
        for origin, quantity in asked.items():
            total = credited[origin] + batch_quantities[origin] + quantity
            if total > abs(origin.quantity or 0):
                digits = origin.unit.digits if origin.unit else 2
                remaining = max(
                    abs(origin.quantity or 0) - credited[origin]
                    - batch_quantities[origin], 0)
                raise CreditNoteError(gettext(
                        'sale_chain.msg_credit_note_quantity',
                        invoice=note.rec_name,
                        line=origin.rec_name,
                        quantity=lang.format_number(quantity, digits),
                        remaining=lang.format_number(remaining, digits)))
        for origin, quantity in asked.items():
            batch_quantities[origin] += quantity


class CreditInvoiceStart(metaclass=PoolMeta):
    __name__ = 'account.invoice.credit.start'

    reason = fields.Many2One(
        'account.invoice.credit.reason', "Reason", required=True)
    description = fields.Text("Description", required=True)


class CreditInvoice(metaclass=PoolMeta):
    __name__ = 'account.invoice.credit'

    @property
    def _credit_options(self):
        options = super()._credit_options
        options['credit_reason'] = self.start.reason
        options['credit_description'] = self.start.description
        return options
