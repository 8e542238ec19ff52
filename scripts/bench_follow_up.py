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
Prints the median of 5 runs in milliseconds; then the query plan of the
late tab; the printed follow-up (report sale_chain.follow_up, through its
report class) of REPORT_ROWS rows (environment, "10000" by default),
median of REPORT_RUNS (3) runs in seconds and the peak of Python memory,
as printed now (HTML + WeasyPrint, PDF) and by the former OpenDocument
template (ODT as it was served, and converted by LibreOffice); last, one
run of the weekly repair task on the open orders, another after the
follow-up values of 1 % of the orders were erased and another after every
move was written (all open orders to recompute), in a process of its own
unless the database is in memory.

    TRYTOND_DATABASE_URI=postgresql://postgres@127.0.0.1:55442/ \\
        .venv/bin/python scripts/bench_follow_up.py [10000 50000 100000]
    TRYTOND_DATABASE_URI=sqlite:// DB_NAME=:memory: \\
        .venv/bin/python scripts/bench_follow_up.py 10000
    BENCH_PARTS=report REPORT_ROWS="1000 10000" ... bench_follow_up.py 10000
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

from bench_common import create_category  # noqa: E402

# --refresh COMPANY: the repair task alone, on the existing database, in
# a process of its own (its peak memory is then its own)
REFRESH_CHILD = sys.argv[1:2] == ['--refresh']
SIZES = (not REFRESH_CHILD and [int(s) for s in sys.argv[1:]]) or [
    10000, 50000, 100000]
RUNS = 5
REPORT_ROWS = [
    int(n) for n in os.environ.get('REPORT_ROWS', '10000').split()]
REPORT_RUNS = int(os.environ.get('REPORT_RUNS', 3))
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
    category = create_category(accounts)
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


def _orders(data, start, stop, today):
    "Yield the values of the orders start..stop-1 (0-based)"
    day = dt.timedelta(days=1)
    parties = data['parties']
    for n in range(start, stop):
        # kind: 0-69 delivered, 70-79 late, 80-94 due later, 95-99 waiting
        kind = n % 100
        sale_date = today - (n % 700 + 10) * day
        party, address = parties[n % len(parties)]
        if kind < 70:
            planned = sale_date + 7 * day
        elif kind < 80:
            planned = today - (1 + n % 20) * day
        elif kind < 95:
            planned = today + (1 + n % 30) * day
        else:
            planned = today + (n % 10) * day
        delivered = sale_date + (5 + n % 4) * day if kind < 70 else None
        prepared = sale_date + 4 * day if kind < 70 else None
        if kind < 40:
            state = 'paid'
        elif kind < 60:
            state = 'invoiced'
        elif kind < 70:
            state = 'delivered'
        elif 80 <= kind < 95:
            state = 'in_preparation'
        else:
            state = 'awaiting_stock'
        if kind < 70:
            shipment_state = 'done'
        elif 80 <= kind < 95:
            shipment_state = 'assigned'
        else:
            shipment_state = 'waiting'
        yield dict(
            n=n, kind=kind, sale_date=sale_date, party=party,
            address=address, planned=planned, delivered=delivered,
            prepared=prepared, state=state, shipment_state=shipment_state,
            sale_state='done' if kind < 40 else 'processing')


def _insert(cursor, name, columns, rows):
    "Insert rows in the table name, a few hundred per statement"
    from sql import Table
    table = Table(name)
    columns = [getattr(table, c) for c in columns]
    rows = iter(rows)
    while True:
        chunk = [r for _, r in zip(range(200), rows)]
        if not chunk:
            break
        cursor.execute(*table.insert(columns, chunk))


def fill(cursor, data, start, stop, today):
    """Insert the orders start..stop-1 (0-based) with bulk SQL, their
    follow-up values being those Sale._follow_up_values would store"""
    now = dt.datetime.now()
    bases = {}
    for table in [
            'sale_sale', 'sale_line', 'stock_shipment_out', 'stock_move',
            'account_invoice', 'account_invoice_line']:
        cursor.execute('SELECT COALESCE(MAX(id), 0) FROM %s' % table)
        base, = cursor.fetchone()
        bases[table] = base - start + 1
    sale, line = bases['sale_sale'], bases['sale_line']
    shipment, move = bases['stock_shipment_out'], bases['stock_move']
    invoice, invoice_line = (
        bases['account_invoice'], bases['account_invoice_line'])
    orders = list(_orders(data, start, stop, today))
    _insert(cursor, 'sale_sale', [
            'id', 'company', 'currency', 'party', 'invoice_address',
            'shipment_address', 'warehouse', 'number', 'reference',
            'description', 'sale_date', 'state', 'invoice_method',
            'shipment_method', 'invoice_state', 'shipment_state',
            'create_uid', 'create_date', 'follow_up_state',
            'follow_up_planned_date', 'follow_up_open_date',
            'follow_up_delivered_date', 'follow_up_prepared_date',
            'follow_up_on_time', 'follow_up_remaining',
            'follow_up_reminder_count'], (
            [sale + o['n'], data['company'], data['currency'], o['party'],
                o['address'], o['address'], data['warehouse'],
                'SO%d' % o['n'], 'PO%d' % o['n'], '', o['sale_date'],
                o['sale_state'], 'order', 'order',
                {'paid': 'paid', 'invoiced': 'awaiting payment'}.get(
                    o['state'], 'pending'),
                'sent' if o['kind'] < 70 else 'waiting', 1, now,
                o['state'], o['planned'],
                o['planned'] if o['kind'] >= 70 else None,
                o['delivered'], o['prepared'],
                o['kind'] < 70 and o['delivered'] <= o['planned'],
                0 if o['kind'] < 70 else 10, 0]
            for o in orders))
    _insert(cursor, 'sale_line', [
            'id', 'sale', 'sequence', 'type', 'product', 'quantity', 'unit',
            'unit_price', 'description', 'create_uid', 'create_date'], (
            [line + o['n'], sale + o['n'], 1, 'line', data['product'], 10,
                data['unit'], Decimal(10), 'Vis', 1, now]
            for o in orders))
    _insert(cursor, 'stock_shipment_out', [
            'id', 'company', 'customer', 'delivery_address', 'warehouse',
            'warehouse_output', 'warehouse_storage', 'number', 'reference',
            'state', 'planned_date', 'origin_planned_date',
            'effective_date', 'prepared_date', 'create_uid',
            'create_date'], (
            [shipment + o['n'], data['company'], o['party'], o['address'],
                data['warehouse'], data['output'], data['storage'],
                'BL%d' % o['n'], 'SO%d' % o['n'], o['shipment_state'],
                o['planned'], o['planned'], o['delivered'], o['prepared'],
                1, now]
            for o in orders))
    _insert(cursor, 'stock_move', [
            'id', 'company', 'product', 'unit', 'quantity',
            'internal_quantity', 'from_location', 'to_location', 'state',
            'planned_date', 'origin_planned_date', 'effective_date',
            'origin', 'shipment', 'unit_price', 'currency', 'create_uid',
            'create_date'], (
            [move + o['n'], data['company'], data['product'], data['unit'],
                10, 10, data['output'], data['customer_loc'],
                'done' if o['kind'] < 70 else 'assigned',
                o['planned'], o['planned'], o['delivered'],
                'sale.line,%d' % (line + o['n']),
                'stock.shipment.out,%d' % (shipment + o['n']),
                Decimal(10), data['currency'], 1, now]
            for o in orders))
    # The invoiced and paid orders have their invoice, the document chain
    # reads them
    invoiced = [o for o in orders if o['kind'] < 60]
    _insert(cursor, 'account_invoice', [
            'id', 'company', 'type', 'party', 'invoice_address',
            'currency', 'account', 'journal', 'number', 'reference',
            'invoice_date', 'accounting_date', 'state',
            'total_amount_cache', 'untaxed_amount_cache',
            'tax_amount_cache', 'sequence_type_cache', 'create_uid',
            'create_date'], (
            [invoice + o['n'], data['company'], 'out', o['party'],
                o['address'], data['currency'], data['receivable'],
                data['journal'], 'F%d' % o['n'], 'PO%d' % o['n'],
                o['delivered'], o['delivered'],
                'paid' if o['kind'] < 40 else 'posted',
                Decimal(100), Decimal(100), Decimal(0), 'invoice', 1, now]
            for o in invoiced))
    _insert(cursor, 'account_invoice_line', [
            'id', 'invoice', 'invoice_type', 'party', 'company',
            'currency', 'sequence', 'type', 'product', 'quantity', 'unit',
            'unit_price', 'account', 'description', 'origin',
            'create_uid', 'create_date'], (
            [invoice_line + o['n'], invoice + o['n'], 'out', o['party'],
                data['company'], data['currency'], 1, 'line',
                data['product'], 10, data['unit'], Decimal(10),
                data['revenue'], 'Vis', 'sale.line,%d' % (line + o['n']),
                1, now]
            for o in invoiced))
    postgresql = os.environ['TRYTOND_DATABASE_URI'].startswith('postgresql')
    for table in bases:
        if postgresql:
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
    # BENCH_PARTS narrows what follows, e.g. "report"
    parts = os.environ.get('BENCH_PARTS', 'plan report refresh').split()
    if 'plan' in parts:
        explain_late(database, data['company'])
    if 'report' in parts:
        measure_report(database, data['company'])
    if 'refresh' in parts:
        measure_refresh(database, data['company'])


def explain_late(database, company):
    "Print the query plans of the first page and the count of the late tab"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database, 1, context={
                'company': company,
                'companies': [company],
                '_check_access': True,
                }) as transaction:
        pool = Pool()
        FollowUp = pool.get('sale.follow_up')
        late = [('late', '=', True)]
        page = FollowUp.search(late, limit=80, query=True)
        rows, params = tuple(FollowUp.search(late, order=[], query=True))
        count = ('SELECT COUNT(*) FROM (%s) AS c' % rows, params)
        cursor = transaction.connection.cursor()
        for name, (sql, params) in [
                ('first page', tuple(page)), ('count', count)]:
            if os.environ['TRYTOND_DATABASE_URI'].startswith('postgresql'):
                cursor.execute('EXPLAIN ANALYZE ' + sql, params)
            else:
                cursor.execute('EXPLAIN QUERY PLAN ' + sql, params)
            print("plan of the late tab, %s:" % name)
            for row in cursor.fetchall():
                print('   ', ' '.join(str(c) for c in row))


def measure_report(database, company):
    """Print the time and the peak of Python memory to render the
    follow-up report of REPORT_ROWS rows: as printed now (HTML converted to
    PDF by WeasyPrint) and by the former OpenDocument template (read from
    git), as it was served (ODT) and converted to PDF by LibreOffice when
    soffice is there"""
    import shutil
    import tracemalloc

    from bench_reports import Action, odt_template
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    # The commit which replaced the .fodt by the HTML template
    revision = '05ea6a8^'
    with Transaction().start(database, 1, context={
                'company': company,
                'companies': [company],
                '_check_access': True,
                }):
        pool = Pool()
        FollowUp = pool.get('sale.follow_up')
        ActionReport = pool.get('ir.action.report')
        Report = pool.get('sale_chain.follow_up', type='report')
        action, = ActionReport.search([
                ('report_name', '=', 'sale_chain.follow_up'),
                ])
        fodt = odt_template(revision, 'follow_up.fodt')
        variants = [('HTML + WeasyPrint', Action(action))]
        odt = Action(action, fodt, 'odt')
        odt.extension = 'odt'
        variants.append(('former ODT', odt))
        if shutil.which('soffice'):
            variants.append(
                ('former ODT + LibreOffice', Action(action, fodt, 'odt')))
        for count in REPORT_ROWS:
            ids = [r.id for r in FollowUp.search([], limit=count)]
            records = Report._get_records(ids, 'sale.follow_up', {})
            for label, variant in variants:
                result = []

                def render():
                    context = Report.get_context(records, {}, {})
                    data = Report.render(variant, context)
                    result[:] = Report.convert(variant, data)

                seconds = measure(render, runs=REPORT_RUNS) / 1000
                tracemalloc.start()
                render()
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                oext, content = result
                print("report of %d rows, %s: %.1f s, peak %.0f MiB "
                    "(%s, %d kB)" % (len(ids), label, seconds,
                        peak / 1024 / 1024, oext, len(content) // 1024),
                    flush=True)


def measure_refresh(database, company):
    """Run measure_refresh_here in a process of its own, unless the
    database lives only in this one"""
    import subprocess
    if database == ':memory:':
        return measure_refresh_here(database, company)
    subprocess.run([sys.executable, os.path.abspath(__file__),
            '--refresh', str(company)], check=True)


def measure_refresh_here(database, company):
    """Print the time and peak memory of one run of the weekly repair task
    on the open orders, then of a run after the follow-up values of 1 % of
    the orders were erased (the task commits its batches)"""
    import resource
    from sql import Null, Table
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    context = {'company': company, 'companies': [company]}
    with Transaction().start(database, 0, context=context):
        Sale = Pool().get('sale.sale')
        count = Sale.search([
                ('state', 'in', ['confirmed', 'processing']),
                ], count=True)

    def run():
        with Transaction().start(
                database, 0, context=context) as transaction:
            Sale = Pool().get('sale.sale')
            start = time.perf_counter()
            Sale.refresh_follow_up()
            transaction.commit()
            return time.perf_counter() - start

    elapsed = run()
    print("refresh task: %.1f s for %d open orders, peak RSS %d MB" % (
            elapsed, count,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))
    sale = Table('sale_sale')
    with Transaction().start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute(*sale.update(
                [sale.follow_up_state, sale.follow_up_planned_date],
                [Null, Null], where=(sale.id % 100) == 7))
        transaction.commit()
    elapsed = run()
    with Transaction().start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute(*sale.select(
                sale.id, where=(sale.follow_up_state == Null)
                & (sale.state != 'draft')))
        left = len(cursor.fetchall())
    print("refresh task after erasing 1 %%: %.1f s, %d left without "
        "follow-up, peak RSS %d MB" % (
            elapsed, left,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))
    # The worst case: every delivery changed since its sale was written
    move = Table('stock_move')
    with Transaction().start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute(*move.update(
                [move.write_date], [dt.datetime.now()]))
        transaction.commit()
    elapsed = run()
    print("refresh task after touching every move: %.1f s, "
        "peak RSS %d MB" % (
            elapsed,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))


if __name__ == '__main__':
    if REFRESH_CHILD:
        from proteus import config
        config.set_trytond(os.environ['DB_NAME'])
        measure_refresh_here(os.environ['DB_NAME'], int(sys.argv[2]))
    else:
        main()
