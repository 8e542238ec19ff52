# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction


@contextmanager
def count_queries(test):
    "Count the SQL statements run on the connection of the transaction"
    connection = Transaction().connection
    if not hasattr(connection, 'set_trace_callback'):
        test.skipTest("Counting queries needs SQLite")
    queries = []
    connection.set_trace_callback(queries.append)
    try:
        yield queries
    finally:
        connection.set_trace_callback(None)


class CustomerConditionTestCase(TestCase):
    "Test the customer conditions"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('sale_chain')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def _create_conditions(self, company, count):
        "Create count parties, every other one with a condition of today"
        pool = Pool()
        Party = pool.get('party.party')
        Condition = pool.get('sale.customer.condition')
        Date = pool.get('ir.date')
        today = Date.today()
        parties = Party.create([
                {'name': 'Customer %s' % i} for i in range(count)])
        Condition.create([{
                    'company': company.id,
                    'party': p.id,
                    'start_date': today - dt.timedelta(days=10),
                    'end_date': today + dt.timedelta(days=10),
                    'discount_rate': Decimal('0.05'),
                    } for p in parties[::2]])
        # An expired condition must not be taken
        Condition.create([{
                    'company': company.id,
                    'party': p.id,
                    'start_date': today - dt.timedelta(days=100),
                    'end_date': today - dt.timedelta(days=11),
                    'discount_rate': Decimal('0.5'),
                    } for p in parties[::2]])
        return parties

    @with_transaction()
    def test_get_applicable(self):
        "get_applicable returns the condition of each party on the date"
        pool = Pool()
        Condition = pool.get('sale.customer.condition')
        Date = pool.get('ir.date')
        company = create_company()
        with set_company(company):
            parties = self._create_conditions(company, 6)
            today = Date.today()

            conditions = Condition.get_applicable(parties, company, today)
            self.assertEqual(set(conditions), {p.id for p in parties})
            for i, party in enumerate(parties):
                condition = conditions[party.id]
                if i % 2:
                    self.assertIsNone(condition)
                else:
                    self.assertEqual(condition.party, party)
                    self.assertEqual(condition.discount_rate, Decimal('0.05'))

            past = Condition.get_applicable(
                [p.id for p in parties], company.id,
                today - dt.timedelta(days=50))
            self.assertEqual(
                {c.discount_rate for c in past.values() if c},
                {Decimal('0.5')})
            self.assertEqual(
                Condition.get_applicable(
                    parties, company, today + dt.timedelta(days=11)),
                dict.fromkeys(p.id for p in parties))
            self.assertEqual(Condition.get_applicable([], company), {})

            other = create_company(name="Other Company")
            self.assertEqual(
                Condition.get_applicable(parties, other, today),
                dict.fromkeys(p.id for p in parties))

    @with_transaction()
    def test_get_applicable_queries(self):
        "The queries of get_applicable do not grow with the parties"
        pool = Pool()
        Condition = pool.get('sale.customer.condition')
        company = create_company()
        with set_company(company):
            parties = self._create_conditions(company, 120)

            def run(parties):
                with count_queries(self) as queries:
                    conditions = Condition.get_applicable(parties, company)
                    rates = [
                        c.discount_rate for c in conditions.values() if c]
                return len(queries), rates

            few, few_rates = run(parties[:2])
            many, many_rates = run(parties)
            self.assertEqual(len(few_rates), 1)
            self.assertEqual(len(many_rates), 60)
            self.assertGreater(few, 0)
            self.assertEqual(few, many)


del TestCase
