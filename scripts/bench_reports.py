#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time and memory of the customer documents: the former ODT templates
converted by LibreOffice (soffice) against the HTML templates converted by
WeasyPrint.

    .venv/bin/python scripts/bench_reports.py [--runs 5] [--odt-rev REV]

The documents are those of tests/test_documents.py (devis, acknowledgment,
delivery note, invoice, credit note, deposit invoice, a 62-line invoice) on
an SQLite database in memory. Each one is rendered and converted --runs
times by the report class; the time is the median. The memory is the peak
of Python allocations during one run (tracemalloc) and, for LibreOffice,
the peak resident size of the soffice process. The ODT templates are read
from the git revision --odt-rev (by default the last one that had them).
"""
import argparse
import copy
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
os.environ.setdefault('DB_NAME', ':memory:')
os.environ.setdefault(
    'DB_CACHE', os.path.join(ROOT, 'var', 'bench-reports-cache'))

# name: (report name, ODT template)
DOCUMENTS = [
    ('quotation', 'sale_chain.quotation', 'quotation.fodt'),
    ('acknowledgment', 'sale_chain.acknowledgment', 'acknowledgment.fodt'),
    ('delivery_note', 'stock.shipment.out.delivery_note',
        'delivery_note.fodt'),
    ('invoice', 'account.invoice', 'invoice.fodt'),
    ('credit_note', 'account.invoice', 'invoice.fodt'),
    ('deposit', 'account.invoice', 'invoice.fodt'),
    ('invoice_long', 'account.invoice', 'invoice.fodt'),
    ]


class Action:
    "A stand-in of the report action with another template"

    def __init__(self, action, content=None, template_extension=None):
        self.report_name = action.report_name
        self.translatable = action.translatable
        self.extension = 'pdf'
        self.template_extension = (
            template_extension or action.template_extension)
        self.report_content = (
            content if content is not None else action.report_content)
        self._template = None

    # As ir.action.report: the parsed template is kept, a copy rendered
    def get_template_cached(self):
        if self._template is not None:
            return copy.copy(self._template)

    def set_template_cached(self, template):
        self._template = copy.deepcopy(template)


def odt_revision():
    "Return the last git revision which had the ODT templates"
    deleted = subprocess.run(
        ['git', 'log', '-1', '--format=%H', '--diff-filter=D', '--',
            'report/invoice.fodt'],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    return deleted + '^' if deleted else 'HEAD'


def odt_template(revision, name):
    return subprocess.run(
        ['git', 'show', '%s:report/%s' % (revision, name)],
        cwd=ROOT, capture_output=True, check=True).stdout


def render(Report, action, records):
    "Render and convert the records as the report does, without its cache"
    context = Report.get_context(records, {}, {})
    data = Report.render(action, context)
    return Report.convert(action, data)


def measure(Report, action, records, runs):
    "Return the median time, the peak of Python memory and the format"
    times = []
    format_ = None
    for _ in range(runs):
        start = time.perf_counter()
        format_, _ = render(Report, action, records)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    render(Report, action, records)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak, format_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--odt-rev', default=None)
    args = parser.parse_args()
    soffice = shutil.which('soffice')

    sys.path.insert(0, ROOT)
    from trytond import config as tryton_config
    from trytond.modules.sale_chain.tests.test_documents import (
        DocumentsTestCase)
    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME
    from trytond.transaction import Transaction

    print("building the documents...", file=sys.stderr)
    documents = DocumentsTestCase.make_documents()
    revision = args.odt_rev or odt_revision()

    profile = tempfile.mkdtemp(prefix='sale_chain_bench_lo_')
    if not tryton_config.has_section('report'):
        tryton_config.add_section('report')
    # A private profile, and /usr/bin/time would not be there everywhere:
    # the peak of the children is read from getrusage
    tryton_config.set('report', 'convert_command',
        'soffice --headless --nolockcheck --nodefault --norestore '
        '-env:UserInstallation=file://%s '
        '--convert-to "%%(output_extension)s" '
        '--outdir "%%(directory)s" "%%(input_path)s"' % profile)

    rows = []
    # soffice writes a line per conversion on the standard output
    sys.stdout.flush()
    stdout = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            ActionReport = pool.get('ir.action.report')
            for name, report_name, fodt in DOCUMENTS:
                record, _ = documents[name]
                Report = pool.get(report_name, type='report')
                action, = ActionReport.search([
                        ('report_name', '=', report_name),
                        ('template_extension', '=', 'html'),
                        ], limit=1)
                model = action.model
                with Transaction().set_context(address_with_party=True):
                    records = Report._get_records([record.id], model, {})
                    html = Action(action)
                    html_time, html_peak, html_format = measure(
                        Report, html, records, args.runs)
                    if soffice:
                        odt = Action(
                            action, odt_template(revision, fodt), 'odt')
                        # LibreOffice starts cold the first time
                        render(Report, odt, records)
                        odt_time, odt_peak, odt_format = measure(
                            Report, odt, records, args.runs)
                        child_peak = resource.getrusage(
                            resource.RUSAGE_CHILDREN).ru_maxrss * 1024
                    else:
                        odt_time = odt_peak = child_peak = odt_format = None
                rows.append((name, html_time, html_peak, html_format,
                        odt_time, odt_peak, child_peak, odt_format))
    finally:
        os.dup2(stdout, 1)
        os.close(devnull)
        shutil.rmtree(profile, ignore_errors=True)

    mib = 1024 * 1024
    print('| document | HTML + WeasyPrint | peak (Python) '
        '| ODT + LibreOffice | peak (Python / soffice) |')
    print('|---|---:|---:|---:|---:|')
    for (name, html_time, html_peak, html_format,
            odt_time, odt_peak, child_peak, odt_format) in rows:
        if odt_time is None:
            odt = 'no soffice'
            odt_memory = ''
        else:
            odt = '%.2f s' % odt_time
            if odt_format != 'pdf':
                odt += ' (%s, not converted)' % odt_format
            odt_memory = '%.1f / %.0f MiB' % (
                odt_peak / mib, child_peak / mib)
        print('| %s | %.2f s | %.1f MiB | %s | %s |' % (
                name, html_time, html_peak / mib, odt, odt_memory))


if __name__ == '__main__':
    main()
