# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Net prices that can be true: a discount lies in [0, 100 %[ and goods are
not quoted at a negative price."""
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from .exceptions import PriceError


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    def check_for_quotation(self):
        super().check_for_quotation()
        for line in self.line_lines:
            if (line.product and line.product.type == 'goods'
                    and (line.unit_price or 0) < 0):
                raise PriceError(gettext(
                        'sale_chain.msg_price_negative',
                        sale=self.rec_name, line=line.rec_name))


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        cls.check_discount(lines, field_names)

    @classmethod
    def check_discount(cls, lines, field_names=None):
        """Refuse a discount outside [0, 100 %[ of the gross price

        Under a price list, the gross of sale_discount stays the list
        price: a price list above it is no discount set by the user, and
        only the upper bound holds."""
        if field_names and not (field_names & {'unit_price', 'base_price'}):
            return
        lang = Pool().get('ir.lang').get()
        for line in lines:
            gross, net = line.base_price, line.unit_price
            if line.type != 'line' or not gross or gross < 0 or net is None:
                continue
            rate = 1 - net / gross
            if rate >= 1 or (rate < 0 and not line.sale.price_list):
                raise PriceError(gettext(
                        'sale_chain.msg_price_discount',
                        line=line.rec_name,
                        rate='%s %%' % lang.format_number(rate * 100, 2)))
