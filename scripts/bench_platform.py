#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the e-invoicing platform: sending posted invoices to the
local platform and polling their lifecycle statuses.

    .venv/bin/python scripts/bench_platform.py [--invoices 1000]
        [--statuses 10000] [--no-openapi] [--tracemalloc] [--real-pdf]

Builds a French company with an account on the local platform
(tests/platform_server.py, started in this process: a werkzeug thread on
127.0.0.1 which validates every request and response against the OpenAPI
of the Flow Service, and every uploaded invoice with the module's
validator) and INVOICES posted invoices to French business customers.
They are posted in transactions of this script, so the queued tasks are
not run by a dispatcher: the Factur-X PDF is frozen by calling
print_invoice as its task would, the einvoice_upload tasks are dropped —
the queue "missed" them, and every invoice waits, never attempted, for
the scheduled job.  To save WeasyPrint's layout of each, the PDF of the
invoices after the first ten is a one-page PDF/A-3b laid out once into
which the report embeds each invoice's own CII (--real-pdf: all laid
out).  Then it times, as the scheduler calls them (user 0,
ir.cron run_once for the company):

1. "Send Invoices to the E-Invoicing Platform" (einvoice_send_pending),
   from a new HTTP client (so one token);
2. "Fetch E-Invoice Statuses" (einvoice_fetch_statuses) once the platform
   holds STATUSES lifecycle flows: the "déposée" of each upload and the
   rest issued in rounds over the invoices (each round one more status to
   every invoice, none a dead end);
3. the same job again, nothing new.

Each with its wall time, its rate, its HTTP requests (the client's count
and the platform's by path), the platform's own time (the sum of its
request handlers, of which the OpenAPI validation and the validation of
the uploaded invoices) and the peak resident memory of the process during
the step (VmHWM, reset before it); --tracemalloc adds the peak of the
Python allocations (and slows the steps); --no-openapi turns the
platform's OpenAPI validation off.  SQLite in memory by default;
TRYTOND_DATABASE_URI and DB_NAME choose another database.
"""
import argparse
import logging
import os
import resource
import sys
import time
import tracemalloc
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
if os.environ['TRYTOND_DATABASE_URI'].startswith('sqlite'):
    os.environ.setdefault('DB_NAME', ':memory:')
else:
    os.environ.setdefault('DB_NAME', 'bench_platform')

from proteus import Model  # noqa: E402
from trytond.modules.account.tests.tools import (  # noqa: E402
    create_chart, create_fiscalyear, create_tax, get_accounts)
from trytond.modules.account_invoice.tests.tools import (  # noqa: E402
    set_fiscalyear_invoice_sequences)
from trytond.modules.company.tests.tools import (  # noqa: E402
    create_company, get_company)
from trytond.modules.currency.tests.tools import get_currency  # noqa: E402
from trytond.pool import Pool  # noqa: E402
from trytond.tests.tools import activate_modules  # noqa: E402
from trytond.transaction import (  # noqa: E402
    Transaction, TransactionError)

from bench_common import create_category, make_french, siren  # noqa: E402
from platform_server import PlatformServer  # noqa: E402

CUSTOMERS = 10
LINES = 2
BATCH = 100
# The statuses issued after the déposée, in turn: none a dead end (they
# notify the accountants), nor "encaissée" (the seller's own)
CODES = ['202', '203', '204', '205', '207', '208', '209', '211', '214',
    '201', '206']


def euro_company(config=None):
    return create_company(currency=get_currency('EUR'))


def setup(server):
    "The French company, its platform account, its customers and drafts"
    config = activate_modules('sale_chain', euro_company, create_chart)
    company = get_company()
    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear())
    fiscalyear.click('create_period')
    accounts = get_accounts()
    tax = create_tax(Decimal('.20'))
    tax.unece_code = 'VAT'
    tax.unece_category_code = 'S'
    tax.save()
    category = create_category(accounts)
    category.customer_taxes.append(Model.get('account.tax')(tax.id))
    category.save()
    france = make_french(company, siret=True)
    Platform = Model.get('account.einvoice.platform')
    platform = Platform(
        company=company, name="PA locale", url=server.url,
        token_url=server.token_url, client_id=server.client_id,
        client_secret=server.client_secret)
    platform.save()
    unit, = Model.get('product.uom').find([('name', '=', 'Unit')])
    Template = Model.get('product.template')
    template = Template(
        name="Vis", code="VIS", type='goods', default_uom=unit,
        salable=True, list_price=Decimal('10'), account_category=category)
    template.save()
    product, = template.products
    Party = Model.get('party.party')
    Invoice = Model.get('account.invoice')
    drafts = []
    for i in range(CUSTOMERS):
        party = Party(name="Client %s" % i, customer_type='business')
        party.identifiers.new(
            type='fr_siren', code=siren('%08d' % (44306184 + 7919 * i)))
        caddress, = party.addresses
        caddress.street, caddress.postal_code, caddress.city = (
            "3 place du Marché", '38000', "Grenoble")
        caddress.country = france
        party.save()
        invoice = Invoice(type='out', party=party)
        for j in range(LINES):
            line = invoice.lines.new()
            line.product = product
            line.quantity = j + 1
            line.unit_price = Decimal('10.0000')
        drafts.append(invoice)
    Invoice.save(drafts)
    return config, company.id, platform.id, [d.id for d in drafts]


def post(config, draft_ids, count, real_pdf=False):
    """Copy the drafts up to count invoices and post them, batch by batch,
    freezing their Factur-X PDF; return their ids and the time taken

    The first batch's PDF is WeasyPrint's layout of the invoice; the
    others', unless real_pdf, a one-page PDF/A-3b laid out once, into
    which each invoice's own CII is embedded as the report does: the
    rest of the posting and of the report is as ever"""
    from trytond.modules.sale_chain import document
    pool = Pool(config.database_name)
    Invoice = pool.get('account.invoice')
    Queue = pool.get('ir.queue')
    context = dict(config.context, _skip_warnings=True)
    html_to_pdf = document.html_to_pdf
    stub = html_to_pdf('<html lang="fr"><title>Facture</title>'
        '<p>Facture</p></html>', 'pdf/a-3b')
    ids = []
    start = time.perf_counter()

    def post_batch(size):
        drafts = Invoice.browse(
            [draft_ids[i % len(draft_ids)] for i in range(size)])
        invoices = Invoice.copy(drafts)
        Invoice.post(invoices)
        # What the queued print_invoice does; the upload tasks are left
        # to the scheduled job
        Invoice.print_invoice(invoices)
        Transaction().tasks.clear()
        Queue.delete(Queue.search([]))
        return [i.id for i in invoices]
    try:
        while len(ids) < count:
            size = min(BATCH if ids else len(draft_ids), count - len(ids))
            ids.extend(transact(config.database_name, config.user, context,
                    post_batch, size))
            if not real_pdf:
                document.html_to_pdf = lambda html, variant=None: stub
            sys.stderr.write('posted %d invoices, %.0f s\n' % (
                    len(ids), time.perf_counter() - start))
    finally:
        document.html_to_pdf = html_to_pdf
    return ids, time.perf_counter() - start


_EXTRAS = {}


def transact(database_name, user, context, function, *args):
    """Call function in a transaction, started again with the locks it
    asks for as the dispatcher and the scheduler do (and at once the next
    time)"""
    extras = _EXTRAS.setdefault(function.__name__, {})
    while True:
        with Transaction().start(database_name, user, context=context,
                **extras) as transaction:
            try:
                return function(*args)
            except TransactionError as exception:
                transaction.rollback()
                exception.fix(extras)


class Meter:
    "Wall time, peak memory and the platform's time of one step"

    def __init__(self, server, python_peak=False):
        self.server = server
        self.python_peak = python_peak
        self.platform = 0
        self.openapi = 0
        self.invoice_check = 0
        self._patch()

    def _timed(self, function, attribute):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                setattr(self, attribute, getattr(self, attribute)
                    + time.perf_counter() - start)
        return timed

    def _patch(self):
        from trytond.modules.sale_chain.einvoice import Validator
        server = self.server
        server.dispatch = self._timed(server.dispatch, 'platform')
        if server.openapi:
            openapi = server.openapi
            openapi.validate_request = self._timed(
                openapi.validate_request, 'openapi')
            openapi.validate_response = self._timed(
                openapi.validate_response, 'openapi')
        # Called by the platform only once the invoices are posted
        Validator.validate = self._timed(Validator.validate, 'invoice_check')

    def __enter__(self):
        self.platform = self.openapi = self.invoice_check = 0
        with self.server.lock:
            self.server.requests = []
        self.rss_start = self._status('VmRSS')
        try:
            with open('/proc/self/clear_refs', 'w') as fp:
                fp.write('5')
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        if self.python_peak:
            tracemalloc.start()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *args):
        self.wall = time.perf_counter() - self.start
        self.python = None
        if self.python_peak:
            self.python = tracemalloc.get_traced_memory()[1] / 2 ** 20
            tracemalloc.stop()
        self.rss = self._status('VmHWM')
        with self.server.lock:
            paths = list(self.server.requests)
        self.paths = {}
        for path in paths:
            if path.startswith('/v1/flows/') and path != '/v1/flows/search':
                path = '/v1/flows/{flowId}'
            self.paths[path] = self.paths.get(path, 0) + 1

    @staticmethod
    def _status(key):
        "A memory figure of /proc/self/status in MiB"
        with open('/proc/self/status') as fp:
            for line in fp:
                if line.startswith(key + ':'):
                    return int(line.split()[1]) / 1024

    def report(self, label, items, client_requests):
        print("%s:" % label)
        print("  wall time: %.1f s, %.1f per second" % (
                self.wall, items / self.wall))
        print("  HTTP requests: %d by the client (%.2f per item), "
            "platform: %s" % (client_requests, client_requests / items,
                ', '.join('%s %d' % i for i in sorted(self.paths.items()))))
        print("  platform's own time: %.1f s (%.0f %%), of which OpenAPI "
            "validation %.1f s, invoice validation %.1f s" % (
                self.platform, 100 * self.platform / self.wall,
                self.openapi, self.invoice_check))
        memory = "  resident memory: %.0f MiB before, peak %.0f MiB%s" % (
            self.rss_start, self.rss,
            '' if self.hwm_reset else ' (of the whole process)')
        if self.python is not None:
            memory += ", Python allocations %.1f MiB" % self.python
        print(memory, flush=True)


def run_cron(config, company_id, method):
    "Run the scheduled job of method for the company as ir.cron.run does"
    def run():
        transaction = Transaction()
        Cron = Pool().get('ir.cron')
        cron, = Cron.search([('method', '=', method)])
        Cron.write([cron], {'companies': [('add', [company_id])]})
        with transaction.set_context(_cron=cron.method):
            Cron.run_once([Cron(cron.id)])
    transact(config.database_name, 0, {'_skip_warnings': True}, run)


def issue_statuses(server, count):
    """Issue statuses until the platform holds count lifecycle flows;
    return their number and the latest code of each invoice number"""
    flows = server.invoices()
    # Each upload was answered by its déposée
    latest = {f['invoice']['number']: '200' for f in flows}
    held = len([f for f in server.flows.values()
            if f['flowType'] == 'CustomerInvoiceLC'])
    round_ = 0
    while held < count:
        code = CODES[round_ % len(CODES)]
        for flow in flows:
            if held >= count:
                break
            server.add_status(flow, code)
            latest[flow['invoice']['number']] = code
            held += 1
        round_ += 1
    return held, latest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--invoices', type=int, default=1000)
    parser.add_argument('--statuses', type=int, default=10000)
    parser.add_argument('--no-openapi', action='store_true')
    parser.add_argument('--tracemalloc', action='store_true')
    parser.add_argument('--real-pdf', action='store_true')
    args = parser.parse_args()

    # Not a line a request
    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    server = PlatformServer().start()
    if args.no_openapi:
        server.openapi = None
    elif server.openapi_missing:
        sys.stderr.write('no OpenAPI validation: %s\n'
            % server.openapi_missing)
    try:
        config, company_id, platform_id, drafts = setup(server)
        ids, posting = post(
            config, drafts, args.invoices, real_pdf=args.real_pdf)
        pool = Pool(config.database_name)
        Invoice = pool.get('account.invoice')
        Status = pool.get('account.invoice.einvoice.status')
        Platform = pool.get('account.einvoice.platform')
        from trytond.modules.sale_chain.einvoice_platform import Client
        with Transaction().start(config.database_name, 0):
            waiting = Invoice.search_count([
                    ('id', 'in', ids),
                    ('einvoice_sending', '=', 'waiting'),
                    ('einvoice_send_attempts', '=', None),
                    ])
        assert waiting == len(ids), (waiting, len(ids))
        assert not server.requests, server.requests
        print("%s, %d invoices of %d lines to %d business customers, "
            "posted with their Factur-X PDF in %.0f s; platform in this "
            "process, OpenAPI validation %s" % (
                os.environ['TRYTOND_DATABASE_URI'].split(':')[0],
                len(ids), LINES, CUSTOMERS, posting,
                'on' if server.openapi else 'off'), flush=True)

        meter = Meter(server, python_peak=args.tracemalloc)

        def client():
            with Transaction().start(config.database_name, 0):
                return Platform(platform_id).client()

        # A new process of the scheduler: a new client, a new token
        Client.forget(platform_id)
        with meter:
            run_cron(config, company_id,
                'account.invoice|einvoice_send_pending')
        sent_requests = client().requests
        meter.report("send %d invoices" % len(ids), len(ids), sent_requests)
        with Transaction().start(config.database_name, 0):
            flow_ids = [i.einvoice_flow_id for i in Invoice.browse(ids)
                if i.einvoice_sending == 'sent']
        uploaded = server.invoices()
        assert len(flow_ids) == len(set(flow_ids)) == len(ids), (
            len(flow_ids), len(set(flow_ids)))
        assert len(uploaded) == len(ids), len(uploaded)
        assert set(flow_ids) == {f['flowId'] for f in uploaded}
        assert len({f['trackingId'] for f in uploaded}) == len(ids)
        assert not server.errors, server.errors[:5]
        print("  checked: %d invoices sent, each with its flow id; the "
            "platform holds %d invoice flows, none twice" % (
                len(flow_ids), len(uploaded)), flush=True)
        sizes = [len(f['content']) for f in uploaded]
        real = sizes if args.real_pdf else sizes[:len(drafts)]
        print("  uploaded Factur-X: %d laid out by WeasyPrint, %.0f kB "
            "each, %d on the one-page base, %.0f kB each" % (
                len(real), sum(real) / len(real) / 1000,
                len(sizes) - len(real), sum(sizes[len(real):])
                / max(len(sizes) - len(real), 1) / 1000), flush=True)

        start = time.perf_counter()
        held, latest = issue_statuses(server, args.statuses)
        sys.stderr.write('%d statuses issued in %.0f s\n' % (
                held, time.perf_counter() - start))
        before = client().requests
        with meter:
            run_cron(config, company_id,
                'account.invoice|einvoice_fetch_statuses')
        polled = client().requests - before
        meter.report("poll %d statuses (%d per invoice)" % (
                held, held // len(ids)), held, polled)
        with Transaction().start(config.database_name, 0):
            stored = Status.search_count([('direction', '=', 'in')])
            wrong = [i.number for i in Invoice.browse(ids)
                if i.einvoice_status != latest[i.number]]
        assert stored == held, (stored, held)
        assert not wrong, wrong[:5]
        assert not server.errors, server.errors[:5]
        print("  checked: %d statuses stored, each invoice's latest "
            "status the last issued" % stored, flush=True)

        before = client().requests
        with meter:
            run_cron(config, company_id,
                'account.invoice|einvoice_fetch_statuses')
        again = client().requests - before
        meter.report("poll again, nothing new", held, again)
        with Transaction().start(config.database_name, 0):
            assert Status.search_count(
                [('direction', '=', 'in')]) == held
        print("peak resident memory of the process: %.0f MiB" % (
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    finally:
        server.stop()


if __name__ == '__main__':
    main()
