# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import os

import polib
from lxml import etree
from sql import Column

from trytond import backend
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, create_employee, set_company)
from trytond.modules.sale_chain.exceptions import InvoiceCopyError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

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

    @with_transaction()
    def test_migration_user_stamps(self):
        "The users stamped by an older database become their employees"
        pool = Pool()
        Sale = pool.get('sale.sale')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        ModelField = pool.get('ir.model.field')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        names = ['acknowledgment_sent_by', 'shortage_informed_by']

        company = create_company()
        other_company = create_company(name="Other")
        with set_company(company):
            employee = create_employee(company)
            other_employee = create_employee(other_company, "Dwight")
            sender, elsewhere, nobody = User.create([{
                        'login': 'sender',
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'employees': [('add', [employee.id])],
                        'employee': employee.id,
                        }, {
                        'login': 'elsewhere',
                        'companies': [('add', [other_company.id])],
                        'company': other_company.id,
                        'employees': [('add', [other_employee.id])],
                        'employee': other_employee.id,
                        }, {
                        'login': 'nobody',
                        }])
            party = Party(name="Customer")
            party.save()
            sales = Sale.create([{'party': party.id}] * 4)

        # The database as the module left it when the stamps were users
        table = Sale.__table__()
        table_h = Sale.__table_handler__(self.module)
        field = ModelField.__table__()
        cursor.execute(*field.update(
                [field.relation], ['res.user'],
                where=(field.model == Sale.__name__)
                & field.name.in_(names)))
        for name in names:
            table_h.drop_fk(name)
            table_h.add_fk(name, 'res_user')
        for sale, user in zip(sales, [sender, elsewhere, nobody, None]):
            cursor.execute(*table.update(
                    [Column(table, n) for n in names],
                    [user.id if user else None] * len(names),
                    where=table.id == sale.id))

        # Twice: the second update finds employees, not users
        for _ in range(2):
            Sale.__register__(self.module)

        cursor.execute(*table.select(
                table.id, *[Column(table, n) for n in names],
                where=table.id.in_([s.id for s in sales]),
                order_by=[table.id]))
        self.assertEqual(cursor.fetchall(), [
                (sales[0].id, employee.id, employee.id),
                (sales[1].id, None, None),
                (sales[2].id, None, None),
                (sales[3].id, None, None),
                ])
        cursor.execute(*field.select(field.relation,
                where=(field.model == Sale.__name__)
                & field.name.in_(names)))
        self.assertEqual(
            {r for r, in cursor}, {'company.employee'})
        if backend.name == 'postgresql':
            cursor.execute(
                'SELECT DISTINCT u.table_name '
                'FROM information_schema.referential_constraints AS r '
                'JOIN information_schema.constraint_column_usage AS u '
                'ON u.constraint_schema = r.unique_constraint_schema '
                'AND u.constraint_name = r.unique_constraint_name '
                'JOIN information_schema.key_column_usage AS k '
                'ON k.constraint_schema = r.constraint_schema '
                'AND k.constraint_name = r.constraint_name '
                'WHERE k.table_name = %s AND k.column_name IN (%s, %s)',
                [Sale._table] + names)
            self.assertEqual(cursor.fetchall(), [('company_employee',)])


del ModuleTestCase
