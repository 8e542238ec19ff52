# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The sale as the sales administration receives and acknowledges it:
reception, customer purchase order reference, delivery terms, quotation
and acknowledgment reports."""
import datetime as dt
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, fields
from trytond.modules.sale.sale import SaleReport
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import without_check_access

from .common import employee_stamp, migrate_user_stamps, user_employee
from .document import DocumentMixin
from .exceptions import (
    AcknowledgmentError, ReceptionError, ReferenceWarning)

RECEPTION_CHANNELS = [
    (None, ""),
    ('phone', "Phone"),
    ('email', "E-mail"),
    ('mail', "Mail"),
    ('fax', "Fax"),
    ('sales_rep', "Sales representative"),
    ('web_edi', "Web / EDI"),
    ]
RECEPTION_SOURCES = [
    (None, ""),
    ('customer', "Customer"),
    ('prospect', "Prospect"),
    ('sales_rep', "Sales representative"),
    ]
RECEPTION_DOCUMENTS = [
    (None, ""),
    ('signed_quotation', "Signed and dated quotation"),
    ('order_form', "Pre-printed order form"),
    ('message', "Oral or electronic message"),
    ]


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    reception_channel = fields.Selection(
        RECEPTION_CHANNELS, "Reception Channel",
        states={
            'readonly': ~Eval('state').in_(['draft', 'quotation']),
            },
        help="How the order was received.")
    reception_source = fields.Selection(
        RECEPTION_SOURCES, "Received From",
        states={
            'readonly': ~Eval('state').in_(['draft', 'quotation']),
            },
        help="Who sent the order.")
    reception_document = fields.Selection(
        RECEPTION_DOCUMENTS, "Supporting Document",
        states={
            'readonly': ~Eval('state').in_(['draft', 'quotation']),
            },
        help="The document that supports the order.")
    received_at = fields.DateTime(
        "Received at",
        states={
            'readonly': ~Eval('state').in_(['draft', 'quotation']),
            },
        help="When the order was received.")
    delivery_terms = fields.Char(
        "Delivery Terms",
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="The terms of delivery agreed with the customer "
        "(e.g. carriage paid, ex works).")
    acknowledgment_sent_at = fields.DateTime(
        "Acknowledgment Sent at", readonly=True,
        help="When the order acknowledgment was last e-mailed "
        "to the customer.")
    acknowledgment_sent_by = employee_stamp(
        "Acknowledgment Sent by",
        help="The employee who last e-mailed the order acknowledgment "
        "to the customer.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.reference.help = "The customer's purchase order reference."

    @classmethod
    def __register__(cls, module_name):
        # Migration: the stamp was a res.user
        migrate_user_stamps(cls, module_name, ['acknowledgment_sent_by'])
        super().__register__(module_name)

    @classmethod
    def default_received_at(cls):
        return dt.datetime.now().replace(microsecond=0)

    @fields.depends('party', 'reception_source')
    def on_change_party(self):
        super().on_change_party()
        if self.party and not self.reception_source:
            self.reception_source = (
                'customer' if self.party.customer_status == 'customer'
                else 'prospect')

    @classmethod
    def validate_fields(cls, sales, field_names):
        super().validate_fields(sales, field_names)
        cls.check_received_at(sales, field_names)

    @classmethod
    def check_received_at(cls, sales, field_names=None):
        if field_names and 'received_at' not in field_names:
            return
        # A little slack for clocks of clients that run ahead
        limit = dt.datetime.now() + dt.timedelta(minutes=5)
        for sale in sales:
            if sale.received_at and sale.received_at > limit:
                raise ReceptionError(gettext(
                        'sale_chain.msg_sale_received_at_future',
                        sale=sale.rec_name,
                        received_at=sale.received_at))

    @classmethod
    def check_reference_duplicate(cls, sales):
        "Warn when the customer's PO reference is already used"
        pool = Pool()
        Warning = pool.get('res.user.warning')
        for sale in sales:
            if not sale.reference:
                continue
            others = cls.search([
                    ('company', '=', sale.company.id),
                    ('party', '=', sale.party.id),
                    ('reference', '=', sale.reference),
                    ('id', '!=', sale.id),
                    ('state', '!=', 'cancelled'),
                    ], limit=1)
            if others:
                name = Warning.format('sale_reference_duplicate', [sale])
                if Warning.check(name):
                    raise ReferenceWarning(name, gettext(
                            'sale_chain.msg_sale_reference_duplicate',
                            sale=sale.rec_name,
                            reference=sale.reference,
                            other=others[0].rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('quotation')
    def quote(cls, sales):
        cls.check_reference_duplicate(sales)
        super().quote(sales)

    def _get_invoice(self):
        invoice = super()._get_invoice()
        # The customer's order number is a mandatory mention of the invoice
        if self.reference and not getattr(invoice, 'reference', None):
            invoice.reference = self.reference
        return invoice

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('received_at')
        default.setdefault('reception_channel')
        default.setdefault('reception_source')
        default.setdefault('reception_document')
        default.setdefault('acknowledgment_sent_at')
        default.setdefault('acknowledgment_sent_by')
        return super().copy(sales, default=default)

    @property
    def deposit_amount(self):
        "The amount of deposit asked on the sale"
        return sum(
            (l.amount or 0 for l in getattr(
                    self, 'advance_payment_lines', None) or []),
            self.currency.round(0) if self.currency else 0)

    @property
    def planned_delivery_dates(self):
        "The planned dates of delivery of the lines"
        dates = set()
        for line in self.lines:
            if line.type != 'line' or not line.product:
                continue
            if line.shortage_note:
                # Short of stock: from the date the customer was told, or
                # when the goods are received
                date = line.shortage_date
            else:
                date = line.shipping_date or line.planned_shipping_date
            if date:
                dates.add(date)
        return sorted(dates)

    @property
    def salesperson_users(self):
        "The users to notify about the sale: its salesperson or its author"
        return self.get_salesperson_users([self])[self]

    @classmethod
    def get_salesperson_users(cls, sales):
        """Return a dictionary sale: the users to notify about it, those of
        its salesperson, else its author; one query for all the sales"""
        pool = Pool()
        User = pool.get('res.user')
        employees = {s.quoted_by.id for s in sales if s.quoted_by}
        by_employee = defaultdict(set)
        for sub_ids in grouped_slice(list(employees)):
            for user in User.search([('employees', 'in', list(sub_ids))]):
                for employee in user.employees:
                    by_employee[employee.id].add(user)
        result = {}
        for sale in sales:
            users = set()
            if sale.quoted_by:
                users = by_employee.get(sale.quoted_by.id, set())
            if not users and sale.create_uid and sale.create_uid.id:
                users = {sale.create_uid}
            result[sale] = sorted(users, key=lambda u: u.id)
        return result

    @classmethod
    def record_acknowledgment_sent(cls, sales):
        "Record that the acknowledgment of sales was sent"
        now = dt.datetime.now().replace(microsecond=0)
        by_company = defaultdict(list)
        for sale in sales:
            by_company[sale.company].append(sale)
        # The sending is recorded by the system, on orders no longer
        # writable from outside.  Not set_employee, which fills an empty
        # field only: this is who sent it last, with when
        with without_check_access():
            for company, c_sales in by_company.items():
                employee = user_employee(company)
                cls.write(c_sales, {
                        'acknowledgment_sent_at': now,
                        'acknowledgment_sent_by': (
                            employee.id if employee else None),
                        })


class Email(metaclass=PoolMeta):
    __name__ = 'ir.email'

    @classmethod
    def send(cls, to='', cc='', bcc='', subject='', body='',
            files=None, record=None, reports=None, attachments=None):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Sale = pool.get('sale.sale')
        email = super().send(
            to=to, cc=cc, bcc=bcc, subject=subject, body=body, files=files,
            record=record, reports=reports, attachments=attachments)
        if record and record[0] == 'sale.sale' and reports:
            report_id = ModelData.get_id(
                'sale_chain', 'report_sale_acknowledgment')
            if report_id in reports:
                Sale.record_acknowledgment_sent([Sale(record[1])])
        return email


class QuotationReport(DocumentMixin, SaleReport):
    __name__ = 'sale_chain.quotation'


class AcknowledgmentReport(DocumentMixin, SaleReport):
    __name__ = 'sale_chain.acknowledgment'

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        Sale = pool.get('sale.sale')
        for sale in Sale.browse(ids):
            if sale.state not in {'confirmed', 'processing', 'done'}:
                raise AcknowledgmentError(gettext(
                        'sale_chain.msg_acknowledgment_not_confirmed',
                        sale=sale.rec_name))
        return super().execute(ids, data)
