# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The DUPLICATA watermark of PDF invoice copies.

The PDF is written by WeasyPrint: without it the test is skipped, except
with CI=true where it fails.
"""
import io
import os
import unittest
from decimal import Decimal

from trytond.tests.test_tryton import drop_db

try:
    import weasyprint
except ImportError:
    weasyprint = None


class InvoiceCopyPDFTestCase(unittest.TestCase):
    "Test the DUPLICATA watermark of PDF invoice copies"

    def setUp(self):
        if not weasyprint:
            message = ("WeasyPrint is not installed: "
                "the PDF watermark of invoice duplicates is not tested")
            if os.environ.get('CI') == 'true':
                self.fail(message + " (required with CI=true)")
            self.skipTest(message)

    def tearDown(self):
        drop_db()

    def test_invoice_copy_pdf_watermark(self):
        "The original PDF has no DUPLICATA, every later copy has it"
        from pypdf import PdfReader

        from proteus import Model, Report
        from trytond.modules.account.tests.tools import (
            create_chart, create_fiscalyear, get_accounts)
        from trytond.modules.account_invoice.tests.tools import (
            create_payment_term, set_fiscalyear_invoice_sequences)
        from trytond.modules.company.tests.tools import create_company
        from trytond.tests.tools import activate_modules

        def pdf_text(content):
            reader = PdfReader(io.BytesIO(content))
            return ' '.join(page.extract_text() for page in reader.pages)

        config = activate_modules('sale_chain', create_company, create_chart)

        fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear())
        fiscalyear.click('create_period')
        accounts = get_accounts()
        payment_term = create_payment_term()
        payment_term.save()
        Party = Model.get('party.party')
        customer = Party(name="Quincaillerie Martin")
        customer.save()

        Invoice = Model.get('account.invoice')
        invoice = Invoice(type='out', party=customer)
        invoice.payment_term = payment_term
        line = invoice.lines.new()
        line.account = accounts['revenue']
        line.description = "Vis inox"
        line.quantity = 10
        line.unit_price = Decimal('12.00')
        invoice.click('post')
        invoice.reload()
        self.assertEqual(invoice.invoice_report_format, 'pdf')
        self.assertEqual(invoice.report_integrity, 'intact')

        report = Report('account.invoice')
        format_, original, _, _ = report.execute([invoice])
        self.assertEqual(format_, 'pdf')
        text = pdf_text(original)
        self.assertIn(invoice.number, text)
        self.assertNotIn('DUPLICATA', text)

        format_, duplicate, _, _ = report.execute([invoice])
        self.assertEqual(format_, 'pdf')
        text = pdf_text(duplicate)
        self.assertIn(invoice.number, text)
        self.assertIn('DUPLICATA', text)
        # The stamp covers the original, which is not rendered again
        self.assertEqual(
            text.replace('DUPLICATA', '').split(), pdf_text(original).split())

        invoice.reload()
        self.assertEqual(
            [l.kind for l in reversed(invoice.print_logs)],
            ['original', 'duplicate'])
        self.assertEqual({l.format for l in invoice.print_logs}, {'pdf'})
        # The duplicate stamps the frozen original, which stays intact
        self.assertEqual(invoice.report_integrity, 'intact')
        del config
