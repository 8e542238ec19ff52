# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The DUPLICATA watermark of PDF invoice copies.

PDF output needs LibreOffice (soffice): without it the test is skipped,
except with CI=true where it fails.
"""
import io
import os
import shutil
import tempfile
import unittest
from decimal import Decimal

from trytond import config as tryton_config
from trytond.tests.test_tryton import drop_db

SOFFICE = shutil.which('soffice')
# Tryton's default, trytond/report/report.py
CONVERT_COMMAND = (
    'soffice --headless --nolockcheck --nodefault --norestore '
    '--convert-to "%(output_extension)s" --outdir "%(directory)s" '
    '"%(input_path)s"')


class InvoiceCopyPDFTestCase(unittest.TestCase):
    "Test the DUPLICATA watermark of PDF invoice copies"

    def setUp(self):
        if not SOFFICE:
            message = ("LibreOffice (soffice) is not installed: "
                "the PDF watermark of invoice duplicates is not tested")
            if os.environ.get('CI') == 'true':
                self.fail(message + " (required with CI=true)")
            self.skipTest(message)
        # A private LibreOffice profile: parallel conversions of other
        # processes must not lock it
        profile = tempfile.mkdtemp(prefix='sale_chain_lo_')
        self.addCleanup(shutil.rmtree, profile, True)
        if not tryton_config.has_section('report'):
            tryton_config.add_section('report')
        command = tryton_config.get(
            'report', 'convert_command', default=CONVERT_COMMAND)
        self.addCleanup(
            tryton_config.set, 'report', 'convert_command', command)
        tryton_config.set('report', 'convert_command',
            'soffice --headless --nolockcheck --nodefault --norestore '
            '-env:UserInstallation=file://%s '
            '--convert-to "%%(output_extension)s" '
            '--outdir "%%(directory)s" "%%(input_path)s"' % profile)

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
        ActionReport = Model.get('ir.action.report')
        action, = ActionReport.find([
                ('report_name', '=', 'account.invoice'),
                ('model', '=', 'account.invoice'),
                ])
        action.extension = 'pdf'
        action.save()

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

        invoice.reload()
        self.assertEqual(
            [l.kind for l in reversed(invoice.print_logs)],
            ['original', 'duplicate'])
        self.assertEqual({l.format for l in invoice.print_logs}, {'pdf'})
        # The duplicate stamps the frozen original, which stays intact
        self.assertEqual(invoice.report_integrity, 'intact')
        del config
