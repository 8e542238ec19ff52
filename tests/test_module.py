# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import os

import polib
from lxml import etree

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.sale_chain.exceptions import InvoiceCopyError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

LOCALE = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'locale')


def po_entries(content):
    """Return {(msgctxt, msgid): msgstr} of a PO file content
    with no msgstr for fuzzy entries: Tryton ignores them"""
    return {
        (entry.msgctxt, entry.msgid): '' if entry.fuzzy else entry.msgstr
        for entry in polib.pofile(content)
        if entry.msgid and not entry.obsolete}


class SaleChainTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Sale Chain module"
    module = 'sale_chain'
    # The optional integrations get the generic checks too
    extras = ['sale_complaint']

    @with_transaction()
    def test_french_translations_complete(self):
        "Every string of the module is translated in locale/fr.po"
        pool = Pool()
        Lang = pool.get('ir.lang')
        Translation = pool.get('ir.translation')
        TranslationSet = pool.get('ir.translation.set', type='wizard')
        TranslationUpdate = pool.get('ir.translation.update', type='wizard')

        # The same steps as trytond-admin --export-translations
        session_id, _, _ = TranslationSet.create()
        TranslationSet.execute(session_id, {}, 'set_')
        TranslationSet.delete(session_id)
        french, = Lang.search([('code', '=', 'fr')])
        session_id, _, _ = TranslationUpdate.create()
        TranslationUpdate.execute(
            session_id, {'start': {'language': french.id}}, 'update')
        TranslationUpdate.delete(session_id)
        exported = po_entries(
            Translation.translation_export('fr', 'sale_chain').decode())

        with open(os.path.join(LOCALE, 'fr.po'), encoding='utf-8') as fp:
            translated = po_entries(fp.read())
        self.assertTrue(exported)
        missing = sorted(
            '%s %s' % key for key in exported
            if not translated.get(key))
        self.assertEqual(missing, [])

    @with_transaction()
    def test_tree_datetime_widgets(self):
        "sao has no date-time column: list views split it in date and time"
        pool = Pool()
        View = pool.get('ir.ui.view')
        wrong = []
        for view in View.search([
                    ('module', '=', self.module),
                    ('type', 'in', [None, 'tree']),
                    ]):
            model = view.model or (
                view.inherit.model if view.inherit else None)
            if not model or (view.inherit and view.inherit.type != 'tree'):
                continue
            if not view.inherit and view.type != 'tree':
                continue
            Model = pool.get(model)
            for element in etree.fromstring(view.arch).iter('field'):
                field = Model._fields.get(element.get('name'))
                if (field is not None
                        and field._type in {'datetime', 'timestamp'}
                        and not element.get('widget')):
                    wrong.append('%s %s' % (view.name, element.get('name')))
        self.assertEqual(wrong, [])

    @with_transaction()
    def test_invoice_duplicate_format(self):
        "A duplicate is refused in a format it cannot be marked in"
        pool = Pool()
        InvoiceReport = pool.get('account.invoice', type='report')

        with self.assertRaises(InvoiceCopyError) as cm:
            InvoiceReport.mark_duplicate('docx', b'')
        self.assertEqual(
            cm.exception.message,
            'A duplicate cannot be marked in the "docx" format '
            'of the invoice report.')


del ModuleTestCase
