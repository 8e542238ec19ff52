# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond import backend
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

# A party becomes a customer with its first order
ORDER_STATES = ['confirmed', 'processing', 'done']


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    customer_status = fields.Function(fields.Selection([
                (None, ""),
                ('prospect', "Prospect"),
                ('customer', "Customer"),
                ], "Customer Status",
            help="A party stays a prospect until its first order "
            "is confirmed; a company's own party has no status."),
        'get_customer_status', searcher='search_customer_status')
    customer_type = fields.Selection([
            ('business', "Business"),
            ('consumer', "Consumer"),
            ], "Customer Type",
        help="A business gets the mentions of business invoices "
        "(customer SIREN, late penalties, recovery indemnity); "
        "a consumer never gets the recovery indemnity.")

    @classmethod
    def default_customer_type(cls):
        return 'business'

    @classmethod
    def _ordered_query(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        where = sale.state.in_(ORDER_STATES)
        company = Transaction().context.get('company')
        if company:
            where &= sale.company == company
        return sale, where

    @classmethod
    def _company_query(cls):
        "The parties of the companies: they sell, they are no customers"
        pool = Pool()
        Company = pool.get('company.company')
        company = Company.__table__()
        return company.select(company.party)

    @classmethod
    def get_customer_status(cls, parties, name):
        cursor = Transaction().connection.cursor()
        sale, where = cls._ordered_query()
        status = {p.id: 'prospect' for p in parties}
        cursor.execute(*cls._company_query())
        for party_id, in cursor:
            if party_id in status:
                status[party_id] = None
        for sub_ids in grouped_slice(
                [p.id for p in parties], backend.MAX_QUERY_PARAMS):
            cursor.execute(*sale.select(
                    sale.party,
                    where=where & fields.SQL_OPERATORS['in'](
                        sale.party, sub_ids),
                    group_by=[sale.party]))
            for party_id, in cursor:
                status[party_id] = 'customer'
        return status

    @classmethod
    def search_customer_status(cls, name, clause):
        _, operator, value = clause[:3]
        sale, where = cls._ordered_query()
        query = sale.select(sale.party, where=where)
        values = value if isinstance(value, (list, tuple)) else [value]
        if operator in {'!=', 'not in'}:
            values = {'customer', 'prospect', None} - set(values)
        companies = cls._company_query()
        domain = ['OR']
        if 'customer' in values:
            domain.append([('id', 'in', query)])
        if 'prospect' in values:
            domain.append([
                    ('id', 'not in', query),
                    ('id', 'not in', companies),
                    ])
        if None in values:
            domain.append([
                    ('id', 'not in', query),
                    ('id', 'in', companies),
                    ])
        if len(domain) == 1:
            return [('id', '=', None)]
        return domain
