# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The deposit gate: sale_advance_payment blocks the shipments until the
deposit is paid; the sale shows that it awaits its deposit and a daily job
reminds the salesperson (and the customer) of unpaid deposits."""
import datetime as dt

from sql import Null

from trytond import backend
from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import ModelSQL, fields
from trytond.modules.company.model import CompanyValueMixin
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .reminder import company_template, remind

DEPOSIT_STATES = [
    ('none', "No Deposit"),
    ('awaiting', "Awaiting Deposit"),
    ('paid', "Deposit Paid"),
    ]


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'

    deposit_reminder_delay = fields.MultiValue(fields.Integer(
            "Deposit Reminder Delay",
            domain=['OR',
                ('deposit_reminder_delay', '=', None),
                ('deposit_reminder_delay', '>=', 0),
                ],
            help="The number of days after the deposit invoice from which "
            "an unpaid deposit is reminded every day.\n"
            "Leave empty to send no reminder."))
    deposit_reminder_template = fields.MultiValue(fields.Many2One(
            'ir.email.template', "Deposit Reminder E-mail",
            domain=[('model.name', '=', 'sale.sale')],
            help="The e-mail sent to the customer with the reminder.\n"
            "Leave empty to remind only the salesperson."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in {'deposit_reminder_delay', 'deposit_reminder_template'}:
            return pool.get('sale.configuration.deposit')
        return super().multivalue_model(field)

    @classmethod
    def default_deposit_reminder_delay(cls, **pattern):
        return cls.multivalue_model(
            'deposit_reminder_delay').default_deposit_reminder_delay()


class ConfigurationDeposit(ModelSQL, CompanyValueMixin):
    "Sale Configuration Deposit"
    __name__ = 'sale.configuration.deposit'

    deposit_reminder_delay = fields.Integer("Deposit Reminder Delay")
    deposit_reminder_template = fields.Many2One(
        'ir.email.template', "Deposit Reminder E-mail",
        domain=[('model.name', '=', 'sale.sale')])

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        OrderControl = pool.get('sale.configuration.order_control')
        cursor = Transaction().connection.cursor()
        exist = backend.TableHandler.table_exist(cls._table)
        super().__register__(module)
        # Migration: the settings were kept with those of the order control
        order_control = backend.TableHandler(OrderControl)
        if not exist and order_control.column_exist('deposit_reminder_delay'):
            table = cls.__table__()
            old = OrderControl.__table__()
            columns = [
                'company', 'deposit_reminder_delay',
                'deposit_reminder_template',
                'create_uid', 'create_date']
            cursor.execute(*table.insert(
                    [getattr(table, c) for c in columns],
                    old.select(*[getattr(old, c) for c in columns],
                        where=(old.deposit_reminder_delay != Null)
                        | (old.deposit_reminder_template != Null))))

    @classmethod
    def default_deposit_reminder_delay(cls):
        return 7


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    deposit_state = fields.Function(fields.Selection(
            DEPOSIT_STATES, "Deposit State",
            help="Whether the order waits for its deposit: nothing ships "
            "before it is paid."),
        'get_deposit_state')
    deposit_reminded_at = fields.DateTime(
        "Deposit Reminded at", readonly=True,
        help="When the unpaid deposit was last reminded.")
    deposit_reminder_count = fields.Integer(
        "Deposit Reminders", readonly=True)

    @classmethod
    def default_deposit_reminder_count(cls):
        return 0

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('deposit_reminded_at')
        default.setdefault('deposit_reminder_count')
        return super().copy(sales, default=default)

    @classmethod
    def get_deposit_state(cls, sales, name):
        pool = Pool()
        AdvancePaymentLine = pool.get('sale.advance_payment.line')
        line = AdvancePaymentLine.__table__()
        cursor = Transaction().connection.cursor()
        states = dict.fromkeys(map(int, sales), 'none')
        # Most orders have no deposit: one query finds those which have
        # one, whose lines alone are browsed (the follow-up reads the
        # state of a thousand orders at a time)
        with_lines = set()
        for sub_ids in grouped_slice(list(states), MAX_QUERY_PARAMS):
            cursor.execute(*line.select(line.sale, distinct=True,
                    where=fields.SQL_OPERATORS['in'](
                        line.sale, list(sub_ids))))
            with_lines.update(s for s, in cursor)
        for sale in sales:
            if sale.id in with_lines:
                lines = sale.advance_payment_lines
                if all(l.completed for l in lines):
                    states[sale.id] = 'paid'
                else:
                    states[sale.id] = 'awaiting'
        return states

    @classmethod
    def remind_unpaid_deposits(cls, date=None):
        """Remind the salesperson, and the customer when a template is
        configured, of the deposits unpaid after the configured delay"""
        pool = Pool()
        Date = pool.get('ir.date')
        Configuration = pool.get('sale.configuration')
        Lang = pool.get('ir.lang')
        config = Configuration(1)
        if date is None:
            date = Date.today()
        company = Transaction().context.get('company')
        delay = config.get_multivalue(
            'deposit_reminder_delay', company=company)
        if delay is None:
            return
        due = date - dt.timedelta(days=delay)
        # Only the sales with a deposit invoice posted before the delay
        domain = [
            ('state', 'in', ['confirmed', 'processing']),
            ('advance_payment_lines', 'where', [
                    ('invoice_lines', 'where', [
                            ('invoice', 'where', [
                                    ('state', '=', 'posted'),
                                    ('invoice_date', '<=', due),
                                    ]),
                            ]),
                    ]),
            ]
        if company:
            domain.append(('company', '=', company))
        lang = Lang.get()
        reminders = []
        for sale in cls.search(domain, order=[('id', 'ASC')]):
            if sale.deposit_state != 'awaiting':
                continue
            invoices = [i for i in sale.advance_payment_invoices
                if i.state == 'posted'
                and i.invoice_date
                and i.invoice_date <= due]
            if not invoices:
                continue
            amount = lang.currency(
                sum(i.amount_to_pay for i in invoices), sale.currency)
            reminders.append((
                    sale,
                    gettext('sale_chain.msg_deposit_reminder_label',
                        sale=sale.rec_name),
                    gettext('sale_chain.msg_deposit_reminder_description',
                        sale=sale.rec_name, party=sale.party.rec_name,
                        invoices=', '.join(i.rec_name for i in invoices),
                        amount=amount)))
        remind(
            reminders, company_template('deposit_reminder_template'),
            'deposit_reminded_at', 'deposit_reminder_count')
        return [s for s, _, _ in reminders]


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('sale.sale|remind_unpaid_deposits', "Remind Unpaid Deposits"))
