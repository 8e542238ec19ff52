#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Measure the order control on sales of 1, 50 and 200 lines.

Prints, for each size, the SQL queries the control issues and its wall time.
The number of queries must not grow with the number of lines.

    .venv/bin/python scripts/bench_control.py            # SQLite
    TRYTOND_DATABASE_URI=postgresql://postgres@127.0.0.1:55432/ \\
        .venv/bin/python scripts/bench_control.py        # PostgreSQL
"""
import os
import sys
import time
from decimal import Decimal

os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
os.environ.setdefault('DB_NAME', ':memory:' if os.environ[
        'TRYTOND_DATABASE_URI'].startswith('sqlite') else 'bench_control')

from proteus import Model  # noqa: E402
from trytond.modules.account.tests.tools import (  # noqa: E402
    create_chart, get_accounts)
from trytond.modules.company.tests.tools import create_company  # noqa: E402
from trytond.tests.tools import activate_modules  # noqa: E402

from bench_common import CountingCursor, create_category  # noqa: E402

SIZES = [int(s) for s in sys.argv[1:]] or [1, 50, 200]


def main():
    config = activate_modules('sale_chain', create_company, create_chart)
    category = create_category(get_accounts())
    Uom = Model.get('product.uom')
    unit, = Uom.find([('name', '=', 'Unit')])
    Template = Model.get('product.template')
    templates = []
    for i in range(max(SIZES)):
        templates.append(Template(
                name="Product %d" % i, code="P%04d" % i, type='goods',
                default_uom=unit, salable=True,
                list_price=Decimal('10'), account_category=category))
    # Small batches: SQLite's parser limits the size of a query
    for i in range(0, len(templates), 20):
        Template.save(templates[i:i + 20])
    products = [t.products[0] for t in templates]
    Party = Model.get('party.party')
    customer = Party(name="Customer")
    customer.save()
    Sale = Model.get('sale.sale')
    sale_ids = {}
    for size in SIZES:
        sale = Sale(party=customer)
        for product in products[:size]:
            line = sale.lines.new()
            line.product = product
            line.quantity = 1
        sale.click('quote')
        sale_ids[size] = sale.id

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    print("backend: %s" % os.environ['TRYTOND_DATABASE_URI'].split(':')[0])
    print("%6s %8s %10s" % ("lines", "queries", "time (ms)"))
    with Transaction().start(
            config.database_name, config.user, context=config.context):
        pool = Pool()
        SaleModel = pool.get('sale.sale')
        Control = pool.get('sale.control')
        transaction = Transaction()
        connection = transaction.connection
        for size in SIZES:
            counter = []
            original = connection.cursor

            def cursor(*args, **kwargs):
                return CountingCursor(original(*args, **kwargs), counter)
            connection.cursor = cursor
            try:
                # A fresh transaction cache, as a new request would have
                transaction.cache.clear()
                sale = SaleModel(sale_ids[size])
                start = time.perf_counter()
                Control.run([sale], 'wizard')
                elapsed = (time.perf_counter() - start) * 1000
            finally:
                connection.cursor = original
            print("%6d %8d %10.1f" % (size, len(counter), elapsed))
        transaction.rollback()


if __name__ == '__main__':
    main()
