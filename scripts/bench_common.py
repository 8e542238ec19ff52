# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"What the benchmark scripts share"


class CountingCursor:
    "Count the statements of a cursor"

    def __init__(self, cursor, counter):
        self._cursor = cursor
        self._counter = counter

    def execute(self, *args, **kwargs):
        self._counter.append(args[0])
        return self._cursor.execute(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def __iter__(self):
        return iter(self._cursor)


def create_category(accounts):
    "Create an accounting product category with revenue and expense"
    from proteus import Model
    Category = Model.get('product.category')
    category = Category(name="Bench", accounting=True)
    category.account_revenue = accounts['revenue']
    category.account_expense = accounts['expense']
    category.save()
    return category


def siren(base8):
    "The SIREN of 8 digits and their Luhn check digit"
    from stdnum import luhn
    return base8 + luhn.calc_check_digit(base8)


def make_french(company, siret=False):
    """Give company the identity a French e-invoice needs (SIREN, VAT
    number, a Lyon address, RCS, SAS, share capital), with a SIRET of its
    address when siret; return France"""
    from decimal import Decimal

    from proteus import Model
    from stdnum import luhn
    france = Model.get('country.country')(name="France", code='FR')
    france.save()
    cparty = company.party
    code = siren('73282932')
    cparty.identifiers.new(type='fr_siren', code=code)
    key = (12 + 3 * (int(code) % 97)) % 97
    cparty.identifiers.new(type='eu_vat', code='FR%02d%s' % (key, code))
    address, = cparty.addresses
    address.street, address.postal_code, address.city = (
        "12 rue de la République", '69002', "Lyon")
    address.country = france
    cparty.save()
    if siret:
        number = code + '0001'
        cparty.identifiers.new(type='fr_siret',
            code=number + luhn.calc_check_digit(number), address=address)
        cparty.save()
    company.trade_register = "RCS Lyon"
    company.legal_form = 'SAS'
    company.share_capital = Decimal('10000')
    company.save()
    return france
