# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class ComplaintType(metaclass=PoolMeta):
    __name__ = 'sale.complaint.type'

    credit_reason = fields.Many2One(
        'account.invoice.credit.reason', "Credit Reason",
        ondelete='RESTRICT',
        help="The reason given to the credit notes created by the "
        "complaints of this type.")


class ComplaintAction(metaclass=PoolMeta):
    __name__ = 'sale.complaint.action'

    def do_credit_note(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        credit_note = super().do_credit_note()
        if credit_note is None:
            return credit_note
        complaint = self.complaint
        origin = complaint.origin
        if isinstance(origin, InvoiceLine):
            origin = origin.invoice
        # sale_complaint copies the invoice without saying what the credit
        # note corrects nor why: posting needs both
        if isinstance(origin, Invoice):
            credit_note.credited_invoice = origin
        credit_note.credit_reason = complaint.type.credit_reason
        name = complaint.number or ''
        if complaint.reference:
            name = '%s (%s)' % (name, complaint.reference)
        # Printed on the credit note: in the customer's language
        lang = credit_note.party.lang if credit_note.party else None
        language = lang.code if lang else Transaction().language
        with Transaction().set_context(language=language):
            credit_note.credit_description = gettext(
                'sale_chain.msg_complaint_credit_description',
                complaint=name.strip(),
                description=(complaint.description or '').strip()).strip()
        credit_note.save()
        return credit_note
