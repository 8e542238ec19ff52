#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Measure the order follow-up at 10,000, 50,000 and 100,000 orders.

Creates the base data (company, customers, product, warehouse) through
Tryton, then fills sale_sale, sale_line, stock_shipment_out, stock_move,
account_invoice and account_invoice_line with bulk SQL (one line, one
delivery note and one move per order, an invoice for 60 %; 70 %
delivered, 10 % late, 15 % due later, 5 % waiting on stock with a past
preparation) and measures, through ModelStorage.search and read as the
client calls them (as the administrator, with access checks and record
rules), the first page of 80 rows of the list, of the "late" tab, the count
of late orders, the first page ordered by planned delivery date, and the
document chain of one order (its "Document Chain" tab: the sale's
chain_documents, then the rows' list fields; sale.chain.document is a
union of sales, delivery notes, returns and invoices; the invoiced and paid
orders, 60 %, have an invoice).
Prints the median of 5 runs in milliseconds; then the printed follow-up
(report sale_chain.follow_up, rendered through its report class as the
client calls it) of REPORT_ROWS rows, median of 3 runs in seconds; last,
one run of the weekly task refreshing the open orders (rolled back).

    TRYTOND_DATABASE_URI=postgresql://postgres@127.0.0.1:55442/ \\
        .venv/bin/python scripts/bench_follow_up.py [10000 50000 100000]
"""
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal

os.environ.setdefault(
    'TRYTOND_DATABASE_URI', 'postgresql://postgres@127.0.0.1:55442/')
os.environ.setdefault('DB_NAME', 'bench_follow_up')

from proteus import Model  # noqa: E402
from trytond.modules.account.tests.tools import (  # noqa: E402
    create_chart, get_accounts)
from trytond.modules.company.tests.tools import (  # noqa: E402
    create_company, get_company)
from trytond.tests.tools import activate_modules  # noqa: E402

SIZES = [int(s) for s in sys.argv[1:]] or [10000, 50000, 100000]
RUNS = 5
REPORT_ROWS = 10000
REPORT_RUNS = 3
CUSTOMERS = 200
LIST_FIELDS = [
    'number', 'sale_date', 'customer', 'customer.rec_name',
    'prepared_date', 'planned_date', 'delivered_date', 'comment', 'state',
    'delay', 'late', 'remaining_quantity', 'salesperson',
    'salesperson.rec_name', 'warehouse', 'warehouse.rec_name',
    'reminded_at', 'reminder_count', 'sale', 'rec_name', '_timestamp']
CHAIN_FIELDS = [
    'kind', 'number', 'reference', 'date', 'planned_date', 'effective_date',
    'state', 'amount', 'document', 'rec_name', '_timestamp']


def base_data():
    "Create through Tryton what the orders refer to"
    activate_modules('sale_chain', create_company, create_chart)
    accounts = get_accounts()
    Category = Model.get('product.category')
    category = Category(name="Bench", accounting=True)
    category.account_revenue = accounts['revenue']
    category.account_expense = accounts['expense']
    category.save()
    Uom = Model.get('product.uom')
    unit, = Uom.find([('name', '=', 'Unit')])
    Template = Model.get('product.template')
    template = Template(
        name="Vis", code="VIS", type='goods', default_uom=unit,
        salable=True, list_price=Decimal('10'), account_category=category)
    template.save()
    Party = Model.get('party.party')
    parties = [Party(name="Client %03d" % i) for i in range(CUSTOMERS)]
    for party in parties:
        party.addresses.new(city="Lyon")
    Party.save(parties)
    Location = Model.get('stock.location')
    warehouse, = Location.find([('type', '=', 'warehouse')])
    customer_loc, = Location.find([('type', '=', 'customer')])
    output, = Location.find([('code', '=', 'OUT')])
    storage, = Location.find([('code', '=', 'STO')])
    Journal = Model.get('account.journal')
    journal, = Journal.find([('code', '=', 'REV')])
    return {
        'receivable': accounts['receivable'].id,
        'revenue': accounts['revenue'].id,
        'journal': journal.id,
        'company': get_company().id,
        'currency': get_company().currency.id,
        'product': template.products[0].id,
        'unit': unit.id,
        'parties': [(p.id, p.addresses[0].id) for p in parties],
        'warehouse': warehouse.id,
        'customer_loc': customer_loc.id,
        'output': output.id,
        'storage': storage.id,
        }


def fill(cursor, data, start, stop, today):
    """Insert the orders start..stop-1 (0-based) with bulk SQL, their
    follow-up values being those Sale._follow_up_values would store"""
    params = dict(data, start=start, stop=stop, today=today,
        nparties=len(data['parties']))
    cursor.execute('CREATE TEMP TABLE IF NOT EXISTS bench_party '
        '(idx integer, party integer, address integer)')
    cursor.execute('TRUNCATE bench_party')
    cursor.execute('INSERT INTO bench_party VALUES ' + ','.join(
            '(%d, %d, %d)' % (i, p, a)
            for i, (p, a) in enumerate(data['parties'])))
    # kind: 0-69 delivered, 70-79 late, 80-94 due later, 95-99 waiting
    cursor.execute('DROP TABLE IF EXISTS bench_order')
    cursor.execute('''
        CREATE TEMP TABLE bench_order AS
        SELECT g AS n, g %% 100 AS kind,
            (%(today)s::date - (g %% 700) - 10) AS sale_date,
            (SELECT party FROM bench_party WHERE idx = g %% %(nparties)s)
                AS party,
            (SELECT address FROM bench_party WHERE idx = g %% %(nparties)s)
                AS address
        FROM generate_series(%(start)s, %(stop)s - 1) AS g''', params)
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM sale_sale')
    sale_base, = cursor.fetchone()
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM sale_line')
    line_base, = cursor.fetchone()
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM stock_shipment_out')
    shipment_base, = cursor.fetchone()
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM stock_move')
    move_base, = cursor.fetchone()
    params.update(
        sale_base=sale_base - start + 1, line_base=line_base - start + 1,
        shipment_base=shipment_base - start + 1,
        move_base=move_base - start + 1)
    cursor.execute('''
        ALTER TABLE bench_order
            ADD COLUMN planned date, ADD COLUMN delivered date,
            ADD COLUMN prepared date, ADD COLUMN fu_state varchar,
            ADD COLUMN sh_state varchar, ADD COLUMN sale_state varchar''')
    cursor.execute('''
        UPDATE bench_order SET
            planned = CASE
                WHEN kind < 70 THEN sale_date + 7
                WHEN kind < 80 THEN %(today)s::date - 1 - (n %% 20)
                WHEN kind < 95 THEN %(today)s::date + 1 + (n %% 30)
                ELSE %(today)s::date + (n %% 10) END,
            delivered = CASE WHEN kind < 70
                THEN sale_date + 5 + (n %% 4) END,
            prepared = CASE WHEN kind < 70 THEN sale_date + 4 END,
            fu_state = CASE
                WHEN kind < 40 THEN 'paid'
                WHEN kind < 60 THEN 'invoiced'
                WHEN kind < 70 THEN 'delivered'
                WHEN kind < 80 THEN 'awaiting_stock'
                WHEN kind < 95 THEN 'in_preparation'
                ELSE 'awaiting_stock' END,
            sh_state = CASE
                WHEN kind < 70 THEN 'done'
                WHEN kind < 80 THEN 'waiting'
                WHEN kind < 95 THEN 'assigned'
                ELSE 'waiting' END,
            sale_state = CASE WHEN kind < 40 THEN 'done'
                ELSE 'processing' END''', params)
    cursor.execute('''
        INSERT INTO sale_sale (id, company, currency, party, invoice_address,
            shipment_address, warehouse, number, reference, description,
            sale_date, state, invoice_method, shipment_method,
            invoice_state, shipment_state, create_uid, create_date,
            follow_up_state, follow_up_planned_date, follow_up_open_date,
            follow_up_delivered_date, follow_up_prepared_date,
            follow_up_on_time, follow_up_remaining,
            follow_up_reminder_count)
        SELECT %(sale_base)s + n, %(company)s, %(currency)s, party, address,
            address, %(warehouse)s, 'SO' || n, 'PO' || n, '',
            sale_date, sale_state, 'order', 'order',
            CASE fu_state WHEN 'paid' THEN 'paid'
                WHEN 'invoiced' THEN 'awaiting payment'
                ELSE 'pending' END,
            CASE WHEN kind < 70 THEN 'sent' ELSE 'waiting' END,
            1, now(),
            fu_state, planned,
            CASE WHEN kind >= 70 THEN planned END,
            delivered, prepared,
            kind < 70 AND delivered <= planned,
            CASE WHEN kind < 70 THEN 0 ELSE 10 END, 0
        FROM bench_order''', params)
    cursor.execute('''
        INSERT INTO sale_line (id, sale, sequence, type, product, quantity,
            unit, unit_price, description, create_uid, create_date)
        SELECT %(line_base)s + n, %(sale_base)s + n, 1, 'line',
            %(product)s, 10, %(unit)s, 10, 'Vis', 1, now()
        FROM bench_order''', params)
    cursor.execute('''
        INSERT INTO stock_shipment_out (id, company, customer,
            delivery_address, warehouse, warehouse_output,
            warehouse_storage, number, reference, state,
            planned_date, origin_planned_date, effective_date,
            prepared_date, create_uid, create_date)
        SELECT %(shipment_base)s + n, %(company)s, party, address,
            %(warehouse)s, %(output)s, %(storage)s, 'BL' || n, 'SO' || n,
            sh_state, planned, planned, delivered, prepared, 1, now()
        FROM bench_order''', params)
    cursor.execute('''
        INSERT INTO stock_move (id, company, product, unit, quantity,
            internal_quantity, from_location, to_location, state,
            planned_date, origin_planned_date, effective_date, origin,
            shipment, unit_price, currency, create_uid, create_date)
        SELECT %(move_base)s + n, %(company)s, %(product)s, %(unit)s, 10,
            10, %(output)s, %(customer_loc)s, CASE WHEN kind < 70 THEN
                'done' ELSE 'assigned' END,
            planned, planned, delivered,
            'sale.line,' || (%(line_base)s + n),
            'stock.shipment.out,' || (%(shipment_base)s + n),
            10, %(currency)s, 1, now()
        FROM bench_order''', params)
    # The invoiced and paid orders have their invoice, the document chain
    # reads them
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM account_invoice')
    invoice_base, = cursor.fetchone()
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM account_invoice_line')
    invoice_line_base, = cursor.fetchone()
    params.update(
        invoice_base=invoice_base - start + 1,
        invoice_line_base=invoice_line_base - start + 1)
    cursor.execute('''
        INSERT INTO account_invoice (id, company, type, party,
            invoice_address, currency, account, journal, number, reference,
            invoice_date, accounting_date, state, total_amount_cache,
            untaxed_amount_cache, tax_amount_cache, sequence_type_cache,
            create_uid, create_date)
        SELECT %(invoice_base)s + n, %(company)s, 'out', party, address,
            %(currency)s, %(receivable)s, %(journal)s, 'F' || n, 'PO' || n,
            delivered, delivered,
            CASE WHEN kind < 40 THEN 'paid' ELSE 'posted' END,
            100, 100, 0, 'invoice', 1, now()
        FROM bench_order WHERE kind < 60''', params)
    cursor.execute('''
        INSERT INTO account_invoice_line (id, invoice, invoice_type,
            party, company, currency, sequence, type, product, quantity,
            unit, unit_price, account, description, origin, create_uid,
            create_date)
        SELECT %(invoice_line_base)s + n, %(invoice_base)s + n, 'out',
            party, %(company)s, %(currency)s, 1, 'line', %(product)s, 10,
            %(unit)s, 10, %(revenue)s, 'Vis',
            'sale.line,' || (%(line_base)s + n), 1, now()
        FROM bench_order WHERE kind < 60''', params)
    for table in [
            'sale_sale', 'sale_line', 'stock_shipment_out', 'stock_move',
            'account_invoice', 'account_invoice_line']:
        cursor.execute(
            "SELECT setval('%s_id_seq', (SELECT MAX(id) FROM %s))"
            % (table, table))
        cursor.execute('ANALYZE %s' % table)


def create_indexes(database):
    "Create the indexes of every model, which the test databases skip"
    from trytond.model import ModelSQL
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, 0) as transaction:
        pool = Pool()
        for _, model in pool.iterobject():
            if (issubclass(model, ModelSQL)
                    and not model._is_table_query()
                    and hasattr(model, '_update_sql_indexes')):
                model.__setup_indexes__()
                if model._sql_indexes:
                    model._update_sql_indexes()
        transaction.commit()


def measure(func, runs=RUNS):
    "Return the median time of func in milliseconds"
    from trytond.transaction import Transaction
    # Untimed: the first call fills the caches of the pool
    func()
    times = []
    for _ in range(runs):
        Transaction().cache.clear()
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    data = base_data()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    database = os.environ['DB_NAME']
    create_indexes(database)
    print("backend: %s" % os.environ['TRYTOND_DATABASE_URI'].split(':')[0])
    header = "%8s %12s %12s %12s %14s %12s %10s" % (
        "orders", "page (ms)", "late (ms)", "count (ms)",
        "by date (ms)", "chain (ms)", "late")
    rows = []
    done = 0
    today = dt.date.today()
    for size in SIZES:
        with Transaction().start(database, 0) as transaction:
            fill(transaction.connection.cursor(), data, done, size, today)
            transaction.commit()
        done = size
        with Transaction().start(database, 1, context={
                    'company': data['company'],
                    'companies': [data['company']],
                    '_check_access': True,
                    }) as transaction:
            pool = Pool()
            FollowUp = pool.get('sale.follow_up')
            late = [('late', '=', True)]

            def page(domain, order=None):
                records = FollowUp.search(domain, limit=80, order=order)
                FollowUp.read([r.id for r in records], LIST_FIELDS)
                return records

            assert len(page([])) == 80
            if not rows:
                # The bulk values are those the hooks would store
                Sale = pool.get('sale.sale')
                sample = Sale.search([], limit=300, order=[('id', 'ASC')])
                wrong = [
                    s.id for s in sample
                    if any(getattr(s, k) != v
                        for k, v in s._follow_up_values().items())]
                print("bulk values checked on %d orders: %d differ" % (
                        len(sample), len(wrong)), flush=True)
            count = FollowUp.search_count(late)
            Sale = pool.get('sale.sale')
            ChainDocument = pool.get('sale.chain.document')
            # An order of the middle of the table, with its delivery note
            middle, = Sale.search(
                [], offset=size // 2, limit=1, order=[('id', 'ASC')])

            def chain():
                sale, = Sale.read([middle.id], ['chain_documents'])
                assert len(sale['chain_documents']) in {2, 3}
                ChainDocument.read(sale['chain_documents'], CHAIN_FIELDS)

            rows.append("%8d %12.1f %12.1f %12.1f %14.1f %12.1f %10d" % (
                    size,
                    measure(lambda: page([])),
                    measure(lambda: page(late)),
                    measure(lambda: FollowUp.search_count(late)),
                    measure(lambda: page(
                            [], order=[('planned_date', 'ASC')])),
                    measure(chain),
                    count))
            print(rows[-1], flush=True)
    print(header)
    print('\n'.join(rows))
    measure_report(database, data['company'])
    measure_refresh(database, data['company'])


def measure_report(database, company):
    "Print the time to render the follow-up report of REPORT_ROWS rows"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, 1, context={
                'company': company,
                'companies': [company],
                '_check_access': True,
                }):
        pool = Pool()
        FollowUp = pool.get('sale.follow_up')
        FollowUpReport = pool.get('sale_chain.follow_up', type='report')
        ids = [r.id for r in FollowUp.search([], limit=REPORT_ROWS)]
        result = []

        def render():
            result[:] = FollowUpReport.execute(ids, {})

        ms = measure(render, runs=REPORT_RUNS)
        oext, content = result[0], result[1]
        print("report of %d rows: %.1f s (%s, %d kB)" % (
                len(ids), ms / 1000, oext, len(content) // 1024))


def measure_refresh(database, company):
    """Print the time of one run of the weekly task which refreshes the
    follow-up of the open orders (rolled back)"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, 0, context={
                'company': company,
                'companies': [company],
                }) as transaction:
        pool = Pool()
        Sale = pool.get('sale.sale')
        count = Sale.search([
                ('state', 'in', ['confirmed', 'processing']),
                ], count=True)
        start = time.perf_counter()
        Sale.refresh_follow_up()
        elapsed = time.perf_counter() - start
        transaction.rollback()
    print("refresh task: %.1f s for %d open orders" % (elapsed, count))


if __name__ == '__main__':
    main()
