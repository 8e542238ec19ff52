# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Null

from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.report import Report
from trytond.transaction import Transaction

LEGAL_FORMS = [
    (None, ""),
    ('EI', "EI"),
    ('EURL', "EURL"),
    ('SARL', "SARL"),
    ('SAS', "SAS"),
    ('SASU', "SASU"),
    ('SA', "SA"),
    ('SNC', "SNC"),
    ('SCOP', "SCOP"),
    ]


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    legal_form = fields.Selection(
        LEGAL_FORMS, "Legal Form",
        help="The legal form printed on business papers.")
    share_capital = fields.Numeric(
        "Share Capital", digits=(16, 2),
        domain=['OR',
            ('share_capital', '=', None),
            ('share_capital', '>=', 0),
            ],
        help="The share capital in the company currency.")
    trade_register = fields.Char(
        "Trade Register",
        help='The registration with its court, e.g. "RCS Lyon".')
    late_penalty_text = fields.Text(
        "Late Payment Penalties",
        help="The rate of the penalties for late payment printed on "
        "invoices to businesses (at least three times the legal "
        "interest rate).")
    recovery_indemnity_text = fields.Text(
        "Recovery Indemnity",
        help="The flat indemnity for recovery costs printed on invoices "
        "to businesses, never on invoices to consumers.")
    no_early_payment_discount_text = fields.Text(
        "No Early Payment Discount",
        help="Printed on invoices when the customer has no early-payment "
        "discount (escompte).")
    vat_on_debits = fields.Boolean(
        "VAT on Debits",
        help="The company opted to pay VAT on debits: the invoices must "
        "say so, and only then.")

    @classmethod
    def __register__(cls, module):
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        table_h = cls.__table_handler__(module)
        created = [n for n in [
                'late_penalty_text', 'recovery_indemnity_text',
                'no_early_payment_discount_text']
            if not table_h.column_exist(n)]
        super().__register__(module)
        # The companies which exist when the texts are added get the French
        # defaults, once: a text emptied later stays empty
        for name in created:
            column = getattr(table, name)
            cursor.execute(*table.update(
                    [column], [getattr(cls, 'default_%s' % name)()],
                    where=column == Null))

    @classmethod
    def default_late_penalty_text(cls):
        return (
            "Pénalités de retard : trois fois le taux d'intérêt légal, "
            "exigibles dès le lendemain de la date d'échéance, sans rappel.")

    @classmethod
    def default_recovery_indemnity_text(cls):
        return (
            "Indemnité forfaitaire pour frais de recouvrement en cas de "
            "retard de paiement : 40 € (art. L441-10 et D441-5 du Code de "
            "commerce).")

    @classmethod
    def default_no_early_payment_discount_text(cls):
        return "Pas d'escompte pour paiement anticipé."

    @classmethod
    def default_vat_on_debits(cls):
        return False

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for field in [cls.header, cls.footer]:
            field.help += (
                "- ${legal_form}\n"
                "- ${share_capital}\n"
                "- ${trade_register}\n")

    @property
    def _substitutions(self):
        substitutions = super()._substitutions
        substitutions['legal_form'] = self.legal_form or ''
        if self.share_capital is not None:
            lang = self.party.lang if self.party else None
            substitutions['share_capital'] = Report.format_currency(
                self.share_capital, lang, self.currency, digits=0)
        else:
            substitutions['share_capital'] = ''
        substitutions['trade_register'] = self.trade_register or ''
        return substitutions
