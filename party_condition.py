# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The customer conditions (conditions client): remise, rabais, ristourne,
escompte, payment term, price list, deposit, credit limit and delivery terms
granted to a party by a company over a period of validity."""
from collections import defaultdict

from sql import Null

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import CustomerConditionError, OtherCompanyError

VOLUME_REBATE_PERIODS = [
    ('month', "Month"),
    ('quarter', "Quarter"),
    ('year', "Year"),
    ]
EARLY_PAYMENT_DISCOUNTS = [
    ('none', "No early-payment discount"),
    ('granted', "Granted"),
    ]
# The rates of a condition: a fraction, at least 0 and below 1 (100%)
RATE_FIELDS = [
    'discount_rate', 'rebate_rate', 'volume_rebate_rate',
    'early_payment_discount_rate']
AMOUNT_FIELDS = ['volume_rebate_threshold', 'credit_limit_amount']
# The fields of a condition shown by the lookup
CONDITION_FIELDS = [
    'start_date', 'end_date', 'discount_rate', 'rebate_rate',
    'volume_rebate_rate', 'volume_rebate_threshold', 'volume_rebate_period',
    'early_payment_discount', 'early_payment_discount_rate',
    'early_payment_discount_days', 'payment_term', 'price_list',
    'deposit_required', 'advance_payment_term', 'credit_limit_amount',
    'currency', 'delivery_terms', 'note']


def _today():
    return Pool().get('ir.date').today()


class CustomerCondition(ModelSQL, ModelView):
    "Customer Condition"
    __name__ = 'sale.customer.condition'

    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customer to whom the conditions are granted.")
    start_date = fields.Date(
        "Start Date", required=True,
        help="The first day the conditions apply.")
    end_date = fields.Date(
        "End Date",
        help="The last day the conditions apply.\n"
        "Leave empty for conditions without end.")

    discount_rate = fields.Numeric(
        "Discount Rate", digits=(16, 4),
        help="The commercial discount taken by every new line "
        "of the customer's quotes, as a fraction (0.05 for 5%).")
    rebate_rate = fields.Numeric(
        "Rebate Rate", digits=(16, 4),
        help="The reduction granted to the customer, "
        "as a fraction.")

    volume_rebate_rate = fields.Numeric(
        "Volume Rebate Rate", digits=(16, 4),
        help="The volume rebate paid back once the customer's "
        "turnover of the period reaches the threshold, as a fraction.")
    volume_rebate_threshold = Monetary(
        "Volume Rebate Threshold", currency='currency', digits='currency',
        states={
            'invisible': ~Eval('volume_rebate_rate'),
            },
        help="The turnover of the period from which the volume rebate "
        "is due, in the currency of the company.")
    volume_rebate_period = fields.Selection(
        VOLUME_REBATE_PERIODS, "Volume Rebate Period", required=True,
        states={
            'invisible': ~Eval('volume_rebate_rate'),
            },
        help="The period over which the turnover is summed.")

    early_payment_discount = fields.Selection(
        EARLY_PAYMENT_DISCOUNTS, "Early Payment Discount", required=True,
        help="Whether an early-payment discount is granted.")
    early_payment_discount_rate = fields.Numeric(
        "Early Payment Discount Rate", digits=(16, 4),
        states={
            'invisible': Eval('early_payment_discount') != 'granted',
            },
        help="The early-payment discount, as a fraction.")
    early_payment_discount_days = fields.Integer(
        "Early Payment Discount Days",
        states={
            'invisible': Eval('early_payment_discount') != 'granted',
            },
        help="The number of days after the invoice date within which "
        "a payment gets the early-payment discount.")

    payment_term = fields.Many2One(
        'account.invoice.payment_term', "Payment Term", ondelete='RESTRICT')
    price_list = fields.Many2One(
        'product.price_list', "Price List", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    deposit_required = fields.Boolean(
        "Deposit Required",
        help="Check when the customer's orders require a deposit.")
    advance_payment_term = fields.Many2One(
        'sale.advance_payment_term', "Advance Payment Term",
        ondelete='RESTRICT',
        states={
            'invisible': ~Eval('deposit_required'),
            },
        help="The deposit the customer's orders require.")
    credit_limit_amount = Monetary(
        "Credit Limit Amount", currency='currency', digits='currency',
        help="The credit limit granted to the customer, "
        "in the currency of the company.")
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    delivery_terms = fields.Char(
        "Delivery Terms",
        help="The terms of delivery agreed with the customer "
        "(e.g. carriage paid, ex works).")
    note = fields.Text("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(
                t,
                (t.party, Index.Equality()),
                (t.company, Index.Equality()),
                (t.start_date, Index.Range())))
        cls._order = [
            ('party', 'ASC'),
            ('start_date', 'DESC'),
            ('id', 'DESC'),
            ]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_start_date(cls):
        return _today()

    @classmethod
    def default_volume_rebate_period(cls):
        return 'year'

    @classmethod
    def default_early_payment_discount(cls):
        return 'none'

    @classmethod
    def default_deposit_required(cls):
        return False

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        start = lang.strftime(self.start_date) if self.start_date else ''
        end = lang.strftime(self.end_date) if self.end_date else ''
        return '%s (%s - %s)' % (
            self.party.rec_name if self.party else '', start, end)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    @classmethod
    def validate_fields(cls, conditions, field_names):
        super().validate_fields(conditions, field_names)
        cls.check_dates(conditions, field_names)
        cls.check_rates(conditions, field_names)
        cls.check_amounts(conditions, field_names)
        cls.check_early_payment_discount(conditions, field_names)
        cls.check_deposit(conditions, field_names)
        cls.check_overlap(conditions, field_names)

    @classmethod
    def check_dates(cls, conditions, field_names=None):
        if field_names and not (field_names & {'start_date', 'end_date'}):
            return
        for condition in conditions:
            if (condition.end_date
                    and condition.end_date < condition.start_date):
                raise CustomerConditionError(gettext(
                        'sale_chain.msg_customer_condition_dates',
                        condition=condition.rec_name))

    @classmethod
    def check_rates(cls, conditions, field_names=None):
        if field_names and not (field_names & set(RATE_FIELDS)):
            return
        for condition in conditions:
            for name in RATE_FIELDS:
                rate = getattr(condition, name)
                if rate is not None and not (0 <= rate < 1):
                    raise CustomerConditionError(gettext(
                            'sale_chain.msg_customer_condition_rate',
                            condition=condition.rec_name,
                            field=cls.__names__(name)['field'],
                            rate='{:f}%'.format((rate * 100).normalize())))

    @classmethod
    def check_amounts(cls, conditions, field_names=None):
        pool = Pool()
        Lang = pool.get('ir.lang')
        if field_names and not (field_names & set(AMOUNT_FIELDS)):
            return
        lang = Lang.get()
        for condition in conditions:
            for name in AMOUNT_FIELDS:
                amount = getattr(condition, name)
                if amount is not None and amount < 0:
                    raise CustomerConditionError(gettext(
                            'sale_chain.msg_customer_condition_amount',
                            condition=condition.rec_name,
                            field=cls.__names__(name)['field'],
                            amount=lang.currency(
                                amount, condition.company.currency)))

    @classmethod
    def check_early_payment_discount(cls, conditions, field_names=None):
        if field_names and not (field_names & {
                    'early_payment_discount', 'early_payment_discount_rate',
                    'early_payment_discount_days'}):
            return
        for condition in conditions:
            if condition.early_payment_discount != 'granted':
                continue
            if (not condition.early_payment_discount_rate
                    or not condition.early_payment_discount_days
                    or condition.early_payment_discount_days <= 0):
                raise CustomerConditionError(gettext(
                        'sale_chain.msg_customer_condition'
                        '_early_payment_discount',
                        condition=condition.rec_name))

    @classmethod
    def check_deposit(cls, conditions, field_names=None):
        if field_names and not (field_names & {
                    'deposit_required', 'advance_payment_term'}):
            return
        for condition in conditions:
            if condition.deposit_required and not (
                    condition.advance_payment_term):
                raise CustomerConditionError(gettext(
                        'sale_chain.msg_customer_condition_deposit',
                        condition=condition.rec_name))

    @classmethod
    def check_overlap(cls, conditions, field_names=None):
        "Two conditions of a party and a company do not overlap in time"
        if field_names and not (field_names & {
                    'party', 'company', 'start_date', 'end_date'}):
            return
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        if backend.name != 'sqlite':
            # Another transaction must not create an overlap meanwhile
            cls.lock()
        table = cls.__table__()
        other = cls.__table__()
        query = table.join(other, condition=(
                (table.party == other.party)
                & (table.company == other.company)
                & (table.id != other.id)
                & ((other.end_date == Null)
                    | (other.end_date >= table.start_date))
                & ((table.end_date == Null)
                    | (table.end_date >= other.start_date))))
        for sub_ids in grouped_slice(
                [c.id for c in conditions], backend.MAX_QUERY_PARAMS):
            cursor.execute(*query.select(
                    table.id, other.id,
                    where=fields.SQL_OPERATORS['in'](table.id, sub_ids),
                    limit=1))
            row = cursor.fetchone()
            if row:
                condition, other_condition = cls.browse(row)
                raise CustomerConditionError(gettext(
                        'sale_chain.msg_customer_condition_overlap',
                        condition=condition.rec_name,
                        other=other_condition.rec_name,
                        company=condition.company.rec_name))

    @classmethod
    def get_applicable(cls, parties, company, date=None):
        """Return {party id: condition or None} of the conditions that
        company grants to parties on date (today by default)

        parties are records or ids, company a record or an id.  It runs one
        query per slice of backend.MAX_QUERY_PARAMS parties, so the number of
        queries does not grow with the number of parties of a batch.
        """
        party_ids = list({int(p) for p in parties})
        result = dict.fromkeys(party_ids)
        if company is None or not party_ids:
            return result
        company_id = int(company)
        if date is None:
            date = _today()
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        where = ((table.company == company_id)
            & (table.start_date <= date)
            & ((table.end_date == Null) | (table.end_date >= date)))
        rows = []
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.party, table.id,
                    where=where
                    & fields.SQL_OPERATORS['in'](table.party, sub_ids),
                    # The latest start wins should an overlap slip in
                    order_by=[table.start_date.asc, table.id.asc]))
            rows.extend(cursor)
        # Browse them all at once so their fields are read in one batch
        conditions = cls.browse([r[1] for r in rows])
        for (party_id, _), condition in zip(rows, conditions):
            result[party_id] = condition
        return result


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    customer_conditions = fields.One2Many(
        'sale.customer.condition', 'party', "Customer Conditions",
        help="The conditions granted to the party, "
        "with their dates of validity.")
    customer_condition = fields.Function(fields.Many2One(
            'sale.customer.condition', "Customer Condition",
            help="The conditions that apply today in the current company."),
        'get_customer_condition')

    @classmethod
    def get_customer_condition(cls, parties, name):
        pool = Pool()
        Condition = pool.get('sale.customer.condition')
        company = Transaction().context.get('company')
        conditions = Condition.get_applicable(parties, company)
        return {
            p: c.id if c else None for p, c in conditions.items()}

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        # Conditions are negotiated with a party: a copy has none
        default.setdefault('customer_conditions')
        return super().copy(parties, default=default)


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @property
    def customer_condition_date(self):
        "The date of the customer conditions that apply to the sale"
        return self.sale_date or self.quotation_date or _today()

    @classmethod
    def get_customer_conditions(cls, sales):
        """Return {sale id: condition or None} of the customer conditions
        that apply to sales, one query per company and date"""
        pool = Pool()
        Condition = pool.get('sale.customer.condition')
        groups = defaultdict(list)
        for sale in sales:
            groups[sale.company, sale.customer_condition_date].append(sale)
        result = {}
        for (company, date), group in groups.items():
            conditions = Condition.get_applicable(
                [s.party for s in group if s.party], company, date)
            for sale in group:
                result[sale.id] = (
                    conditions.get(sale.party.id) if sale.party else None)
        return result

    @fields.depends('party', 'company', 'sale_date')
    def _get_customer_condition(self):
        "Return the condition that applies to a new quote"
        pool = Pool()
        Condition = pool.get('sale.customer.condition')
        if not self.party or not self.company:
            return
        date = self.sale_date or _today()
        return Condition.get_applicable(
            [self.party], self.company, date)[self.party.id]

    @fields.depends(
        'payment_term', 'price_list', 'advance_payment_term',
        'delivery_terms', methods=['_get_customer_condition'])
    def on_change_party(self):
        super().on_change_party()
        condition = self._get_customer_condition()
        if condition:
            self.apply_customer_condition(condition)

    def apply_customer_condition(self, condition):
        "Set on the sale the values that condition gives"
        if condition.payment_term:
            self.payment_term = condition.payment_term
        if condition.price_list:
            self.price_list = condition.price_list
        if condition.deposit_required and condition.advance_payment_term:
            self.advance_payment_term = condition.advance_payment_term
        if condition.delivery_terms:
            self.delivery_terms = condition.delivery_terms


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    @fields.depends(
        'sale', '_parent_sale.party', '_parent_sale.company',
        '_parent_sale.sale_date')
    def _get_customer_condition(self):
        "Return the condition that applies to the line"
        pool = Pool()
        Condition = pool.get('sale.customer.condition')
        sale = self.sale
        if not sale or not sale.party or not sale.company:
            return
        date = sale.sale_date or _today()
        return Condition.get_applicable(
            [sale.party], sale.company, date)[sale.party.id]

    @fields.depends(
        'product', 'discount_rate',
        methods=['_get_customer_condition', 'on_change_discount_rate'])
    def apply_customer_condition_discount(self):
        "Give the line the discount rate (remise) of the customer condition"
        if not self.product:
            return
        condition = self._get_customer_condition()
        if condition and condition.discount_rate:
            self.discount_rate = condition.discount_rate
            self.on_change_discount_rate()

    @fields.depends(methods=['apply_customer_condition_discount'])
    def on_change_product(self):
        super().on_change_product()
        self.apply_customer_condition_discount()

    @fields.depends(methods=['apply_customer_condition_discount'])
    def on_change_quantity(self):
        # The unit price is computed again for the quantity
        super().on_change_quantity()
        self.apply_customer_condition_discount()


class CustomerConditionLookup(Wizard):
    "Look Up Customer Conditions"
    __name__ = 'sale.customer.condition.lookup'
    start = StateView(
        'sale.customer.condition.lookup.start',
        'sale_chain.customer_condition_lookup_start_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            Button("Open", 'open_', 'tryton-forward',
                states={
                    'invisible': ~Eval('condition'),
                    }),
            ])
    open_ = StateAction('sale_chain.act_customer_condition')

    def _party_company_date(self):
        "Return the party, the company and the date to look up"
        pool = Pool()
        Company = pool.get('company.company')
        context_company = Transaction().context.get('company')
        record = self.record
        if record is None:
            return None, None, _today()
        if record.__name__ == 'sale.sale':
            # A user who sees the records of all its companies must not
            # see the conditions of another company than the current one
            if record.company.id != context_company:
                raise OtherCompanyError(gettext(
                        'sale_chain.msg_customer_condition_other_company',
                        record=record.rec_name,
                        company=record.company.rec_name))
            return (
                record.party, record.company,
                record.customer_condition_date)
        company = (
            Company(context_company)
            if context_company is not None and context_company >= 0
            else None)
        return record, company, _today()

    def default_start(self, fields):
        party, company, date = self._party_company_date()
        values = {
            'party': party.id if party else None,
            'company': company.id if company else None,
            'date': date,
            }
        values.update(self.start.lookup_values(party, company, date))
        return values

    def do_open_(self, action):
        condition = getattr(self.start, 'condition', None)
        if not condition:
            # Called without the look-up step, or nothing found
            raise CustomerConditionError(gettext(
                    'sale_chain.msg_customer_condition_open_none'))
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', '=', condition.id)])
        action['views'].reverse()
        return action, {}


class CustomerConditionLookupStart(ModelView):
    "Look Up Customer Conditions"
    __name__ = 'sale.customer.condition.lookup.start'

    party = fields.Many2One(
        'party.party', "Party", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    company = fields.Many2One('company.company', "Company", readonly=True)
    date = fields.Date(
        "Date", required=True,
        help="The date on which the conditions apply.")
    message = fields.Char("Message", readonly=True)
    condition = fields.Many2One(
        'sale.customer.condition', "Condition", readonly=True)

    start_date = fields.Date("Start Date", readonly=True)
    end_date = fields.Date("End Date", readonly=True)
    discount_rate = fields.Numeric(
        "Discount Rate", digits=(16, 4), readonly=True)
    rebate_rate = fields.Numeric(
        "Rebate Rate", digits=(16, 4), readonly=True)
    volume_rebate_rate = fields.Numeric(
        "Volume Rebate Rate", digits=(16, 4), readonly=True)
    volume_rebate_threshold = Monetary(
        "Volume Rebate Threshold", currency='currency', digits='currency',
        readonly=True)
    volume_rebate_period = fields.Selection(
        [(None, "")] + VOLUME_REBATE_PERIODS, "Volume Rebate Period",
        readonly=True)
    early_payment_discount = fields.Selection(
        [(None, "")] + EARLY_PAYMENT_DISCOUNTS, "Early Payment Discount",
        readonly=True)
    early_payment_discount_rate = fields.Numeric(
        "Early Payment Discount Rate", digits=(16, 4), readonly=True)
    early_payment_discount_days = fields.Integer(
        "Early Payment Discount Days", readonly=True)
    payment_term = fields.Many2One(
        'account.invoice.payment_term', "Payment Term", readonly=True)
    price_list = fields.Many2One(
        'product.price_list', "Price List", readonly=True)
    deposit_required = fields.Boolean("Deposit Required", readonly=True)
    advance_payment_term = fields.Many2One(
        'sale.advance_payment_term', "Advance Payment Term", readonly=True)
    credit_limit_amount = Monetary(
        "Credit Limit Amount", currency='currency', digits='currency',
        readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", readonly=True)
    delivery_terms = fields.Char("Delivery Terms", readonly=True)
    note = fields.Text("Note", readonly=True)

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//group[@id="message"]', 'states', {
                    'invisible': ~Eval('message'),
                    }, ['message']),
            ('//group[@id="condition"]', 'states', {
                    'invisible': ~Eval('condition'),
                    }, ['condition']),
            ]

    @classmethod
    def lookup_values(cls, party, company, date):
        "Return the values that show the condition of party on date"
        pool = Pool()
        Condition = pool.get('sale.customer.condition')
        Lang = pool.get('ir.lang')
        values = dict.fromkeys(CONDITION_FIELDS + ['condition', 'message'])
        if not party:
            values['message'] = gettext(
                'sale_chain.msg_customer_condition_lookup_no_party')
            return values
        condition = None
        if company and date:
            condition = Condition.get_applicable(
                [party], company, date)[party.id]
        if not condition:
            values['message'] = gettext(
                'sale_chain.msg_customer_condition_lookup_none',
                party=party.rec_name,
                date=Lang.get().strftime(date) if date else '')
            return values
        values['condition'] = condition.id
        for name in CONDITION_FIELDS:
            value = getattr(condition, name)
            if isinstance(value, ModelSQL):
                value = value.id
            values[name] = value
        return values

    @fields.depends('party', 'company', 'date')
    def on_change_date(self):
        values = self.lookup_values(self.party, self.company, self.date)
        for name, value in values.items():
            setattr(self, name, value)
