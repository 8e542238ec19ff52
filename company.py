# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.report import Report

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
