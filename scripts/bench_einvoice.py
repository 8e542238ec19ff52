#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Measure the electronic invoice of a French company.

    .venv/bin/python scripts/bench_einvoice.py

Builds a French company and COUNT draft invoices of LINES lines, then
prints: the first compilation of the stylesheets, the median time to
render and validate one invoice once they are compiled (warm), the time to
embed its CII into a PDF/A-3 (Factur-X), the time to post COUNT invoices
with the check (and so the Factur-X PDF that posting freezes) and without
it, and their ratio, and the peak memory of the process.
"""
import os
import resource
import statistics
import time
from decimal import Decimal
from unittest.mock import patch

COUNT = int(os.environ.get('COUNT', 100))
LINES = int(os.environ.get('LINES', 5))
REPEAT = int(os.environ.get('REPEAT', 20))

os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
if os.environ['TRYTOND_DATABASE_URI'].startswith('sqlite'):
    os.environ.setdefault('DB_NAME', ':memory:')
else:
    os.environ.setdefault('DB_NAME', 'bench_einvoice')

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
from trytond.transaction import Transaction  # noqa: E402

from bench_common import create_category, make_french, siren  # noqa: E402


def euro_company(config=None):
    return create_company(currency=get_currency('EUR'))


def setup():
    config = activate_modules('sale_chain', euro_company, create_chart)
    company = get_company()
    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear())
    fiscalyear.click('create_period')
    accounts = get_accounts()
    tax = create_tax(Decimal('.20'))
    tax.save()
    category = create_category(accounts)
    category.customer_taxes.append(Model.get('account.tax')(tax.id))
    category.save()
    france = make_french(company)
    party = Model.get('party.party')(name="Client")
    party.identifiers.new(type='fr_siren', code=siren('44306184'))
    caddress, = party.addresses
    caddress.street, caddress.postal_code, caddress.city = (
        "3 place du Marché", '38000', "Grenoble")
    caddress.country = france
    party.save()
    unit, = Model.get('product.uom').find([('name', '=', 'Unit')])
    Template = Model.get('product.template')
    template = Template(
        name="Vis", code="VIS", type='goods', default_uom=unit,
        salable=True, list_price=Decimal('10'), account_category=category)
    template.save()
    product, = template.products
    Invoice = Model.get('account.invoice')
    invoices = []
    # A set posted without the check, another with it
    for _ in range(2 * COUNT):
        invoice = Invoice(type='out', party=party)
        for i in range(LINES):
            line = invoice.lines.new()
            line.product = product
            line.quantity = i + 1
            line.unit_price = Decimal('10.0000')
        invoices.append(invoice)
    Invoice.save(invoices)
    return config, [i.id for i in invoices]


def main():
    config, ids = setup()
    without_ids, with_ids = ids[:COUNT], ids[COUNT:]
    Invoice = Pool(config.database_name).get('account.invoice')
    with Transaction().start(
            config.database_name, config.user, context=config.context):
        from trytond.modules.sale_chain.einvoice import Validator
        start = time.perf_counter()
        Validator.get()
        compile_time = time.perf_counter() - start
        durations, render = [], []
        for _ in range(REPEAT):
            start = time.perf_counter()
            findings = Invoice(ids[0]).einvoice_validate()
            durations.append(time.perf_counter() - start)
            start = time.perf_counter()
            Invoice(ids[0]).einvoice_render()
            render.append(time.perf_counter() - start)
        assert not findings, findings
        from trytond.modules.sale_chain.document import html_to_pdf
        pdf = html_to_pdf(
            '<html lang="fr"><title>Facture</title><p>Facture</p></html>',
            'pdf/a-3b')
        embed = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            Invoice(ids[0]).einvoice_pdf(pdf)
            embed.append(time.perf_counter() - start)
    Proxy = Model.get('account.invoice')

    def post(invoice_ids):
        start = time.perf_counter()
        Proxy.click([Proxy(i) for i in invoice_ids], 'post')
        return time.perf_counter() - start
    with patch.object(Invoice, 'check_einvoices', classmethod(
                lambda cls, invoices: None)):
        without = post(without_ids)
    with_check = post(with_ids)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("stylesheets compiled (first call): %.0f ms" % (
            compile_time * 1000))
    print("render one invoice of %d lines, warm: %.1f ms (median of %d)" % (
            LINES, statistics.median(render) * 1000, REPEAT))
    print("render + validate one invoice, warm: %.1f ms (median of %d)" % (
            statistics.median(durations) * 1000, REPEAT))
    print("render + embed the CII into a PDF/A-3, warm: %.1f ms" % (
            statistics.median(embed) * 1000))
    print("post %d invoices without the check: %.2f s" % (COUNT, without))
    print("post %d invoices with the check: %.2f s" % (COUNT, with_check))
    print("ratio: %.2f" % (with_check / without))
    print("peak memory: %.0f MiB" % peak)


if __name__ == '__main__':
    main()
