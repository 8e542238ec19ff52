# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The customer documents as A4 PDF: devis, acknowledgment, delivery note,
invoice, credit note and deposit invoice, and the printed follow-up,
rendered by WeasyPrint and read back with pypdf."""
import datetime as dt
import io
import os
import unittest
from decimal import Decimal

from trytond.tests.test_tryton import drop_db

try:
    import weasyprint
except ImportError:
    weasyprint = None

A4 = (595.3, 841.9)
# Where the documents rendered are kept, beside the browser screenshots
KEEP = os.path.join(
    os.path.dirname(__file__), '..', 'var', 'test', 'documents')
A4_LANDSCAPE = (841.9, 595.3)
# Words of the English templates which must never be on a French document
ENGLISH = [
    ' of ', 'Invoice', 'Quantity', 'Page ', 'Total amount', 'Description:',
    'Unit Price', 'Amount', 'Delivery Note', 'Order No', 'Date:',
    'Payment Terms', 'Customer', 'Credit Note', 'Deposit', 'Reference',
    'Draft', 'Taxes', 'Quotation', 'Acknowledgment', 'with a share',
    'Received', 'Signature', 'Due Date',
    ]


def create_company_eur(config=None):
    "Create the company in euros"
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.currency.tests.tools import get_currency
    return create_company(
        currency=get_currency('EUR', config=config), config=config)


def pdf_pages(content):
    from trytond.modules.sale_chain.tests.tools import pdf_pages
    return pdf_pages(content)


class DocumentsTestCase(unittest.TestCase):
    "Test the customer documents in PDF"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not weasyprint:
            message = "WeasyPrint is not installed"
            if os.environ.get('CI') == 'true':
                raise AssertionError(message + " (required with CI=true)")
            raise unittest.SkipTest(message)
        try:
            cls.documents = cls.make_documents()
        except Exception:
            drop_db()
            raise

    @classmethod
    def tearDownClass(cls):
        drop_db()
        super().tearDownClass()

    @classmethod
    def make_documents(cls):
        "Return {name: (record, PDF)} of every customer document"
        from stdnum import luhn

        from proteus import Model, Report, Wizard
        from trytond.modules.account.tests.tools import (
            create_chart, create_fiscalyear, create_tax, get_accounts)
        from trytond.modules.account_invoice.tests.tools import (
            set_fiscalyear_invoice_sequences)
        from trytond.modules.company.tests.tools import get_company
        from trytond.modules.sale_chain.tests.tools import keep_pdf
        from trytond.modules.sale_advance_payment.tests.tools import (
            add_advance_payment_accounts, create_advance_payment_term)
        from trytond.tests.tools import activate_modules

        def siren(base8):
            return base8 + luhn.calc_check_digit(base8)

        config = activate_modules(
            'sale_chain', create_company_eur, create_chart)
        config.skip_warning = True
        Lang = Model.get('ir.lang')
        french, = Lang.find([('code', '=', 'fr')])
        french.click('load_translations')
        english, = Lang.find([('code', '=', 'en')])

        company = get_company()
        Country = Model.get('country.country')
        france = Country(name="France", code='FR')
        france.save()
        company.party.name = "Quincaillerie Lyonnaise"
        company.party.lang = french
        address, = company.party.addresses
        address.street = "12 rue de la République"
        address.postal_code = '69002'
        address.city = "Lyon"
        address.country = france
        company_siren = siren('73282932')
        company.party.identifiers.new(type='fr_siren', code=company_siren)
        key = (12 + 3 * (int(company_siren) % 97)) % 97
        company.party.identifiers.new(
            type='eu_vat', code='FR%02d%s' % (key, company_siren))
        company.party.save()
        company.legal_form = 'SARL'
        company.share_capital = Decimal('50000')
        company.trade_register = "RCS Lyon"
        company.save()

        fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear())
        fiscalyear.click('create_period')
        accounts = add_advance_payment_accounts(get_accounts())
        tax = create_tax(Decimal('.20'))
        tax.save()
        PaymentTerm = Model.get('account.invoice.payment_term')
        term = PaymentTerm(name="30 jours")
        line = term.lines.new(type='remainder')
        line.relativedeltas.new(days=30)
        term.save()
        Journal = Model.get('account.journal')
        PaymentMethod = Model.get('account.invoice.payment.method')
        cash_journal, = Journal.find([('type', '=', 'cash')])
        payment_method = PaymentMethod(name="Espèces", journal=cash_journal)
        payment_method.credit_account = accounts['cash']
        payment_method.debit_account = accounts['cash']
        payment_method.save()
        deposit_term = create_advance_payment_term(
            "Acompte 30 %", '0.3 * total_amount', accounts['advance_payment'],
            block_shipping=True, delay=0)
        deposit_term.save()

        Party = Model.get('party.party')

        def customer(name, lang, city, country):
            party = Party(name=name, lang=lang)
            address, = party.addresses
            address.street = "3 place du Marché"
            address.postal_code = '38000'
            address.city = city
            address.country = country
            party.save()
            return party
        martin = customer("Quincaillerie Martin", french, "Grenoble", france)
        martin.identifiers.new(type='fr_siren', code=siren('44306184'))
        martin.save()
        uk = Country(name="United Kingdom", code='GB')
        uk.save()
        smith = customer("Smith Hardware Ltd", english, "London", uk)

        ProductCategory = Model.get('product.category')
        category = ProductCategory(name="Comptabilité")
        category.accounting = True
        category.account_expense = accounts['expense']
        category.account_revenue = accounts['revenue']
        category.customer_taxes.append(tax)
        category.save()
        ProductUom = Model.get('product.uom')
        unit, = ProductUom.find([('name', '=', 'Unit')])
        ProductTemplate = Model.get('product.template')
        products = []
        for code, name, price in [
                ('VIS-INOX-M6X40', "Vis inox tête hexagonale M6x40",
                    Decimal('12.5000')),
                ('RONDELLE-M6', "Rondelle plate M6", Decimal('0.0450')),
                ]:
            template = ProductTemplate(name=name, code=code, type='goods')
            template.default_uom = unit
            template.salable = True
            template.list_price = price
            template.account_category = category
            template.save()
            products.append(template.products[0])
        Inventory = Model.get('stock.inventory')
        Location = Model.get('stock.location')
        storage, = Location.find([('code', '=', 'STO')])
        inventory = Inventory(location=storage)
        for product in products:
            inventory.lines.new(
                product=product, quantity=10000, expected_quantity=0)
        inventory.click('confirm')

        Sale = Model.get('sale.sale')
        Invoice = Model.get('account.invoice')

        def sell(party, deposit=False, extra=0):
            sale = Sale(party=party, payment_term=term)
            sale.reference = "BC-2026-0142"
            sale.delivery_terms = "Franco de port"
            sale.invoice_method = 'fulfillment'
            if deposit:
                sale.advance_payment_term = deposit_term
            for product, quantity in zip(products, [100, 2500]):
                line = sale.lines.new()
                line.product = product
                line.quantity = quantity
            for i in range(extra):
                line = sale.lines.new()
                line.product = products[i % 2]
                line.quantity = i + 1
            sale.click('quote')
            return sale

        documents = {}
        keep = os.environ.get('SALE_CHAIN_DOCUMENTS', KEEP)
        os.makedirs(keep, exist_ok=True)

        def render(name, report, record):
            _, content, _, _ = Report(report).execute([record], {})
            documents[name] = (record, bytes(content))
            # To look at the pages: the PDF and its pages as PNG
            keep_pdf(content, os.path.join(keep, name + '.pdf'))

        sale = sell(martin, deposit=True)
        render('quotation', 'sale_chain.quotation', sale)
        sale.click('confirm')
        render('acknowledgment', 'sale_chain.acknowledgment', sale)
        deposit_invoice, = sale.advance_payment_invoices
        deposit_invoice.click('post')
        render('deposit', 'account.invoice', deposit_invoice)
        pay = deposit_invoice.click('pay')
        pay.form.payment_method = payment_method
        pay.execute('choice')
        sale.reload()
        shipment, = sale.shipments
        shipment.click('assign_try')
        shipment.click('pick')
        shipment.click('pack')
        shipment.click('do')
        render('delivery_note', 'stock.shipment.out.delivery_note', shipment)
        sale.reload()
        invoice, = [i for i in sale.invoices if i != deposit_invoice]
        invoice.click('post')
        render('invoice', 'account.invoice', invoice)

        credit = Wizard('account.invoice.credit', [invoice])
        credit.form.with_refund = False
        Reason = Model.get('account.invoice.credit.reason')
        credit.form.reason, = Reason.find([('code', '=', 'DOM')])
        credit.form.description = "Vis livrées rouillées"
        credit.execute('credit')
        credit_note, = Invoice.find([
                ('id', 'not in', [invoice.id, deposit_invoice.id]),
                ('type', '=', 'out'),
                ])
        credit_note.click('post')
        render('credit_note', 'account.invoice', credit_note)

        # A line short of stock: the customer is told when it comes, in
        # French, by the e-mail of the acknowledgment
        from unittest.mock import patch
        martin.contact_mechanisms.new(
            type='email', value='achats@martin.example')
        martin.save()
        sale_short = Sale(party=martin, payment_term=term)
        line = sale_short.lines.new()
        line.product = products[0]
        line.quantity = 12000
        line = sale_short.lines.new()
        line.product = products[1]
        line.quantity = 10
        sale_short.click('quote')
        control = sale_short.click('control')
        control.execute('inform')
        control.form.expected_date = dt.date.today() + dt.timedelta(days=20)
        cls.inform_body = control.form.body
        with patch('trytond.ir.email_.send_message_transactional'):
            control.execute('send_inform')
        sale_short.reload()
        render(
            'acknowledgment_shortage', 'sale_chain.acknowledgment',
            sale_short)

        # An English customer reads every word in English
        sale_en = sell(smith)
        render('quotation_en', 'sale_chain.quotation', sale_en)
        # A long invoice runs on several pages
        sale_long = sell(martin, extra=60)
        sale_long.click('confirm')
        shipment, = sale_long.shipments
        shipment.click('assign_try')
        shipment.click('pick')
        shipment.click('pack')
        shipment.click('do')
        sale_long.reload()
        long_invoice, = sale_long.invoices
        long_invoice.click('post')
        render('invoice_long', 'account.invoice', long_invoice)
        # The second print is a copy of the frozen original
        render('invoice_long_duplicate', 'account.invoice', long_invoice)
        # A draft is watermarked by account_invoice_watermark
        draft = Invoice(type='out', party=martin, payment_term=term)
        line = draft.lines.new()
        line.product = products[0]
        line.quantity = 3
        line.unit_price = Decimal('12.50')
        draft.save()
        render('invoice_draft', 'account.invoice', draft)
        # The printed follow-up, in the language of the office
        config._context['language'] = 'fr'
        try:
            print_follow_up = Wizard('sale.follow_up.print')
            print_follow_up.form.from_date = dt.date.today().replace(day=1)
            print_follow_up.execute('print_')
        finally:
            config._context['language'] = 'en'
        (_, content, _, _), = print_follow_up.actions
        documents['follow_up'] = (None, bytes(content))
        if keep:
            with open(os.path.join(keep, 'follow_up.pdf'), 'wb') as fp:
                fp.write(content)
        cls.today = dt.date.today()
        return documents

    def assertDocument(self, name, number, title, french=True, size=A4):
        "Check the PDF of the document name and return its pages' text"
        from pypdf import PdfReader

        record, content = self.documents[name]
        self.assertTrue(content.startswith(b'%PDF-'), name)
        reader = PdfReader(io.BytesIO(content))
        for page in reader.pages:
            width, height = page.mediabox.width, page.mediabox.height
            self.assertAlmostEqual(float(width), size[0], delta=1)
            self.assertAlmostEqual(float(height), size[1], delta=1)
        pages = pdf_pages(content)
        for i, text in enumerate(pages, 1):
            self.assertIn(number, text, '%s page %s' % (name, i))
            self.assertIn('%s / %s' % (i, len(pages)), text)
        text = ' '.join(pages)
        self.assertIn(title, text)
        if french:
            english = [w for w in ENGLISH if w in text]
            self.assertEqual(english, [], name)
        return pages

    def test_quotation(self):
        "The devis: title, signature box, prices to 2 decimals"
        sale, _ = self.documents['quotation']
        pages = self.assertDocument('quotation', sale.number, 'DEVIS')
        self.assertEqual(len(pages), 1)
        text = pages[0]
        self.assertIn('Bon pour accord', text)
        self.assertIn('Date et signature', text)
        self.assertIn('12,50 €', text)
        # A price needing more decimals keeps them
        self.assertIn('0,045 €', text)
        self.assertIn('1 362,50 €', text.replace('\u202f', ' ').replace(
                '\xa0', ' '))
        self.assertIn(self.today.strftime('%d/%m/%Y'), text)
        self.assertIn('SIREN', text)
        self.assertIn('RCS Lyon', text)

    def test_quotation_english(self):
        "An English customer gets the devis in English"
        sale, _ = self.documents['quotation_en']
        pages = self.assertDocument(
            'quotation_en', sale.number, 'QUOTATION', french=False)
        text = ' '.join(pages)
        self.assertIn('Quantity', text)
        self.assertNotIn('Quantité', text)

    def test_acknowledgment(self):
        "The acknowledgment of the order"
        sale, _ = self.documents['acknowledgment']
        pages = self.assertDocument(
            'acknowledgment', sale.number,
            'ACCUSÉ DE RÉCEPTION DE COMMANDE')
        text = ' '.join(pages)
        self.assertIn('BC-2026-0142', text)
        self.assertIn('Acompte', text)

    def test_delivery_note(self):
        "The delivery note: the order and the quantities"
        shipment, _ = self.documents['delivery_note']
        pages = self.assertDocument(
            'delivery_note', shipment.number, 'BON DE LIVRAISON')
        text = ' '.join(pages)
        self.assertIn('BC-2026-0142', text)
        self.assertIn('2 500', text.replace('\u202f', ' ').replace(
                '\xa0', ' '))

    def test_invoice(self):
        "The invoice: mentions, delivery note and order per line, PDF/A-3b"
        from pypdf import PdfReader

        invoice, content = self.documents['invoice']
        pages = self.assertDocument('invoice', invoice.number, 'FACTURE')
        self.assertEqual(len(pages), 1)
        text = pages[0]
        for mention in [
                'SARL', 'RCS Lyon', 'SIREN', 'Nature de l\'opération',
                'Pénalités de retard', '40 €', 'Pas d\'escompte',
                'Bon de livraison', 'Acompte déduit', 'BC-2026-0142',
                'Échéance']:
            self.assertIn(mention, text)
        self.assertEqual(text.count('BC-2026-0142'), 1)
        self.assertNotIn('Description :', text)
        reader = PdfReader(io.BytesIO(content))
        metadata = reader.xmp_metadata
        self.assertIsNotNone(metadata)
        xml = metadata.stream.get_data().decode('utf-8')
        self.assertRegex(xml, r'pdfaid:part="3"|<pdfaid:part>3<')
        self.assertRegex(
            xml, r'pdfaid:conformance="B"|<pdfaid:conformance>B<')
        # PDF/A asks for the output intent and the language
        root = reader.trailer['/Root']
        self.assertIn('/OutputIntents', root)
        self.assertEqual(root['/Lang'], 'fr')

    def test_invoice_long(self):
        "A long invoice: the number and the page on every page"
        invoice, _ = self.documents['invoice_long']
        pages = self.assertDocument('invoice_long', invoice.number, 'FACTURE')
        self.assertGreater(len(pages), 1)
        # The totals and the mentions stay together on the last page
        self.assertIn('Total TTC', pages[-1])
        self.assertIn('40 €', pages[-1])

    def test_invoice_duplicate(self):
        "A copy of a PDF invoice: DUPLICATA on every page of the original"
        invoice, original = self.documents['invoice_long']
        _, duplicate = self.documents['invoice_long_duplicate']
        pages = self.assertDocument(
            'invoice_long_duplicate', invoice.number, 'FACTURE')
        self.assertEqual(len(pages), len(pdf_pages(original)))
        for text in pages:
            self.assertIn('DUPLICATA', text)
        self.assertNotIn('DUPLICATA', ' '.join(pdf_pages(original)))

    def test_invoice_draft(self):
        "A draft invoice: its title and the watermark, in French"
        _, content = self.documents['invoice_draft']
        pages = pdf_pages(content)
        self.assertEqual(len(pages), 1)
        self.assertIn('FACTURE (BROUILLON)', pages[0])
        self.assertIn('BROUILLON', pages[0].replace(
                'FACTURE (BROUILLON)', ''))
        self.assertEqual([w for w in ENGLISH if w in pages[0]], [])

    def test_credit_note(self):
        "The credit note: no payment schedule nor penalties"
        credit_note, _ = self.documents['credit_note']
        invoice, _ = self.documents['invoice']
        pages = self.assertDocument(
            'credit_note', credit_note.number, "FACTURE D'AVOIR")
        text = ' '.join(pages)
        self.assertIn(invoice.number, text)
        self.assertIn('Vis livrées rouillées', text)
        for word in ['Pénalités', '40 €', 'Échéance', 'escompte']:
            self.assertNotIn(word, text)

    def test_deposit_invoice(self):
        "The deposit invoice is titled as such"
        deposit, _ = self.documents['deposit']
        self.assertDocument('deposit', deposit.number, "FACTURE D'ACOMPTE")

    def test_acknowledgment_shortage(self):
        "A line short of stock: its date and a sentence, never the figures"
        sale, _ = self.documents['acknowledgment_shortage']
        pages = self.assertDocument(
            'acknowledgment_shortage', sale.number,
            'ACCUSÉ DE RÉCEPTION DE COMMANDE')
        text = ' '.join(' '.join(pages).split())
        date = (self.today + dt.timedelta(days=20)).strftime('%d/%m/%Y')
        self.assertIn(
            'Article [VIS-INOX-M6X40] Vis inox tête hexagonale M6x40 : '
            '12 000 u commandé(s),', text.replace('\u202f', ' '))
        self.assertIn('le reliquat à partir du %s' % date, text)
        # The control's internal figures never reach the customer
        self.assertNotIn('demandé', text)
        self.assertNotIn('disponible(s) au', text)
        # The short line prints no planned date; the other one does
        self.assertEqual(text.count('Livraison prévue :'), 1)
        body = ' '.join(self.inform_body.split())
        self.assertIn('Bonjour', body)
        self.assertIn('le reliquat à partir du %s' % date, body)

    def test_follow_up(self):
        "The printed follow-up: A4 landscape, the columns of the course"
        _, content = self.documents['follow_up']
        pages = self.assertDocument(
            'follow_up', 'Tableau de suivi des commandes',
            'TABLEAU DE SUIVI DES COMMANDES', size=A4_LANDSCAPE)
        text = ' '.join(pages)
        columns = [
            'N° commande', 'Date', 'Client', 'Date préparation',
            'Date livraison prévue', 'Livraison réelle', 'Commentaire',
            'Statut', 'Retard']
        positions = [text.index(c) for c in columns]
        self.assertEqual(positions, sorted(positions))
        sale, _ = self.documents['acknowledgment']
        self.assertIn('Quincaillerie Martin', text)
        self.assertIn(self.today.strftime('%d/%m/%Y'), text)
