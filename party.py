# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The customer side of a party: prospect or customer, business or
consumer, and its receivables (overdue amounts by age, dunning levels,
reminders) as the order control reads them."""
import datetime as dt
from decimal import Decimal

from sql import Null
from sql.aggregate import Min, Sum
from sql.conditionals import Case, Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice, sqlite_apply_types
from trytond.transaction import Transaction

from .exceptions import ReminderError

# The age buckets of overdue receivables, in days after the maturity date
AGE_BUCKETS = [
    ('1-30', 1, 30),
    ('31-60', 31, 60),
    ('61-90', 61, 90),
    ('>90', 91, None),
    ]
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

    @classmethod
    def get_overdue_receivables(cls, parties, company, date):
        """Return a dictionary party id: overdue receivables of company
        on date

        The values are dictionaries with the 'total', the amounts by age
        ('1-30', '31-60', '61-90', '>90' days after maturity) and the
        'oldest_maturity' date (or None).  The lines are those of
        account.aged_balance on date: receivable lines of the moves dated
        up to date which were not reconciled on date, as debit - credit in
        the currency of the company (an unreconciled payment reduces the
        bucket of its date); overdue are those whose maturity date (or move
        date) is before date.  So the figures are right for any date, not
        only today.  One query per slice of parties."""
        pool = Pool()
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        AgedBalance = pool.get('account.aged_balance')
        Company = pool.get('company.company')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Reconciliation = pool.get('account.move.reconciliation')

        transaction = Transaction()
        cursor = transaction.connection.cursor()
        if not isinstance(company, Company):
            company = Company(company)
        currency = company.currency
        line = MoveLine.__table__()
        move = Move.__table__()
        reconciliation = Reconciliation.__table__()
        account = Account.__table__()
        type_ = AccountType.__table__()
        debit_type = AccountType.__table__()
        credit_type = AccountType.__table__()

        # The receivable accounts as the aged balance of customers counts
        with transaction.set_context(type='customer'):
            kind = (AgedBalance.get_kind(type_)
                | (AgedBalance.get_kind(debit_type) & (line.debit != 0))
                | (AgedBalance.get_kind(credit_type) & (line.credit != 0)))
        maturity = Coalesce(line.maturity_date, move.date)
        amount = line.debit - line.credit
        buckets = []
        for _, start, end in AGE_BUCKETS:
            condition = maturity <= date - dt.timedelta(days=start)
            if end is not None:
                condition &= maturity >= date - dt.timedelta(days=end)
            buckets.append(
                Sum(Case((condition, amount), else_=0)).as_('b%d' % start))

        party_ids = [getattr(p, 'id', p) for p in parties]
        result = {p: cls._overdue_receivables_empty() for p in party_ids}
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            query = (line
                .join(move, condition=line.move == move.id)
                .join(account, condition=line.account == account.id)
                .join(type_, condition=account.type == type_.id)
                .join(debit_type, 'LEFT',
                    condition=account.debit_type == debit_type.id)
                .join(credit_type, 'LEFT',
                    condition=account.credit_type == credit_type.id)
                .join(reconciliation, 'LEFT',
                    condition=reconciliation.id == line.reconciliation)
                .select(
                    line.party.as_('party'), Sum(amount).as_('total'),
                    *buckets, Min(maturity).as_('oldest'),
                    where=(kind
                        & ((line.reconciliation == Null)
                            | (reconciliation.date > date))
                        & (move.date <= date)
                        & (maturity < date)
                        & (account.company == company.id)
                        & line.party.in_(list(sub_ids))),
                    group_by=[line.party]))
            if backend.name == 'sqlite':
                sqlite_apply_types(query,
                    [None] + ['NUMERIC'] * (len(buckets) + 1) + ['DATE'])
            cursor.execute(*query)
            for party_id, total, *amounts, oldest in cursor:
                values = result[party_id]
                values['total'] = total
                for (bucket, _, _), value in zip(AGE_BUCKETS, amounts):
                    values[bucket] = value
                values['oldest_maturity'] = oldest
        for values in result.values():
            for key in ['total'] + [b for b, _, _ in AGE_BUCKETS]:
                values[key] = currency.round(values[key])
        return result

    @classmethod
    def _overdue_receivables_empty(cls):
        values = {b: Decimal(0) for b, _, _ in AGE_BUCKETS}
        values.update({
                'total': Decimal(0),
                'oldest_maturity': None,
                })
        return values

    @classmethod
    def get_overdue_to_remind(cls, parties, company, date):
        """Return the overdue receivable lines of parties which are not
        dunned yet: unreconciled debits due before date"""
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        company_id = getattr(company, 'id', company)
        party_ids = [getattr(p, 'id', p) for p in parties]
        lines = []
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            lines.extend(MoveLine.search([
                        ('party', 'in', list(sub_ids)),
                        ('account.company', '=', company_id),
                        ('account.type.receivable', '=', True),
                        ('reconciliation', '=', None),
                        ('move.date', '<=', date),
                        ['OR',
                            ('maturity_date', '<', date),
                            [
                                ('maturity_date', '=', None),
                                ('move.date', '<', date),
                                ],
                            ],
                        ('dunnings', '=', None),
                        ],
                    order=[('party', 'ASC'), ('maturity_date', 'ASC'),
                        ('id', 'ASC')]))
        # A payment is not reminded
        return [l for l in lines if l.debit - l.credit > 0]

    @classmethod
    def remind_overdue(cls, parties, company, date):
        """Create the dunnings of the overdue receivables of parties which
        are not dunned yet and return them

        Each line gets the level its procedure reaches at date, or the
        first level: the user asks to remind the customer now."""
        pool = Pool()
        Dunning = pool.get('account.dunning')
        dunnings = []
        for line in cls.get_overdue_to_remind(parties, company, date):
            procedure = line.dunning_procedure
            if not procedure or not procedure.levels:
                raise ReminderError(gettext(
                        'sale_chain.msg_remind_no_procedure',
                        party=line.party.rec_name))
            dunning = None
            if line.maturity_date:
                dunning = Dunning._get_dunning(line, date)
            if not dunning:
                dunning = Dunning(
                    company=line.account.company, line=line,
                    procedure=procedure, level=procedure.levels[0])
            dunnings.append(dunning)
        Dunning.save(dunnings)
        return dunnings

    @classmethod
    def get_dunning_levels(cls, parties, company):
        """Return a dictionary party id: the highest level of the active
        dunnings of company (those of unreconciled lines) or None

        The levels rank in the order of their procedure (sequence, id).
        One query per slice of parties."""
        pool = Pool()
        Dunning = pool.get('account.dunning')
        Level = pool.get('account.dunning.level')
        MoveLine = pool.get('account.move.line')

        cursor = Transaction().connection.cursor()
        company_id = getattr(company, 'id', company)
        dunning = Dunning.__table__()
        level = Level.__table__()
        line = MoveLine.__table__()

        party_ids = [getattr(p, 'id', p) for p in parties]
        highest = {}
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*dunning
                .join(line, condition=dunning.line == line.id)
                .join(level, condition=dunning.level == level.id)
                .select(
                    line.party, level.id, level.sequence,
                    where=(
                        (dunning.company == company_id)
                        & (line.reconciliation == Null)
                        & line.party.in_(list(sub_ids)))))
            for party_id, level_id, sequence in cursor:
                # NULLS FIRST as sequence_ordered
                key = (sequence is not None, sequence or 0, level_id)
                if party_id not in highest or key > highest[party_id]:
                    highest[party_id] = key
        levels = Level.browse([k[-1] for k in highest.values()])
        levels = {l.id: l for l in levels}
        return {
            p: levels[highest[p][-1]] if p in highest else None
            for p in party_ids}
