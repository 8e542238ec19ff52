# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The sao web client in headless Chromium on a seeded demo database.

The database is built by scripts/demo.sh (the same as make demo) in
var/test/browser and served on BROWSER_TEST_PORT (default 8123).  Set
BROWSER_REUSE_DB=1 to keep an existing database between runs.
Screenshots are kept in var/test/screenshots.  The desktop client runs
on the same server under Xvfb (desktop_smoke.py), from a virtualenv of
the system's Python made in var/test/tryton-client.
"""
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAR = os.path.join(ROOT, 'var', 'test')
DEMO_DIR = os.path.join(VAR, 'browser')
SCREENSHOTS = os.path.join(VAR, 'screenshots')
PORT = int(os.environ.get('BROWSER_TEST_PORT', 8123))
URL = 'http://127.0.0.1:%s/' % PORT
PASSWORD = 'admin-demo'
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage',
    ]
# sao asks for these files which the demo does not serve
IGNORED_PATHS = ('custom.js', 'custom.css', 'locale/')


def demo_sh(command, **kwargs):
    env = dict(os.environ,
        DEMO_DIR=DEMO_DIR, DEMO_PORT=str(PORT), DEMO_PASSWORD=PASSWORD)
    return subprocess.Popen(
        [os.path.join(ROOT, 'scripts', 'demo.sh'), command],
        env=env, cwd=ROOT, **kwargs)


# The desktop client runs on the system's Python, where Debian puts GTK
DESKTOP_PYTHON = os.environ.get('DESKTOP_PYTHON', '/usr/bin/python3')
DESKTOP_VENV = os.path.join(VAR, 'tryton-client')
DESKTOP_IMPORTS = (
    "import gi; gi.require_version('Gtk', '3.0'); "
    "gi.require_version('GooCanvas', '2.0'); "
    "from gi.repository import Gtk, GooCanvas; import cairo")


def desktop_client_python(test):
    """Return the Python of a virtualenv with the Tryton 8.0 desktop client,
    made on the first call; skip test (fail it on CI) when it cannot run"""
    def missing(reason):
        if os.environ.get('CI') == 'true':
            test.fail(reason + ' (required with CI=true)')
        test.skipTest(reason)

    if not shutil.which('xvfb-run'):
        missing('xvfb-run not found; install xvfb and xauth (Debian)')
    if not os.path.exists(DESKTOP_PYTHON) or subprocess.run(
            [DESKTOP_PYTHON, '-c', DESKTOP_IMPORTS],
            capture_output=True).returncode:
        missing('GTK 3 for %s not found; install python3-gi python3-gi-cairo '
            'gir1.2-gtk-3.0 gir1.2-goocanvas-2.0 (Debian)' % DESKTOP_PYTHON)
    python = os.path.join(DESKTOP_VENV, 'bin', 'python')
    stamp = os.path.join(DESKTOP_VENV, '.installed')
    if not os.path.exists(stamp):
        shutil.rmtree(DESKTOP_VENV, ignore_errors=True)
        for command in [
                [DESKTOP_PYTHON, '-m', 'venv', '--system-site-packages',
                    DESKTOP_VENV],
                [python, '-m', 'pip', 'install', '-q', 'tryton==8.0.*',
                    'goocalendar']]:
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode:
                missing('the Tryton desktop client could not be installed: '
                    + (result.stderr or result.stdout)[-500:])
        open(stamp, 'w').close()
    return python


class SaoTestCase(unittest.TestCase):
    "Drive the sao web client"

    @classmethod
    def setUpClass(cls):
        from playwright.sync_api import sync_playwright
        if not os.environ.get('BROWSER_REUSE_DB'):
            shutil.rmtree(DEMO_DIR, ignore_errors=True)
        for command in ['sao', 'db']:
            if demo_sh(command).wait():
                raise RuntimeError('scripts/demo.sh %s failed' % command)
        os.makedirs(SCREENSHOTS, exist_ok=True)
        cls.log = open(os.path.join(VAR, 'browser-server.log'), 'wb')
        cls.server = demo_sh(
            'serve', stdout=cls.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        cls.addClassCleanup(cls.stop_server)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(URL, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if cls.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('the server did not start, see %s'
                    % cls.log.name)
            time.sleep(0.3)

        # The machine may be loaded: give the client the time of the page
        # timeout to show its values
        from playwright.sync_api import expect
        expect.set_options(timeout=20000)
        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)

    @classmethod
    def stop_server(cls):
        if cls.server.poll() is None:
            os.killpg(cls.server.pid, 15)
            cls.server.wait(timeout=20)
        cls.log.close()

    def setUp(self):
        # A new profile per test: sao keeps its session in the browser
        profile = tempfile.mkdtemp(prefix='sao-profile-')
        self.addCleanup(shutil.rmtree, profile, True)
        self.browser = self.playwright.chromium.launch_persistent_context(
            user_data_dir=profile, executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS,
            viewport={'width': 1400, 'height': 900}, locale='fr-FR')
        self.addCleanup(self.browser.close)
        self.page = self.browser.new_page()
        self.page.set_default_timeout(20000)
        self.errors = []
        self.page.on('pageerror', lambda e: self.errors.append(str(e)))
        self.page.on('response', self._check_response)

    def tearDown(self):
        # The last screen, to see where a failing test stopped
        self.screenshot('last-%s' % self._testMethodName)
        self.page.close()

    def _check_response(self, response):
        if response.status >= 400 and not any(
                p in response.url for p in IGNORED_PATHS):
            self.errors.append('%s %s' % (response.status, response.url))

    def screenshot(self, name):
        path = os.path.join(SCREENSHOTS, name + '.png')
        self.page.screenshot(path=path)
        return path

    def login(self, login='admin'):
        "Log in as login (the demo users share the admin's password)"
        page = self.page
        page.goto(URL)
        dialog = page.locator('.login-dialog')
        dialog.wait_for()
        # sao shows a select for several databases, an input for one
        database = dialog.locator('#database:visible').first
        database.wait_for()
        if database.evaluate('e => e.tagName') == 'SELECT':
            database.select_option('demo')
        elif database.is_editable():
            database.fill('demo')
        dialog.locator('input#login').fill(login)
        dialog.locator('button[type=submit]').click()
        password = page.locator(
            '.ask-dialog input#ask-dialog-entry[type=password]')
        password.fill(PASSWORD)
        page.locator('.ask-dialog .modal-footer button.btn-primary').click()
        menu = page.locator('#menu')
        menu.get_by_text('Ventes', exact=True).first.wait_for()

    def open_menu(self, *names):
        "Open the menu entry at the path of names"
        menu = self.page.locator('#menu')
        previous, seen = None, 0
        for name in names:
            # A child entry may bear its parent's name: wait for it
            index = seen if name == previous else 0
            entries = menu.get_by_text(name, exact=True)
            entries.nth(index).wait_for()
            entries.nth(index).click()
            previous, seen = name, entries.count()

    def active_tab(self):
        return self.page.locator('#tabcontent > .tab-pane.active')

    def test_sale_reception_and_chain(self):
        "Open a sale, see its reception and its chain, open a BL from it"
        from playwright.sync_api import expect
        page = self.page
        self.login()
        self.screenshot('01-menu')

        # Ventes › Ventes, orders in progress, the one of Moreau Rénovation
        self.open_menu('Ventes', 'Ventes')
        tab = self.active_tab()
        tab.locator('table.tree').first.wait_for()
        # The filter tab shows a count badge beside its name
        tab.locator('a:visible').filter(
            has_text=re.compile(r'^\s*En traitement')).first.click()
        row = tab.locator('table.tree tbody tr').filter(
            has_text='Moreau Rénovation')
        row.first.wait_for()
        self.assertEqual(row.count(), 1)
        # Not on the party: its cell is a link to the party
        row.first.locator('td').filter(has_text='€').first.dblclick()

        form = self.active_tab().locator('.form').first
        form.wait_for()
        number = form.locator('input[name="number"]').first
        # The form shows its fields before their values
        expect(number).to_have_value(re.compile(r'\S'))
        sale_number = number.input_value()

        # Reception: how, from whom and when the order came in
        self.active_tab().get_by_role('tab', name='Réception').click()
        reception = self.active_tab().locator('.tab-pane.active').filter(
            has=page.locator('select[name="reception_channel"]')).first
        reception.wait_for()
        channel = reception.locator('select[name="reception_channel"]')
        expect(channel.locator('option:checked')).to_have_text('Courriel')
        document = reception.locator('select[name="reception_document"]')
        expect(document.locator('option:checked')).to_have_text(
            'Bon de commande préétabli')
        received = reception.locator('input[name="received_at"]').first
        expect(received).to_have_value(re.compile(r'\S'))
        self.screenshot('02-sale-reception')

        # The document chain: the order and its delivery notes
        self.active_tab().get_by_role(
            'tab', name='Chaîne documentaire').click()
        chain = self.active_tab().locator('.form-many2many:visible').first
        rows = chain.locator('table.tree tbody tr')
        # The list shows a placeholder row, then rows before their values:
        # wait for the values read
        expect(rows.filter(has_text='Commande').filter(
                has_text=sale_number)).to_have_count(1)
        delivery_notes = rows.filter(has_text='Bon de livraison')
        expect(delivery_notes).to_have_count(2)
        expect(delivery_notes.first.locator(
                'td[data-title^="Numéro"]')).to_have_text(re.compile(r'\S'))
        self.screenshot('03-sale-chain')

        # Open the first BL from the chain: a new tab titled by the BL,
        # with its form
        bl_number = delivery_notes.first.locator(
            'td[data-title^="Numéro"]').inner_text().strip()
        self.assertTrue(bl_number)
        tabs = page.locator('#tablist li')
        count = tabs.count()
        # A button of a list acts on the selected row
        delivery_notes.first.locator('td[data-title^="Numéro"]').click()
        expect(delivery_notes.first).to_have_class(re.compile(r'\bselected\b'))
        delivery_notes.first.get_by_role('button', name='Ouvrir').click()
        expect(tabs).to_have_count(count + 1)
        expect(page.locator('#tablist li.active')).to_contain_text(
            'Bon de livraison (%s)' % bl_number)
        shipment = self.active_tab().locator('.form').first
        shipment.wait_for()
        shipment_number = self.active_tab().locator(
            'input[name="number"]').first
        expect(shipment_number).to_have_value(bl_number)
        self.screenshot('04-delivery-note')
        # The BL shows the same chain, with the order in it
        self.active_tab().get_by_role(
            'tab', name='Chaîne documentaire').click()
        bl_chain = self.active_tab().locator(
            '.form-many2many:visible table.tree tbody tr')
        expect(bl_chain.filter(has_text='Commande').filter(
                has_text=sale_number)).to_have_count(1)
        self.screenshot('05-delivery-note-chain')
        self.assertEqual(self.errors, [])

    def test_credit_note_with_reason(self):
        "As the accountant, credit a posted invoice with its reason"
        from playwright.sync_api import expect
        page = self.page
        self.login('compta')
        # The overdue invoice of Dupont, unpaid
        invoice_number = self.open_invoice('Bâtiments Dupont')
        self.screenshot('20-invoice')

        # Action › Crédit: the wizard asks for the reason
        self.active_tab().locator('button#action').click()
        self.active_tab().locator('.dropdown-menu:visible').get_by_text(
            'Crédit', exact=True).click()
        dialog = page.locator('.wizard-dialog:visible')
        dialog.wait_for()
        reason = dialog.locator('input[name="reason"]').first
        reason.wait_for()
        reason.fill('DOM')
        reason.press('Tab')
        # sao opens its search window on the reasons
        search = page.locator('.modal-dialog:visible').filter(
            has_text='Marchandise endommagée').last
        search.locator('tr').filter(
            has_text='Marchandise endommagée').first.dblclick()
        expect(reason).to_have_value(re.compile('DOM'))
        dialog.locator('textarea[name="description"]').fill(
            "Lot de tiges filetées tordues à la livraison.")
        self.screenshot('21-credit-reason')
        dialog.locator('.modal-footer').get_by_role(
            'button', name='Crédit').click()
        dialog.wait_for(state='hidden')

        # The credit note opens, posted (with refund, it pays the invoice),
        # with its reason and the invoice it corrects
        credit_reason = self.active_tab().locator(
            'input[name="credit_reason"]').first
        expect(credit_reason).to_have_value(re.compile('DOM'))
        credited = self.active_tab().locator(
            'input[name="credited_invoice"]').first
        expect(credited).to_have_value(re.compile(re.escape(invoice_number)))
        state = self.active_tab().locator('select[name="state"]').first
        page.wait_for_function(
            """() => {
                const s = document.querySelector(
                    '#tabcontent > .tab-pane.active select[name="state"]');
                return s && s.selectedIndex >= 0
                    && ['Comptabilisé', 'Payée'].includes(
                        s.options[s.selectedIndex].text);
            }""")
        self.assertIn(
            state.evaluate('e => e.options[e.selectedIndex].text'),
            {'Comptabilisé', 'Payée'})
        self.screenshot('22-credit-note')
        self.assertEqual(self.errors, [])

    def test_invoice_printed_factur_x(self):
        """As the accountant, print a posted invoice from sao: an A4 PDF in
        French carrying its Factur-X XML, the E-invoice page says valid"""
        import base64
        import io

        import facturx
        from playwright.sync_api import expect
        from pypdf import PdfReader

        from trytond.modules.sale_chain.tests.test_documents import ENGLISH
        from trytond.modules.sale_chain.tests.tools import keep_pdf
        page = self.page
        self.login('compta')
        # A posted invoice of the demo (every one is a valid Factur-X); the
        # customer has a draft too, which the first tab may still show
        invoice_number = self.open_invoice('FA2026-', 'Garage Bernard')

        # The E-invoice page: the profile and the check at posting
        self.active_tab().locator('a[role="tab"]:visible').filter(
            has_text='Facture électronique').first.click()
        validity = self.active_tab().locator(
            'select[name="einvoice_validity"]').first
        validity.wait_for()
        expect(validity.locator('option:checked')).to_have_text('Valide')
        expect(self.active_tab().locator(
                'input[name="einvoice_profile"]').first).to_have_value(
            re.compile('EN 16931'))
        self.screenshot('25-invoice-einvoice-page')

        # Print › Facture: sao offers the file to download
        self.active_tab().locator('button#print').click()
        self.active_tab().locator('.dropdown-menu:visible').get_by_text(
            'Facture', exact=True).first.click()
        link = page.locator('.modal-dialog a[download]').first
        link.wait_for(state='attached', timeout=60000)
        self.screenshot('26-invoice-download')
        # The file sao offers, read from its blob URL
        data = page.evaluate(
            """async (url) => {
                const response = await fetch(url);
                const bytes = new Uint8Array(await response.arrayBuffer());
                let text = '';
                for (const byte of bytes) {
                    text += String.fromCharCode(byte);
                }
                return btoa(text);
            }""", link.get_attribute('href'))
        pdf = base64.b64decode(data)
        keep_pdf(pdf, os.path.join(
                SCREENSHOTS, 'invoice-%s.pdf' % invoice_number))

        reader = PdfReader(io.BytesIO(pdf))
        for pdf_page in reader.pages:
            box = pdf_page.mediabox
            self.assertEqual(
                (round(float(box.width)), round(float(box.height))),
                (595, 842))
            text = pdf_page.extract_text()
            self.assertIn(invoice_number, text)
            for word in ENGLISH:
                self.assertNotIn(word, text)
        self.assertIn('FACTURE', reader.pages[0].extract_text())
        name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
        self.assertEqual(name, 'factur-x.xml')
        self.assertIn(invoice_number.encode(), xml)
        self.assertEqual(self.errors, [])

    def open_invoice(self, *texts):
        """Open the posted customer invoice whose row has every text and
        return its number"""
        from playwright.sync_api import expect
        self.open_menu('Financier', 'Factures', 'Factures client')
        tab = self.active_tab()
        tab.locator('table.tree').first.wait_for()
        tab.locator('a:visible').filter(
            has_text=re.compile(r'^\s*Comptabilisés')).first.click()
        row = tab.locator('table.tree tbody tr')
        for text in texts:
            row = row.filter(has_text=text)
        row.first.wait_for()
        row.first.locator('td').filter(has_text='€').first.dblclick()
        number = self.active_tab().locator('input[name="number"]').first
        expect(number).to_have_value(re.compile(r'\S'))
        return number.input_value()

    def open_sale(self, filter_tab, party):
        "Open the sale of party from the filter tab of the sales"
        self.open_menu('Ventes', 'Ventes')
        tab = self.active_tab()
        tab.locator('table.tree').first.wait_for()
        tab.locator('a:visible').filter(
            has_text=re.compile(r'^\s*%s' % filter_tab)).first.click()
        row = tab.locator('table.tree tbody tr').filter(has_text=party)
        row.first.wait_for()
        self.assertEqual(row.count(), 1)
        row.first.locator('td').filter(has_text='€').first.dblclick()
        from playwright.sync_api import expect
        number = self.active_tab().locator('input[name="number"]').first
        expect(number).to_have_value(re.compile(r'\S'))
        return number.input_value()

    def test_control_override_confirm(self):
        "Control a blocked quotation, override it and confirm the order"
        from playwright.sync_api import expect
        page = self.page
        # The sales manager of the demo is in the override group
        self.login('direction')
        self.open_sale('Devis', 'Agencement Girard')
        self.active_tab().get_by_role(
            'button', name='Contrôler la commande').click()

        dialog = page.locator('.wizard-dialog:visible')
        dialog.wait_for()
        state = dialog.locator('select[name="state"]')
        expect(state.locator('option:checked')).to_have_text('Bloqué')
        checks = dialog.locator('table.tree tbody tr')
        # The blocking check is shown in red
        solvency = checks.filter(has_text='Solvabilité')
        expect(solvency).to_contain_text('Bloquant')
        expect(solvency).to_have_class(re.compile(r'\bdanger\b'))
        self.screenshot('10-control-blocked')

        # Blocked by solvency: cancelling is offered, paying cash is not;
        # the button that closes the wizard does not read "cancel"
        footer = dialog.locator('.modal-footer')
        expect(footer.get_by_role(
                'button', name='Fermer', exact=True)).to_be_visible()
        expect(footer.get_by_role(
                'button', name='Annuler', exact=True)).to_have_count(0)
        expect(footer.get_by_role(
                'button', name='Annuler la commande')).to_be_visible()
        expect(footer.get_by_role(
                'button', name='Exiger le comptant')).to_be_hidden()
        dialog.locator('.modal-footer').get_by_role(
            'button', name='Déroger').click()
        reason = dialog.locator('input[name="reason"]').first
        reason.wait_for()
        reason.fill('DIR')
        reason.press('Tab')
        # sao opens its search window on the reasons
        search = page.locator('.modal-dialog:visible').filter(
            has_text='Accord de la direction').last
        search.locator('tr').filter(
            has_text='Accord de la direction').first.dblclick()
        expect(reason).to_have_value(re.compile('DIR'))
        dialog.locator('textarea[name="text"]').fill(
            "Commande validée par la direction malgré l'assureur-crédit.")
        self.screenshot('11-control-override')
        dialog.locator('.modal-footer').get_by_role(
            'button', name='Déroger').click()
        expect(dialog.locator('select[name="state"]')).to_have_count(1)
        page.wait_for_function(
            """() => {
                const s = document.querySelector(
                    '.wizard-dialog select[name="state"]');
                return s && s.selectedIndex >= 0
                    && s.options[s.selectedIndex].text == 'Dérogé';
            }""")
        self.screenshot('12-control-overridden')
        dialog.locator('.modal-footer').get_by_role(
            'button', name='Confirmer la commande').click()
        # The confirmation controls the order again and processes it: give
        # a loaded machine time
        dialog.wait_for(state='hidden', timeout=60000)

        # The order is confirmed and its control stored
        state = self.active_tab().locator('select[name="state"]').first
        page.wait_for_function(
            """() => {
                const s = document.querySelector(
                    '#tabcontent > .tab-pane.active select[name="state"]');
                return s && s.selectedIndex >= 0
                    && s.options[s.selectedIndex].text != 'Devis';
            }""")
        self.assertIn(
            state.evaluate('e => e.options[e.selectedIndex].text'),
            {'Confirmée', 'En traitement'})
        self.screenshot('13-order-confirmed')
        self.assertEqual(self.errors, [])

    def stored_observations(self, text):
        "Return the number of sales and observations bearing text"
        path = os.path.join(DEMO_DIR, 'demo.sqlite')
        with contextlib.closing(sqlite3.connect(path)) as connection:
            cursor = connection.cursor()
            cursor.execute(
                'SELECT COUNT(*) FROM sale_sale WHERE follow_up_comment = ?',
                (text,))
            sales, = cursor.fetchone()
            cursor.execute(
                'SELECT COUNT(*) FROM sale_follow_up_observation '
                'WHERE text = ?', (text,))
            observations, = cursor.fetchone()
        return sales, observations

    def test_follow_up_late_and_observation(self):
        "See a late order in the follow-up and write its observation"
        from playwright.sync_api import expect
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
        page = self.page
        self.login()
        self.open_menu('Ventes', 'Suivi des commandes')
        tab = self.active_tab()
        tab.locator('table.tree').first.wait_for()
        tab.locator('a:visible').filter(
            has_text=re.compile(r'^\s*En retard')).first.click()
        # The rest of Moreau's partial delivery is late, and shown in red
        row = tab.locator('table.tree tbody tr').filter(
            has_text='Moreau Rénovation')
        row.first.wait_for()
        self.assertEqual(row.count(), 1)
        expect(row.first).to_have_class(re.compile(r'\bdanger\b'))
        self.assertIn(
            'En attente de stock',
            row.first.locator('td[data-title^="Statut"]').inner_text())
        self.screenshot('30-follow-up-late')

        # The observation is written in the list itself
        # Unique per run: a reused database keeps the former ones
        text = "Reliquat promis pour lundi (%s)." % time.strftime('%H:%M:%S')
        comment = 'td[data-title^="Observation"]'
        # A click makes the row current, a click on the current row edits
        # it; the row may be drawn again under the click or the editor,
        # which loses it: again
        cell = row.first.locator(comment)
        editor = row.first.locator('input[name="comment"]')
        for attempt in range(3):
            cell.click()
            try:
                editor.wait_for(timeout=3000)
            except PlaywrightTimeoutError:
                cell.click()
            try:
                editor.fill(text, timeout=5000)
                expect(editor).to_have_value(text, timeout=5000)
                editor.press('Tab', timeout=5000)
                break
            except (PlaywrightTimeoutError, AssertionError):
                if attempt == 2:
                    raise
        page.keyboard.press('Control+s')
        expect(row.first.locator(comment)).to_contain_text(text)
        self.screenshot('31-follow-up-observation')
        # Stored on the sale and in the history of its observations
        deadline = time.monotonic() + 10
        while self.stored_observations(text) != (1, 1):
            self.assertLess(time.monotonic(), deadline, "not stored")
            time.sleep(0.3)

        # Read back from the server: another filter tab searches and reads
        # the rows again
        tab.locator('a:visible').filter(
            has_text=re.compile(r'^\s*Toutes')).first.click()
        tab.locator('table.tree tbody tr').filter(
            has_text='Livrée').first.wait_for()
        tab.locator('a:visible').filter(
            has_text=re.compile(r'^\s*En retard')).first.click()
        row = tab.locator('table.tree tbody tr').filter(
            has_text='Moreau Rénovation')
        expect(row.first.locator(comment)).to_contain_text(text)
        self.screenshot('32-follow-up-observation-reloaded')
        self.assertEqual(self.errors, [])

    def assert_inside_viewport(self, locator, what):
        "Assert that locator is shown whole, without scrolling sideways"
        width = self.page.viewport_size['width']
        box = locator.bounding_box()
        self.assertIsNotNone(box, what)
        self.assertGreaterEqual(box['x'], 0, what)
        self.assertLessEqual(box['x'] + box['width'], width, what)
        # Below the fold is fine: the tab scrolls up and down
        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        self.assertGreaterEqual(box['y'], 0, what)
        self.assertLessEqual(
            box['y'] + box['height'], self.page.viewport_size['height'],
            what)
        self.assertLessEqual(box['x'] + box['width'], width, what)

    def assert_not_truncated(self, cell, what):
        "Assert that no part of the text of cell is cut off"
        # The elements holding the text, not their containers: a header
        # holds its resize handle beyond its border
        overflow = cell.evaluate('''td => [td, ...td.querySelectorAll('*')]
            .filter(e => [...e.childNodes].some(
                n => n.nodeType == Node.TEXT_NODE && n.data.trim()))
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .map(e => e.className || e.tagName)''')
        self.assertEqual(overflow, [], what)

    def test_screens_at_1366(self):
        "At 1366 × 768 with the menu open, the screens show what they are for"
        from playwright.sync_api import expect
        page = self.page
        page.set_viewport_size({'width': 1366, 'height': 768})
        self.login()

        # A quotation with a warning: every button of the sale form is on
        # the screen, the last one included
        self.open_sale('Devis', 'Maison Fontaine')
        form = self.active_tab().locator('.form').first
        buttons = form.locator('button:visible').filter(
            has_text=re.compile(r'\w'))
        expect(buttons.filter(
                has_text='Contrôler la commande')).to_have_count(1)
        names = [n.strip() for n in buttons.all_inner_texts()]
        for index in range(buttons.count()):
            self.assert_inside_viewport(buttons.nth(index), names[index])
        self.assert_inside_viewport(buttons.last, 'last button')
        self.screenshot('40-sale-1366')

        # The control wizard: the message of each check is read whole,
        # warnings in orange
        form.get_by_role('button', name='Contrôler la commande').click()
        dialog = page.locator('.wizard-dialog:visible')
        dialog.wait_for()
        checks = dialog.locator('table.tree tbody tr')
        # The customer is under watch
        solvency = checks.filter(has_text='Solvabilité')
        expect(solvency).to_contain_text('Avertissement')
        expect(solvency).to_have_class(re.compile(r'\bwarning\b'))
        expect(solvency.locator(
                'td[data-title^="Message"]')).to_contain_text(
            'Maison Fontaine')
        expect(checks).to_have_count(7)
        self.screenshot('41-control-1366')
        for index in range(checks.count()):
            for title in ['Vérification', 'Résultat', 'Message']:
                cell = checks.nth(index).locator(
                    'td[data-title^="%s"]' % title)
                self.assert_inside_viewport(cell, cell.inner_text())
                self.assert_not_truncated(cell, cell.inner_text())
        dialog.locator('.modal-footer').get_by_role(
            'button', name='Fermer', exact=True).click()
        dialog.wait_for(state='hidden')

        # The follow-up shows the columns of the course, then status and
        # delay
        self.open_menu('Ventes', 'Suivi des commandes')
        tab = self.active_tab()
        tab.locator('a:visible').filter(
            has_text=re.compile(r'^\s*Toutes')).first.click()
        rows = tab.locator('table.tree tbody tr')
        expect(rows.filter(has_text='Livrée').first).to_be_visible()
        for title in [
                'N° commande', 'Date', 'Client', 'Préparation',
                'Livr. prévue', 'Livr. réelle', 'Observation', 'Statut',
                'Retard']:
            header = tab.locator('table.tree thead th:visible').filter(
                has_text=re.compile(r'^\s*%s\s*$' % re.escape(title)))
            expect(header).to_have_count(1)
            self.assert_inside_viewport(header, title)
            self.assert_not_truncated(header, title)
        self.screenshot('42-follow-up-1366')

        # The calendar of the planned deliveries: no "false" in the
        # events, the late ones in red
        self.open_menu('Ventes', 'Suivi des commandes', 'Livraisons prévues')
        calendar = self.active_tab().locator('.calendar')
        events = calendar.locator('.fc-event')
        # The demo plans deliveries from today on: this month has events
        expect(events.first).to_contain_text('CV-')
        expect(events.filter(has_text='false')).to_have_count(0)
        # Moreau's rest was planned 6 days ago: late, in red
        today = dt.date.today()
        if (today - dt.timedelta(days=6)).month != today.month:
            calendar.locator('.fc-prev-button').click()
        late = events.filter(has_text='Moreau Rénovation')
        expect(late).to_have_count(1)
        expect(late).to_have_css('background-color', 'rgb(217, 83, 79)')
        expect(events.filter(has_text='false')).to_have_count(0)
        self.screenshot('43-calendar-1366')
        self.assertEqual(self.errors, [])

    def test_desktop_client(self):
        "The desktop client opens the sale, chain, follow-up and calendar"
        python = desktop_client_python(self)
        env = dict(os.environ, HOME=tempfile.mkdtemp(prefix='tryton-home-'))
        self.addCleanup(shutil.rmtree, env['HOME'], True)
        result = subprocess.run([
                shutil.which('xvfb-run'), '-a',
                '-s', '-screen 0 1366x768x24',
                python,
                os.path.join(ROOT, 'browser_tests', 'desktop_smoke.py'),
                '127.0.0.1:%s' % PORT, 'demo', 'admin', PASSWORD],
            capture_output=True, text=True, timeout=600, env=env)
        output = result.stdout + result.stderr
        with open(os.path.join(VAR, 'desktop-client.log'), 'w') as log:
            log.write(output)
        self.assertEqual(result.returncode, 0, output[-3000:])
        for screen in [
                'sale form', 'document chain', 'follow-up list',
                'planned deliveries']:
            self.assertIn('%s opened' % screen, result.stdout, output[-3000:])
        errors, = [
            json.loads(line.split(':', 1)[1])
            for line in result.stdout.splitlines()
            if line.startswith('ERRORS:')]
        self.assertEqual(errors, [])
