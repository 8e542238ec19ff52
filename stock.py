# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta

from .chain import ChainMixin
from .document import DocumentMixin


class ShipmentOut(ChainMixin, metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    @property
    def sales(self):
        "The sales delivered by the shipment"
        sales = {m.sale for m in self.outgoing_moves if m.sale}
        return sorted(sales, key=lambda s: (s.number or '', s.id))


class ShipmentOutReturn(ChainMixin, metaclass=PoolMeta):
    __name__ = 'stock.shipment.out.return'


class DeliveryNote(DocumentMixin, metaclass=PoolMeta):
    "Delivery note (bon de livraison) carrying the order"
    __name__ = 'stock.shipment.out.delivery_note'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['line_quantities'] = cls.line_quantities
        return context

    @classmethod
    def line_quantities(cls, move):
        """Return the quantities ordered, delivered by the shipment of move
        and still to deliver after it, in the unit of move"""
        pool = Pool()
        Uom = pool.get('product.uom')
        SaleLine = pool.get('sale.line')
        line = move.origin
        delivered = move.quantity
        if not isinstance(line, SaleLine):
            return {
                'ordered': None,
                'delivered': delivered,
                'remaining': None,
                }
        ordered = Uom.compute_qty(line.unit, line.quantity, move.unit)
        previously = 0
        for other in line.moves:
            if other == move or other.state != 'done':
                continue
            # A reprint of an older BL must not count later deliveries
            if (move.state == 'done'
                    and (other.effective_date, other.id)
                    > (move.effective_date, move.id)):
                continue
            qty = Uom.compute_qty(other.unit, other.quantity, move.unit)
            if other.to_location.type == 'customer':
                previously += qty
            elif other.from_location.type == 'customer':
                previously -= qty
        remaining = max(ordered - previously - delivered, 0)
        return {
            'ordered': ordered,
            'previously': previously,
            'delivered': delivered,
            'remaining': move.unit.round(remaining),
            }
