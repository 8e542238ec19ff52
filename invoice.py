# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta

from .sale_chain import ChainMixin


class Invoice(ChainMixin, metaclass=PoolMeta):
    __name__ = 'account.invoice'
