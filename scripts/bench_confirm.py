#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Measure the confirmation of a sale with sale_chain against Tryton's own.

    scripts/bench_confirm.py module     # confirm with the order control
    scripts/bench_confirm.py core       # the same modules but sale_chain
    scripts/bench_confirm.py compare MODULE_DB CORE_DB

Each mode builds its own database with the same data: sales of 1, 50 and
200 lines, then a customer with 1, 10 and 100 open orders of 20 lines.  It
prints, for each sale, the SQL statements and the median wall time of
``Sale.confirm`` (control included when sale_chain is there) over REPEAT
runs, each rolled back.  Run both modes on the same backend and compare:

    TRYTOND_DATABASE_URI=postgresql://postgres@127.0.0.1:PORT/ \\
        .venv/bin/python scripts/bench_confirm.py module

``compare`` reuses the two databases the modes built (kept after their
run) and times the same quotations in both by turns, one confirm of each
in a row, so that a machine busy with something else slows both alike.
"""
import configparser
import os
import statistics
import sys
import time
from decimal import Decimal

MODE = sys.argv[1] if len(sys.argv) > 1 else 'module'
assert MODE in {'module', 'core', 'compare'}, MODE
REPEAT = int(os.environ.get('REPEAT', 5))
LINES = [1, 50, 200]
OPEN_ORDERS = [1, 10, 100]
OPEN_LINES = 20

os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
if os.environ['TRYTOND_DATABASE_URI'].startswith('sqlite'):
    os.environ.setdefault('DB_NAME', ':memory:')
else:
    os.environ.setdefault('DB_NAME', 'bench_confirm_%s' % MODE)

from proteus import Model  # noqa: E402
from trytond.modules.account.tests.tools import (  # noqa: E402
    create_chart, get_accounts)
from trytond.modules.company.tests.tools import create_company  # noqa: E402
from trytond.tests.tools import activate_modules  # noqa: E402

from bench_common import CountingCursor, create_category  # noqa: E402


def modules():
    "The modules of the mode: sale_chain, or what it depends on"
    if MODE == 'module':
        return ['sale_chain']
    parser = configparser.ConfigParser()
    parser.read(os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            'tryton.cfg'))
    return [m for m in parser.get('tryton', 'depends').split()
        if m not in {'ir', 'res'}]


def main():
    config = activate_modules(modules(), create_company, create_chart)
    category = create_category(get_accounts())
    Uom = Model.get('product.uom')
    unit, = Uom.find([('name', '=', 'Unit')])
    Template = Model.get('product.template')
    templates = []
    for i in range(max(LINES)):
        templates.append(Template(
                name="Product %d" % i, code="P%04d" % i, type='goods',
                default_uom=unit, salable=True,
                list_price=Decimal('10'), account_category=category))
    # Small batches: SQLite's parser limits the size of a query
    for i in range(0, len(templates), 20):
        Template.save(templates[i:i + 20])
    product_ids = [t.products[0].id for t in templates]
    Party = Model.get('party.party')
    customers = {}
    for name in ['lines'] + ['open %d' % n for n in OPEN_ORDERS]:
        party = Party(name=name)
        party.save()
        customers[name] = (party.id, party.addresses[0].id)

    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def quotations(customer, sizes):
        "Create quotations of sizes lines for customer, return their ids"
        party_id, address_id = customer
        with Transaction().start(
                config.database_name, config.user, context=config.context):
            Sale = Pool().get('sale.sale')
            sales = Sale.create([{
                        'party': party_id,
                        'invoice_address': address_id,
                        'shipment_address': address_id,
                        'lines': [('create', [{
                                        'product': p,
                                        'quantity': 1,
                                        'unit': unit.id,
                                        'unit_price': Decimal('10'),
                                        } for p in product_ids[:size]])],
                        } for size in sizes])
            Sale.quote(sales)
            return [s.id for s in sales]

    def confirm(sale_ids):
        extras = {}
        while True:
            with Transaction().start(
                    config.database_name, 0,
                    context=dict(config.context, _skip_warnings=True),
                    **extras) as transaction:
                Sale = Pool().get('sale.sale')
                try:
                    Sale.confirm(Sale.browse(sale_ids))
                    return
                except Exception as error:
                    if not hasattr(error, 'fix'):
                        raise
                    transaction.rollback()
                    error.fix(extras)

    def measure(sale_id):
        "Return the statements and median milliseconds of a confirm"
        runs = [confirm_once(
                config.database_name, config.user,
                dict(config.context, _skip_warnings=True), sale_id)
            for _ in range(REPEAT)]
        return (min(c for c, _ in runs),
            statistics.median(t for _, t in runs))

    backend = os.environ['TRYTOND_DATABASE_URI'].split(':')[0]
    print("mode: %s, backend: %s, %d runs each" % (MODE, backend, REPEAT))
    print("%-22s %10s %10s" % ("sale", "statements", "time (ms)"))
    for size, sale_id in zip(LINES, quotations(customers['lines'], LINES)):
        print("%-22s %10d %10.1f" % (
                "%d lines" % size, *measure(sale_id)))
    for count in OPEN_ORDERS:
        customer = customers['open %d' % count]
        confirm(quotations(customer, [OPEN_LINES] * count))
        sale_id, = quotations(customer, [1])
        print("%-22s %10d %10.1f" % (
                "1 line, %d open" % count, *measure(sale_id)))


def confirm_once(database, user, context, sale_id):
    """Confirm the sale in a transaction rolled back after it; return the
    SQL statements and the milliseconds of Sale.confirm"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(
            database, user, context=context,
            _lock_tables=['account_move_line', 'sale_sale',
                'sale_line']) as transaction:
        Sale = Pool(database).get('sale.sale')
        connection = transaction.connection
        counter = []
        original = connection.cursor

        def cursor(*args, **kwargs):
            return CountingCursor(original(*args, **kwargs), counter)
        connection.cursor = cursor
        try:
            sale = Sale(sale_id)
            start = time.perf_counter()
            Sale.confirm([sale])
            ms = (time.perf_counter() - start) * 1000
        finally:
            connection.cursor = original
        transaction.rollback()
        return len(counter), ms


def compare(databases):
    """Time the confirm of the same quotations in the module's and in the
    core's database by turns; print the medians and their ratio"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    targets = {}
    for database in databases:
        pool = Pool(database)
        pool.init()
        with Transaction().start(database, 0):
            User = pool.get('res.user')
            Sale = pool.get('sale.sale')
            admin, = User.search([('login', '=', 'admin')])
            context = User._get_preferences(admin, context_only=True)
            context['_skip_warnings'] = True
            sales = {}
            # The quotations the modes left: one by size and customer
            for sale in Sale.search(
                    [('state', '=', 'quotation')], order=[('id', 'ASC')]):
                sales.setdefault((len(sale.lines), sale.party.name), sale.id)
            targets[database] = admin.id, context, sales
    keys = sorted(set.intersection(*(set(t[2]) for t in targets.values())))
    times = {d: {k: [] for k in keys} for d in databases}
    counts = {d: {} for d in databases}
    for _ in range(REPEAT):
        for key in keys:
            for database in databases:
                user, context, sales = targets[database]
                count, ms = confirm_once(
                    database, user, context, sales[key])
                times[database][key].append(ms)
                counts[database][key] = count
    module, core = databases
    print("%d runs each, by turns" % REPEAT)
    print("%-22s %16s %16s %7s" % (
            "sale", "module (ms, st.)", "core (ms, st.)", "ratio"))
    for key in keys:
        lines, customer = key
        name = ("%d lines" % lines if customer == 'lines'
            else "1 line, %s" % customer)
        m = statistics.median(times[module][key])
        c = statistics.median(times[core][key])
        print("%-22s %10.1f %5d %10.1f %5d %7.2f" % (
                name, m, counts[module][key], c, counts[core][key], m / c))


if __name__ == '__main__':
    if MODE == 'compare':
        compare(sys.argv[2:4])
    else:
        main()
