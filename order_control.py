# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import hashlib
import json
import logging
import weakref
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.account_credit_limit.exceptions import (
    CreditLimitError, CreditLimitWarning)
from trytond.modules.company.model import CompanyValueMixin
from trytond.modules.product import round_price
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import (
    Button, StateTransition, StateView, Wizard)

from .common import CodedReasonMixin, employee_stamp, migrate_user_stamps
from .exceptions import (
    ControlBlocked, ControlError, ControlOutdated, ControlOverrideError,
    ControlWarning, HistoryLocked)

logger = logging.getLogger(__name__)

RESULTS = [
    ('ok', "OK"),
    ('warning', "Warning"),
    ('blocking', "Blocking"),
    ]
CHECKS = [
    ('solvency', "Solvency"),
    ('receivables', "Receivables"),
    ('credit_limit', "Credit Limit"),
    ('conditions', "Special Conditions"),
    ('references_prices', "References and Prices"),
    ('stock', "Stock"),
    ('deposit', "Deposit"),
    ]
CONTROL_STATES = [
    ('passed', "Passed"),
    ('warning', "Passed with Warnings"),
    ('blocked', "Blocked"),
    ('overridden', "Overridden"),
    ]
ORIGINS = [
    ('wizard', "Control Wizard"),
    ('confirm', "Confirmation"),
    ('process', "Processing"),
    ]
# The result and message of the solvency check by assessment status;
# prepayment is fine when the order is paid upfront
SOLVENCY_RESULTS = {
    'blocked': ('blocking', 'msg_control_solvency_blocked'),
    'prepayment': ('blocking', 'msg_control_solvency_prepayment'),
    'watch': ('warning', 'msg_control_solvency_watch'),
    }
# Controls which let the order be confirmed
VALID_STATES = {'passed', 'warning', 'overridden'}
# The sales whose credit limit the confirmation of the transaction checks no
# more: the control of the transaction checked it, under the lock of
# account_credit_limit, or a manager overrode its refusal
_CREDIT_CHECKED = weakref.WeakKeyDictionary()


def _credit_checked():
    return _CREDIT_CHECKED.setdefault(Transaction(), set())


def _one_line(text):
    "A notification is a single line: the message of a check may not be"
    return ' '.join(text.split())


def _str(value):
    return '' if value is None else str(value)


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'

    control_price_tolerance = fields.MultiValue(fields.Numeric(
            "Price Tolerance", digits=(16, 4),
            domain=['OR',
                ('control_price_tolerance', '=', None),
                [
                    ('control_price_tolerance', '>=', 0),
                    ('control_price_tolerance', '<', 1),
                    ],
                ],
            help="The rate by which a unit price may be below the price "
            "computed for the customer before the order control blocks."))

    control_overdue_tolerance = fields.MultiValue(fields.Numeric(
            "Overdue Tolerance", digits=(16, 2),
            domain=['OR',
                ('control_overdue_tolerance', '=', None),
                ('control_overdue_tolerance', '>=', 0),
                ],
            help="The overdue receivable amount above which the order "
            "control blocks.\nLeave empty to only warn."))

    control_cash_payment_term = fields.MultiValue(fields.Many2One(
            'account.invoice.payment_term', "Cash Payment Term",
            help="The payment term the order control puts on an order "
            "when a customer must pay cash."))
    acknowledgment_email_template = fields.MultiValue(fields.Many2One(
            'ir.email.template', "Acknowledgment E-mail",
            domain=[('model.name', '=', 'sale.sale')],
            help="The e-mail of the order acknowledgment, also sent when "
            "the customer is informed of a stock shortage."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in {
                'control_price_tolerance', 'control_overdue_tolerance',
                'control_cash_payment_term',
                'acknowledgment_email_template'}:
            return pool.get('sale.configuration.order_control')
        return super().multivalue_model(field)

    @classmethod
    def default_control_price_tolerance(cls, **pattern):
        return cls.multivalue_model(
            'control_price_tolerance').default_control_price_tolerance()

    @classmethod
    def default_acknowledgment_email_template(cls, **pattern):
        return cls.multivalue_model(
            'acknowledgment_email_template'
            ).default_acknowledgment_email_template()


class ConfigurationOrderControl(ModelSQL, CompanyValueMixin):
    "Sale Configuration Order Control"
    __name__ = 'sale.configuration.order_control'

    control_price_tolerance = fields.Numeric(
        "Price Tolerance", digits=(16, 4))
    control_overdue_tolerance = fields.Numeric(
        "Overdue Tolerance", digits=(16, 2))
    control_cash_payment_term = fields.Many2One(
        'account.invoice.payment_term', "Cash Payment Term")
    acknowledgment_email_template = fields.Many2One(
        'ir.email.template', "Acknowledgment E-mail",
        domain=[('model.name', '=', 'sale.sale')])

    @classmethod
    def default_control_price_tolerance(cls):
        return Decimal('0.02')

    @classmethod
    def default_acknowledgment_email_template(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id(
                'sale_chain', 'email_template_acknowledgment')
        except KeyError:
            # Not yet loaded while the module is installed
            return None


class OverrideReason(CodedReasonMixin, ModelSQL, ModelView):
    "Order Control Override Reason"
    __name__ = 'sale.control.override.reason'


class Control(ModelSQL, ModelView):
    "Order Control"
    __name__ = 'sale.control'

    sale = fields.Many2One(
        'sale.sale', "Sale", required=True, readonly=True,
        ondelete='RESTRICT')
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    state = fields.Selection(
        CONTROL_STATES, "State", required=True, readonly=True)
    origin = fields.Selection(ORIGINS, "Origin", required=True, readonly=True)
    digest = fields.Char(
        "Digest", readonly=True,
        help="The fingerprint of the sale's content when it was controlled.")
    amount = fields.Numeric("Amount", digits=(16, 2), readonly=True)
    lines = fields.One2Many(
        'sale.control.line', 'control', "Checks", readonly=True)
    warnings_acknowledged_by = fields.Many2One(
        'res.user', "Warnings Acknowledged by", readonly=True)
    valid = fields.Function(
        fields.Boolean("Valid"), 'get_valid')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        states = dict(self.fields_get(['state'])['state']['selection'])
        return '%s %s (%s)' % (
            self.sale.rec_name, states.get(self.state, ''),
            self.create_date.replace(microsecond=0)
            if self.create_date else '')

    def get_valid(self, name):
        return (self.state in VALID_STATES
            and self.sale.current_control == self
            and self.digest == self.sale.control_digest())

    @classmethod
    def _system_fields(cls):
        "The fields the system still sets on a stored control"
        return {'state', 'warnings_acknowledged_by'}

    @classmethod
    def check_modification(cls, mode, controls, values=None, external=False):
        super().check_modification(
            mode, controls, values=values, external=external)
        # Only the order control creates a run, and once stored a run is
        # the audit of the order: no call from outside may touch it, and
        # the system only records what happened after it
        if mode == 'delete':
            raise HistoryLocked(gettext('sale_chain.msg_control_delete'))
        if mode == 'create' and external:
            raise HistoryLocked(gettext('sale_chain.msg_control_create'))
        if mode == 'write' and (
                external or set(values) - cls._system_fields()):
            raise HistoryLocked(gettext('sale_chain.msg_control_modify'))

    @classmethod
    def checks(cls):
        "Return the names of the checks in the order they run"
        return [
            'solvency', 'receivables', 'credit_limit', 'conditions',
            'references_prices', 'stock', 'deposit']

    @classmethod
    def get_sources(cls, sales):
        """Return what the checks of sales read, read once per run:
        a dictionary of name: {sale id: value}"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        Party = pool.get('party.party')
        Solvency = pool.get('party.solvency')
        sources = {
            'digest': {s.id: s.control_digest() for s in sales},
            'total_amount': {s.id: s.total_amount or 0 for s in sales},
            'conditions': Sale.get_customer_conditions(sales),
            'solvency': {},
            'solvency_outage': {},
            'registries': {},
            'receivables': {},
            'dunning_level': {},
            }
        for company, c_sales in cls._by_company(sales):
            date = cls._control_date(c_sales[0])
            parties = list({cls._customer(s) for s in c_sales})
            # The registries are asked (or their cached answer read)
            # before the assessments are
            registries = Party.registry_settings(company) is not None
            if registries:
                Party.lookup_registries(parties, company)
            assessments = Solvency.get_current(
                parties, company, date, outages=True)
            overdue = Party.get_overdue_receivables(parties, company, date)
            levels = Party.get_dunning_levels(parties, company)
            for sale in c_sales:
                party = cls._customer(sale)
                current, outage = assessments[party.id]
                sources['solvency'][sale.id] = current
                sources['solvency_outage'][sale.id] = outage
                sources['registries'][sale.id] = registries
                sources['receivables'][sale.id] = overdue[party.id]
                sources['dunning_level'][sale.id] = levels.get(party.id)
        return sources

    @classmethod
    def compute(cls, sales, origin):
        """Run every check on sales and return the values of one control
        per sale, not stored"""
        sources = cls.get_sources(sales)
        results = defaultdict(list)
        for name in cls.checks():
            method = getattr(cls, 'check_%s' % name)
            for sale_id, result in method(sales, sources).items():
                result['check'] = name
                results[sale_id].append(result)
        vlist = []
        for sale in sales:
            lines = results[sale.id]
            for sequence, line in enumerate(lines, 1):
                line['sequence'] = sequence
                line.setdefault('figures', '')
            vlist.append({
                    'sale': sale.id,
                    'company': sale.company.id,
                    'state': cls._state(lines),
                    'origin': origin,
                    'digest': sources['digest'][sale.id],
                    'amount': sources['total_amount'][sale.id],
                    'lines': [('create', lines)],
                    })
        return vlist

    @classmethod
    def store(cls, vlist, current=True):
        """Store the controls of vlist, as the current ones of their sales
        unless current is False (the caller sets them later)"""
        with without_check_access():
            controls = cls.create(vlist)
            if current:
                cls._set_current(controls)
            cls._alert_accounting(controls)
        return controls

    @classmethod
    def run(cls, sales, origin):
        "Run every check on sales and store one control per sale"
        return cls.store(cls.compute(sales, origin))

    @classmethod
    def _alert_accounting(cls, controls):
        "Notify the accounting users of the sales blocked by solvency"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        Sale = pool.get('sale.sale')
        blocked = [c for c in controls if c.state == 'blocked']
        if not blocked:
            return
        blocked = [c for c in blocked if any(
                    l.check == 'solvency' and l.result == 'blocking'
                    for l in c.lines)]
        if not blocked:
            return
        group = ModelData.get_id('account', 'group_account')
        for control in blocked:
            users = User.search([
                    ('groups', '=', group),
                    ('companies', '=', control.company.id),
                    ])
            message = _one_line(' '.join(
                    l.message for l in control.lines
                    if l.check == 'solvency'))
            for user in users:
                Sale.notify_user(
                    [control.sale], 'tryton-warning',
                    gettext('sale_chain.msg_control_solvency_alert',
                        sale=control.sale.rec_name),
                    description=message, user=user.id)

    @classmethod
    def _state(cls, lines):
        results = {l['result'] for l in lines if not l.get('override_reason')}
        if 'blocking' in results:
            return 'blocked'
        if any(l.get('override_reason') for l in lines):
            return 'overridden'
        if 'warning' in results:
            return 'warning'
        return 'passed'

    @classmethod
    def _set_current(cls, controls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        # The current control is a system value of the sale
        to_write = []
        for control in controls:
            to_write.extend(([control.sale], {'current_control': control.id}))
        if to_write:
            with without_check_access():
                Sale.write(*to_write)

    @classmethod
    def _line(cls, result, message, figures=None):
        return {
            'result': result,
            'message': message,
            'figures': '\n'.join(
                '%s: %s' % (k, v) for k, v in (figures or [])),
            }

    @classmethod
    def check_references_prices(cls, sales, sources):
        """Check that each line has an active, salable product with a
        reference, a positive quantity and the price of the customer"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        config = Configuration(1)
        results = {}
        for sale in sales:
            tolerance = config.get_multivalue(
                'control_price_tolerance', company=sale.company.id)
            if tolerance is None:
                tolerance = Decimal(0)
            blocking, warnings, figures = [], [], []
            prices = cls._expected_prices(sale.lines)
            for line in sale.lines:
                if line.type != 'line':
                    continue
                name = line.product.rec_name if line.product else (
                    line.description or '')
                if (line.quantity or 0) <= 0:
                    blocking.append(gettext(
                            'sale_chain.msg_control_quantity_not_positive',
                            line=name, quantity=_str(line.quantity)))
                if not line.product:
                    warnings.append(gettext(
                            'sale_chain.msg_control_line_no_product',
                            line=name))
                    continue
                product = line.product
                if not product.active or not product.salable:
                    blocking.append(gettext(
                            'sale_chain.msg_control_product_not_salable',
                            product=name))
                if not product.code:
                    warnings.append(gettext(
                            'sale_chain.msg_control_product_no_code',
                            product=name))
                price = prices.get(line.id)
                if price is None or line.unit_price is None:
                    continue
                condition = sources['conditions'].get(sale.id)
                rate = (condition.discount_rate if condition else None) or 0
                # The net price the customer should get: the price list
                # price less the discount (remise) its conditions grant
                expected = round_price(price * (1 - rate))
                net = line.unit_price
                gross = getattr(line, 'base_price', None)
                if gross is None:
                    gross = net
                figures.append((name, gettext(
                            'sale_chain.msg_control_price_figures',
                            gross=cls._price(gross),
                            discount=cls._percent(
                                1 - net / gross if gross else 0),
                            net=cls._price(net),
                            expected=cls._price(expected))))
                if net < expected * (1 - tolerance):
                    blocking.append(gettext(
                            'sale_chain.msg_control_price_below',
                            product=name, price=cls._price(net),
                            expected=cls._price(expected)))
                elif net > expected:
                    warnings.append(gettext(
                            'sale_chain.msg_control_price_above',
                            product=name, price=cls._price(net),
                            expected=cls._price(expected)))
            results[sale.id] = cls._result(
                blocking, warnings,
                gettext('sale_chain.msg_control_references_prices_ok'),
                figures)
        return results

    @classmethod
    def _result(cls, blocking, warnings, ok_message, figures=None):
        if blocking:
            return cls._line(
                'blocking', '\n'.join(blocking + warnings), figures)
        if warnings:
            return cls._line('warning', '\n'.join(warnings), figures)
        return cls._line('ok', ok_message, figures)

    @classmethod
    def _expected_prices(cls, lines):
        """Return the unit price Tryton computes for the customer of each
        line with a product, by line id

        It is what the line's compute_unit_price returns, as the client
        does on a new line: the product's sale price in the line's price
        context (customer, price list, date, unit, taxes)."""
        pool = Pool()
        Product = pool.get('product.product')
        # One call of get_sale_price per context and quantity rather than
        # per line: the price of a 200-line order in one go.  The context
        # of a line depends on its sale, unit and taxes only, so a line of
        # each group gives it.
        groups = defaultdict(list)
        for line in lines:
            if line.type != 'line' or not line.product:
                continue
            # Without a unit, the context takes the product's sale unit
            unit = line.unit or line.product.sale_uom
            key = (line.sale.id, unit.id,
                tuple(sorted(t.id for t in line.taxes)),
                abs(line.quantity or 0))
            groups[key].append(line)
        prices = {}
        for (_, _, _, quantity), g_lines in groups.items():
            with Transaction().set_context(
                    g_lines[0]._get_context_sale_price()):
                # get_sale_price takes each product once
                while g_lines:
                    batch, seen, rest = [], set(), []
                    for line in g_lines:
                        if line.product in seen:
                            rest.append(line)
                        else:
                            seen.add(line.product)
                            batch.append(line)
                    by_product = Product.get_sale_price(
                        [l.product for l in batch], quantity)
                    for line in batch:
                        prices[line.id] = by_product[line.product.id]
                    g_lines = rest
        return prices

    @classmethod
    def check_stock(cls, sales, sources):
        """Check the forecast quantity of goods in the warehouse at the
        planned date, net of the other quotations and orders"""
        pool = Pool()
        Uom = pool.get('product.uom')
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        results = {}
        # Quantities asked per sale, product and date
        requests = {}
        for sale in sales:
            asked = defaultdict(float)
            for line in cls.stock_lines(sale):
                asked[line.product] += Uom.compute_qty(
                    line.unit, line.quantity, line.product.default_uom,
                    round=False)
            requests[sale] = asked
        by_warehouse = defaultdict(list)
        for sale in sales:
            if requests[sale] and sale.warehouse:
                by_warehouse[sale.warehouse].append(sale)
            else:
                results[sale.id] = cls._line(
                    'ok', gettext('sale_chain.msg_control_stock_no_goods'))
        for warehouse, w_sales in by_warehouse.items():
            with Transaction().set_context(company=w_sales[0].company.id):
                today = Date.today()
            date = max(
                [s.shipping_date or today for s in w_sales] + [today])
            products = {p for s in w_sales for p in requests[s]}
            quantities, quoted = cls.stock_forecast(
                warehouse, products, date, w_sales)
            lang = Lang.get()
            for sale in w_sales:
                shortages, figures = [], []
                for product, asked in requests[sale].items():
                    available = quantities[product] - quoted[product]
                    digits = product.default_uom.digits

                    def number(value):
                        return lang.format_number(value, digits)
                    figures.append((product.rec_name, gettext(
                                'sale_chain.msg_control_stock_figures',
                                asked=number(asked),
                                available=number(available),
                                quoted=number(quoted[product]))))
                    if available < asked:
                        shortages.append(gettext(
                                'sale_chain.msg_control_stock_short',
                                product=product.rec_name,
                                asked=number(asked),
                                available=number(max(available, 0)),
                                date=lang.strftime(date)))
                if shortages:
                    results[sale.id] = cls._line(
                        'warning', '\n'.join(shortages), figures)
                else:
                    results[sale.id] = cls._line(
                        'ok', gettext('sale_chain.msg_control_stock_ok'),
                        figures)
        return results

    @classmethod
    def stock_lines(cls, sale):
        "Return the lines of the sale whose goods the stock check reads"
        return [
            l for l in sale.lines
            if l.type == 'line' and l.product
            and l.product.type == 'goods' and not l.product.consumable
            and l.quantity and l.quantity > 0]

    @classmethod
    def stock_forecast(cls, warehouse, products, date, sales):
        """Return the forecast quantities of products in the warehouse at
        the date and the quantities of the quotations other than sales,
        as two dictionaries by product in its default unit"""
        pool = Pool()
        Product = pool.get('product.product')
        Uom = pool.get('product.uom')
        SaleLine = pool.get('sale.line')
        product_ids = [p.id for p in products]
        # Forecast includes the moves of confirmed orders
        with Transaction().set_context(
                forecast=True, stock_date_end=date, stock_assign=True):
            by_location = Product.products_by_location(
                [warehouse.id], with_childs=True,
                grouping_filter=(product_ids,))
        quantities = {
            p: by_location.get((warehouse.id, p.id), 0) for p in products}
        # Other quotations reserve nothing yet but will
        quoted = defaultdict(float)
        for sub_ids in grouped_slice(product_ids, 1000):
            lines = SaleLine.search([
                    ('sale.state', '=', 'quotation'),
                    ('sale.warehouse', '=', warehouse.id),
                    ('sale.id', 'not in', [s.id for s in sales]),
                    ('product', 'in', list(sub_ids)),
                    ('type', '=', 'line'),
                    ('quantity', '>', 0),
                    ])
            for line in lines:
                quoted[line.product] += Uom.compute_qty(
                    line.unit, line.quantity, line.product.default_uom,
                    round=False)
        return quantities, quoted

    @classmethod
    def _control_date(cls, sale):
        pool = Pool()
        Date = pool.get('ir.date')
        with Transaction().set_context(company=sale.company.id):
            return Date.today()

    @classmethod
    def _by_company(cls, sales):
        groups = defaultdict(list)
        for sale in sales:
            groups[sale.company].append(sale)
        return groups.items()

    @classmethod
    def _customer(cls, sale):
        "The party who pays the order"
        return sale.invoice_party or sale.party

    @classmethod
    def paid_upfront(cls, sale, total=None):
        "Tell if the order is paid in full before it is delivered"
        if total is None:
            total = sale.total_amount or 0
        if total <= 0:
            return True
        if (sale.deposit_amount or 0) >= total:
            return True
        if sale.payment_term:
            date = sale.sale_date or cls._control_date(sale)
            # A cash payment term has every due date on the order date
            terms = sale.payment_term.compute(total, sale.currency, date)
            return all(d <= date for d, _ in terms)
        return False

    @classmethod
    def check_solvency(cls, sales, sources):
        """Check the latest solvency assessment of the customer:
        prepayment only blocks unless the order is paid upfront

        Registries out of reach never pass for sound: the check warns
        naming the outage, and blocks when their cached answer does."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        results = {}
        for sale in sales:
            party = cls._customer(sale)
            assessment = sources['solvency'][sale.id]
            outage = sources.get('solvency_outage', {}).get(sale.id)
            total = sources['total_amount'][sale.id]
            lines, figures = [], []
            result = None
            if assessment:
                statuses = dict(assessment.fields_get(
                        ['status'])['status']['selection'])
                status = statuses.get(assessment.status, '')
                figures.append(
                    (gettext('sale_chain.msg_control_solvency_assessed'),
                        '%s (%s)' % (
                            lang.strftime(assessment.date),
                            lang.strftime(assessment.valid_until))))
                figures.append(('SIREN', str(assessment.siren_valid)))
                values = {
                    'party': party.rec_name,
                    'status': status,
                    'date': lang.strftime(assessment.date),
                    }
                if (assessment.status == 'prepayment'
                        and cls.paid_upfront(sale, total)):
                    result, message = 'ok', 'msg_control_solvency_upfront'
                else:
                    result, message = SOLVENCY_RESULTS.get(
                        assessment.status,
                        ('ok', 'msg_control_solvency_ok'))
                lines.append(gettext('sale_chain.' + message, **values))
                if assessment.findings:
                    figures.append((
                            assessment.source_detail or '',
                            ' '.join(assessment.findings.split())))
            if outage:
                cached = outage.registry_cached_status
                if cached == 'blocked':
                    outage_result = 'blocking'
                elif cached == 'prepayment' and not cls.paid_upfront(
                        sale, total):
                    outage_result = 'blocking'
                else:
                    outage_result = 'warning'
                if result != 'blocking':
                    result = outage_result
                lines.append(gettext(
                        'sale_chain.msg_control_solvency_unknown',
                        party=party.rec_name,
                        findings=' '.join(outage.findings.split())))
            if result is None:
                result = 'warning'
                lines.append(gettext(
                        'sale_chain.msg_control_solvency_none',
                        party=party.rec_name))
            results[sale.id] = cls._line(result, '\n'.join(lines), figures)
        return results

    @classmethod
    def check_receivables(cls, sales, sources):
        "Check the overdue receivables and the dunning level"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Lang = pool.get('ir.lang')
        config = Configuration(1)
        lang = Lang.get()
        results = {}
        for company, c_sales in cls._by_company(sales):
            tolerance = config.get_multivalue(
                'control_overdue_tolerance', company=company.id)

            def money(amount):
                return lang.currency(amount, company.currency)
            for sale in c_sales:
                party = cls._customer(sale)
                due = sources['receivables'][sale.id]
                level = sources['dunning_level'][sale.id]
                figures = [(k, money(due[k])) for k in [
                        'total', '1-30', '31-60', '61-90', '>90']]
                figures.append((
                        gettext('sale_chain.msg_control_receivables_level'),
                        level.rec_name if level else '-'))
                blocking, warnings = [], []
                if due['total'] > 0:
                    message = gettext(
                        'sale_chain.msg_control_receivables_overdue',
                        party=party.rec_name, amount=money(due['total']),
                        oldest=lang.strftime(due['oldest_maturity'])
                        if due['oldest_maturity'] else '')
                    if tolerance is not None and due['total'] > tolerance:
                        blocking.append(message)
                    else:
                        warnings.append(message)
                if level:
                    warnings.append(gettext(
                            'sale_chain.msg_control_receivables_dunning',
                            party=party.rec_name, level=level.rec_name))
                results[sale.id] = cls._result(
                    blocking, warnings,
                    gettext('sale_chain.msg_control_receivables_ok',
                        party=party.rec_name),
                    figures)
        return results

    @classmethod
    def check_credit_limit(cls, sales, sources):
        """Check the credit limit with account_credit_limit's own check,
        the order included: its error blocks, its warning (for the users
        allowed to exceed the limit) warns

        The check locks what the credit amount reads, as the confirmation
        of Tryton does, so that two orders can not pass the same credit."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        checked = _credit_checked()
        results = {}
        for sale in sales:
            party = cls._customer(sale)
            company = sale.company
            # must_check_credit_limit skips a sale already checked
            checked.discard(sale.id)
            limit = party.get_multivalue(
                'credit_limit_amount', company=company.id)
            if not sale.must_check_credit_limit() or limit is None:
                results[sale.id] = cls._line('ok', gettext(
                        'sale_chain.msg_control_credit_limit_none',
                        party=party.rec_name))
                checked.add(sale.id)
                continue
            # An order already confirmed is in the credit amount
            amount = 0
            if sale.state in {'draft', 'quotation'}:
                amount = sale.credit_limit_amount
            result, message = 'ok', None
            with Transaction().set_context(company=company.id):
                try:
                    party.check_credit_limit(amount, company, origin=sale)
                except CreditLimitError as error:
                    result, message = 'blocking', error.message
                except CreditLimitWarning as warning:
                    result, message = 'warning', warning.message
                credit = party.credit_amount
            checked.add(sale.id)

            def money(value):
                return lang.currency(value, company.currency)
            figures = [(
                    gettext('sale_chain.msg_control_receivables_credit'),
                    '%s + %s / %s' % (
                        money(credit), money(amount), money(limit)))]
            values = {
                'party': party.rec_name,
                'amount': money(credit + amount),
                'limit': money(limit),
                }
            if result == 'ok' and credit + amount > limit:
                # Tryton lets the credit limit group (and the scheduled
                # jobs) exceed the limit: the control still tells
                result, message = 'warning', gettext(
                    'sale_chain.msg_control_credit_limit_allowed', **values)
            elif result == 'ok':
                message = gettext(
                    'sale_chain.msg_control_credit_limit_ok', **values)
            results[sale.id] = cls._line(result, message, figures)
        return results

    @classmethod
    def check_conditions(cls, sales, sources):
        """Check that the sales apply the conditions of their customer:
        line discount, price list and payment term"""
        conditions = sources['conditions']
        results = {}
        for sale in sales:
            condition = conditions.get(sale.id)
            if not condition:
                results[sale.id] = cls._line(
                    'ok', gettext('sale_chain.msg_control_conditions_none'))
                continue
            differences, figures = [], [
                ('condition', condition.rec_name)]
            if (condition.payment_term
                    and sale.payment_term != condition.payment_term):
                differences.append(gettext(
                        'sale_chain.msg_control_conditions_payment_term',
                        term=sale.payment_term.rec_name
                        if sale.payment_term else '',
                        expected=condition.payment_term.rec_name))
            if (condition.price_list
                    and sale.price_list != condition.price_list):
                differences.append(gettext(
                        'sale_chain.msg_control_conditions_price_list',
                        price_list=sale.price_list.rec_name
                        if sale.price_list else '',
                        expected=condition.price_list.rec_name))
            expected = condition.discount_rate or Decimal(0)
            lines = []
            for line in sale.lines:
                if line.type != 'line' or not line.product:
                    continue
                rate = line.discount_rate or Decimal(0)
                # The rate is recomputed from rounded prices
                if abs(rate - expected) > Decimal('0.0005'):
                    lines.append('%s (%s)' % (
                            line.product.rec_name, cls._percent(rate)))
            if lines:
                differences.append(gettext(
                        'sale_chain.msg_control_conditions_discount',
                        expected=cls._percent(expected),
                        lines=', '.join(lines)))
            if differences:
                results[sale.id] = cls._line(
                    'warning', '\n'.join(differences), figures)
            else:
                results[sale.id] = cls._line(
                    'ok', gettext(
                        'sale_chain.msg_control_conditions_ok',
                        condition=condition.rec_name), figures)
        return results

    @classmethod
    def _price(cls, value):
        "Format a unit price with 2 decimals unless it needs more"
        pool = Pool()
        Lang = pool.get('ir.lang')
        exponent = Decimal(value).normalize().as_tuple().exponent
        return Lang.get().format_number(value, max(2, -exponent))

    @classmethod
    def _percent(cls, rate):
        pool = Pool()
        Lang = pool.get('ir.lang')
        return '%s %%' % Lang.get().format_number(rate * 100, 2)

    @classmethod
    def deposit_required(cls, sale, condition=None):
        """Return the advance payment term the sale requires
        or None when it requires none"""
        if condition and condition.deposit_required:
            return condition.advance_payment_term
        return sale.advance_payment_term

    @classmethod
    def check_deposit(cls, sales, sources):
        """Check that a sale which requires a deposit carries the
        matching advance payment term"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        conditions = sources['conditions']
        lang = Lang.get()
        results = {}
        for sale in sales:
            required = cls.deposit_required(sale, conditions.get(sale.id))
            total = sources['total_amount'][sale.id]
            if sale.deposit_amount > max(total, 0):
                results[sale.id] = cls._line(
                    'blocking', gettext(
                        'sale_chain.msg_control_deposit_above_total',
                        amount=lang.currency(
                            sale.deposit_amount, sale.currency),
                        total=lang.currency(total, sale.currency)))
            elif not required:
                results[sale.id] = cls._line(
                    'ok', gettext('sale_chain.msg_control_deposit_none'))
            elif sale.advance_payment_term != required:
                results[sale.id] = cls._line(
                    'blocking', gettext(
                        'sale_chain.msg_control_deposit_missing',
                        term=required.rec_name))
            else:
                amount = lang.currency(sale.deposit_amount, sale.currency)
                results[sale.id] = cls._line(
                    'ok', gettext(
                        'sale_chain.msg_control_deposit_ok',
                        amount=amount, term=required.rec_name),
                    [(required.rec_name, amount)])
        return results


class ControlLine(ModelSQL, ModelView):
    "Order Control Check"
    __name__ = 'sale.control.line'

    control = fields.Many2One(
        'sale.control', "Control", required=True, readonly=True,
        ondelete='CASCADE')
    sequence = fields.Integer("Sequence", readonly=True)
    # Another module adds its check to this selection in __setup__
    check = fields.Selection(CHECKS, "Check", readonly=True)
    result = fields.Selection(RESULTS, "Result", readonly=True)
    message = fields.Text("Message", readonly=True)
    figures = fields.Text("Figures", readonly=True)
    override_reason = fields.Many2One(
        'sale.control.override.reason', "Override Reason", readonly=True)
    override_text = fields.Text("Override Explanation", readonly=True)
    overridden_by = fields.Many2One('res.user', "Overridden by", readonly=True)
    overridden_at = fields.DateTime("Overridden at", readonly=True)
    action_note = fields.Text(
        "Action Taken", readonly=True,
        help="What was done about the check from the control: "
        "customer reminded, informed, cash payment required.")
    action_by = fields.Many2One('res.user', "Action by", readonly=True)
    action_at = fields.DateTime("Action at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('control')
        cls._order = [
            ('control', 'DESC'), ('sequence', 'ASC'), ('id', 'ASC')]

    @classmethod
    def _system_fields(cls):
        "The fields the system still sets on a stored check"
        return {
            'override_reason', 'override_text', 'overridden_by',
            'overridden_at', 'action_note', 'action_by', 'action_at'}

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if mode == 'delete':
            raise HistoryLocked(gettext('sale_chain.msg_control_delete'))
        if mode == 'create' and external:
            raise HistoryLocked(gettext('sale_chain.msg_control_create'))
        if mode == 'write' and (
                external or set(values) - cls._system_fields()):
            raise HistoryLocked(gettext('sale_chain.msg_control_modify'))

    @classmethod
    def record_action(cls, lines, note):
        "Record on the lines what was done about them"
        transaction = Transaction()
        with without_check_access():
            cls.write(list(lines), {
                    'action_note': note,
                    'action_by': transaction.user or None,
                    'action_at': dt.datetime.now(),
                    })

    @classmethod
    def override(cls, lines, reason, text):
        "Override the blocking lines with reason and text"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Control = pool.get('sale.control')
        transaction = Transaction()
        group = ModelData.get_id(
            'sale_chain', 'group_order_control_override')
        if transaction.user and group not in User.get_groups():
            raise ControlOverrideError(gettext(
                    'sale_chain.msg_control_override_group'))
        if not reason or not (text or '').strip():
            raise ControlOverrideError(gettext(
                    'sale_chain.msg_control_override_reason'))
        for control in {l.control for l in lines}:
            sale = control.sale
            # What is overridden is the content controlled, nothing else
            if (sale.state not in {'quotation', 'confirmed', 'processing'}
                    or sale.current_control != control
                    or control.digest != sale.control_digest()):
                raise ControlOutdated(gettext(
                        'sale_chain.msg_control_override_outdated',
                        sale=sale.rec_name))
        lines = [l for l in lines if l.result == 'blocking']
        now = dt.datetime.now()
        with without_check_access():
            cls.write(lines, {
                    'override_reason': reason.id,
                    'override_text': text,
                    'overridden_by': transaction.user,
                    'overridden_at': now,
                    })
            controls = {l.control for l in lines}
            for control in controls:
                state = Control._state([{
                            'result': l.result,
                            'override_reason': l.override_reason,
                            } for l in control.lines])
                Control.write([control], {'state': state})


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    controls = fields.One2Many(
        'sale.control', 'sale', "Order Controls", readonly=True)
    # Only Control._set_current writes it, with a control of the sale
    # (check_modification refuses any other write): a domain would only
    # make each confirmation validate it, reading the sale again
    current_control = fields.Many2One(
        'sale.control', "Current Control", readonly=True)
    control_state = fields.Function(fields.Selection([
                ('none', "To Control"),
                ('outdated', "Outdated"),
                ] + CONTROL_STATES, "Control State"),
        'get_control_state')
    stock_shortage = fields.Text(
        "Stock Shortage", readonly=True,
        help="The shortage the customer was informed of.\n"
        "The order acknowledgment prints it.")
    shortage_informed_at = fields.DateTime(
        "Shortage Informed at", readonly=True)
    shortage_informed_by = employee_stamp(
        "Shortage Informed by",
        help="The employee who informed the customer of the shortage.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'control': {
                    # An order changed since its confirmation is
                    # controlled again
                    'invisible': ~((Eval('state') == 'quotation')
                        | (Eval('state').in_(['confirmed', 'processing'])
                            & ~Eval('control_state').in_(
                                list(VALID_STATES)))),
                    'depends': ['state', 'control_state'],
                    },
                })

    @classmethod
    def __register__(cls, module_name):
        # Migration: the stamp was a res.user
        migrate_user_stamps(cls, module_name, ['shortage_informed_by'])
        super().__register__(module_name)

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('controls', None)
        default.setdefault('current_control', None)
        default.setdefault('stock_shortage', None)
        default.setdefault('shortage_informed_at', None)
        default.setdefault('shortage_informed_by', None)
        return super().copy(sales, default=default)

    @classmethod
    def check_modification(cls, mode, sales, values=None, external=False):
        super().check_modification(
            mode, sales, values=values, external=external)
        # The current control is set by the order control only
        if external and (
                (mode == 'write' and 'current_control' in values)
                or (mode == 'create'
                    and any(s.current_control for s in sales))):
            raise HistoryLocked(gettext('sale_chain.msg_control_current'))
        if mode == 'delete':
            for sale in sales:
                if sale.controls:
                    raise HistoryLocked(gettext(
                            'sale_chain.msg_sale_delete_controlled',
                            sale=sale.rec_name))

    def get_control_state(self, name):
        control = self.current_control
        if not control:
            return 'none'
        if control.digest != self.control_digest():
            return 'outdated'
        return control.state

    def control_digest(self):
        "Return the fingerprint of what the order control checks"
        return hashlib.sha256(json.dumps(
                self.get_control_inputs(), sort_keys=True,
                default=str).encode()).hexdigest()

    def get_control_inputs(self):
        """Return what the checks of the order control read of the sale,
        as a dictionary: a module adding a check adds its inputs"""
        pool = Pool()
        Control = pool.get('sale.control')

        def id_(record):
            return record.id if record else None
        inputs = {
            'sale': [
                id_(self.company), id_(self.party), id_(self.invoice_party),
                id_(self.invoice_address), id_(self.shipment_party),
                id_(self.shipment_address), id_(self.payment_term),
                id_(self.currency), id_(self.warehouse),
                self.shipment_method, self.invoice_method,
                id_(getattr(self, 'price_list', None)),
                # Confirm sets the sale date of the day the control ran
                _str(self.sale_date or Control._control_date(self)),
                _str(self.shipping_date),
                ],
            'lines': [],
            'deposit': [
                id_(getattr(self, 'advance_payment_term', None))],
            }
        for line in sorted(self.lines, key=lambda l: l.id):
            inputs['lines'].append([
                    line.id, line.type, id_(line.product),
                    _str(line.quantity), id_(line.unit),
                    _str(line.unit_price),
                    _str(getattr(line, 'base_price', None)),
                    sorted(t.id for t in line.taxes),
                    ])
        for line in sorted(
                getattr(self, 'advance_payment_lines', []),
                key=lambda l: l.id):
            inputs['deposit'].append([
                    line.id, _str(line.amount), id_(line.account),
                    bool(line.block_supply), bool(line.block_shipping),
                    _str(line.invoice_delay),
                    ])
        return inputs

    @property
    def has_valid_control(self):
        return self.control_state in VALID_STATES

    def current_check(self, check):
        "Return the line of check in the current control or None"
        if self.current_control:
            for line in self.current_control.lines:
                if line.check == check:
                    return line

    @classmethod
    def check_quotations(cls, sales):
        "Refuse an action of the order control on a sale not a quotation"
        for sale in sales:
            if sale.state != 'quotation':
                raise ControlError(gettext(
                        'sale_chain.msg_control_not_quotation',
                        sale=sale.rec_name))

    @classmethod
    def remind_overdue_receivables(cls, sales):
        """Create the dunnings of the overdue receivables of the customers
        and record it on the receivables check of the sales"""
        pool = Pool()
        Party = pool.get('party.party')
        Control = pool.get('sale.control')
        ControlLine = pool.get('sale.control.line')
        Lang = pool.get('ir.lang')
        cls.check_quotations(sales)
        for sale in sales:
            party = Control._customer(sale)
            date = Control._control_date(sale)
            # The dunnings belong to accounting but reminding is a sales
            # administration task
            with without_check_access():
                dunnings = Party.remind_overdue([party], sale.company, date)
            if dunnings:
                amount = sum(d.amount or 0 for d in dunnings)
                note = gettext('sale_chain.msg_remind_done',
                    count=len(dunnings), party=party.rec_name,
                    amount=Lang.get().currency(
                        amount, sale.company.currency))
            else:
                note = gettext('sale_chain.msg_remind_nothing',
                    party=party.rec_name)
            line = sale.current_check('receivables')
            if line:
                ControlLine.record_action([line], note)

    @classmethod
    def require_cash_payment(cls, sales):
        """Put the cash payment term of the configuration on the sales,
        the way out of a solvency that requires prepayment"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        ControlLine = pool.get('sale.control.line')
        config = Configuration(1)
        cls.check_quotations(sales)
        for sale in sales:
            term = config.get_multivalue(
                'control_cash_payment_term', company=sale.company.id)
            if not term:
                raise ControlError(gettext(
                        'sale_chain.msg_cash_term_missing'))
            line = sale.current_check('solvency')
            note = gettext('sale_chain.msg_cash_done',
                old=sale.payment_term.rec_name if sale.payment_term else '',
                term=term.rec_name)
            cls.write([sale], {'payment_term': term.id})
            if line:
                ControlLine.record_action([line], note)

    @classmethod
    def cancel_from_control(cls, sales):
        "Cancel the sales and record it on their blocking checks"
        pool = Pool()
        ControlLine = pool.get('sale.control.line')
        cls.check_quotations(sales)
        lines = [l for s in sales if s.current_control
            for l in s.current_control.lines if l.result == 'blocking']
        cls.cancel(sales)
        ControlLine.record_action(
            lines, gettext('sale_chain.msg_cancel_done'))

    @classmethod
    @ModelView.button_action('sale_chain.wizard_control')
    def control(cls, sales):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, sales):
        pool = Pool()
        SaleLine = pool.get('sale.line')
        super().draft(sales)
        # A sale back to draft must be controlled again, and a shortage
        # informed of must be found again by the new control
        with without_check_access():
            cls.write(sales, {
                    'current_control': None,
                    'stock_shortage': None,
                    'shortage_informed_at': None,
                    'shortage_informed_by': None,
                    'shortage_informed_to': None,
                    })
            lines = [l for s in sales for l in s.lines
                if l.shortage_date or l.shortage_note]
            SaleLine.write(lines, {
                    'shortage_date': None,
                    'shortage_note': None,
                    })

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, sales):
        pool = Pool()
        Control = pool.get('sale.control')
        # Check before the credit limit and the process queue
        controls = cls.check_order_control(sales)
        super().confirm(sales)
        # Written after Tryton's confirmation, which then reads the sales
        # from the cache the control filled instead of again
        Control._set_current(controls)

    @classmethod
    def process(cls, sales):
        # What was controlled is frozen for the clients and the calls from
        # outside; a sale changed since by the system (a module, a script,
        # an amendment) is controlled again before it is processed, and
        # not processed while its new control is blocked
        super().process(cls._controlled_to_process(sales))

    @classmethod
    def _controlled_to_process(cls, sales):
        pool = Pool()
        Control = pool.get('sale.control')
        # An order without control was confirmed before the module was
        # installed: it goes on as it was
        changed = [
            s for s in sales
            if s.state in {'confirmed', 'processing'}
            and s.current_control and not s.has_valid_control]
        if not changed:
            return sales
        controls = Control.run(changed, 'process')
        blocked = set()
        for control in controls:
            if control.state == 'blocked':
                blocked.add(control.sale.id)
                cls._notify_refusal(
                    control, 'msg_control_process_refused_label')
        return [s for s in sales if s.id not in blocked]

    def must_check_credit_limit(self):
        # Every shipment method: an order shipped on payment is a credit
        # too.  Once the order control of the transaction has checked the
        # credit (under the same lock), or a manager overrode its refusal,
        # a second check would only say it again.
        return self.id not in _credit_checked()

    @classmethod
    def check_order_control(cls, sales):
        """Run the order control of sales without a valid one: refuse the
        blocked ones, warn about the others and return the controls stored,
        which the caller makes the current ones"""
        pool = Pool()
        Control = pool.get('sale.control')
        Warning = pool.get('res.user.warning')
        to_control = []
        for sale in sales:
            if not sale.has_valid_control:
                to_control.append(sale)
                continue
            line = sale.current_check('credit_limit')
            if line and line.override_reason:
                # The override lets the order through, once
                _credit_checked().add(sale.id)
        if not to_control:
            return []
        vlist = Control.compute(to_control, 'confirm')
        blocked = [v for v in vlist if v['state'] == 'blocked']
        if blocked:
            cls._refuse(blocked)
        user = Transaction().user
        for sale, values in zip(to_control, vlist):
            if values['state'] != 'warning':
                continue
            name = Warning.format(
                'sale_control_%s' % values['digest'][:32], [sale])
            if Warning.check(name):
                raise ControlWarning(name, gettext(
                        'sale_chain.msg_control_warning',
                        sale=sale.rec_name,
                        warnings=cls._control_messages(values, 'warning')))
            if user:
                values['warnings_acknowledged_by'] = user
        return Control.store(vlist, current=False)

    @classmethod
    def _control_messages(cls, control, result, separator='\n'):
        if isinstance(control, dict):
            lines = control['lines'][0][1]
        else:
            lines = [{'result': l.result, 'message': l.message}
                for l in control.lines]
        return separator.join(
            '- %s' % l['message'] for l in lines if l['result'] == result)

    @classmethod
    def _refuse(cls, vlist):
        """Refuse the confirmation of the blocked controls of vlist: they
        are stored and the salespersons notified once the transaction of
        the caller is over, whatever it does with the error"""
        transaction = Transaction()
        sales = cls.browse([v['sale'] for v in vlist])
        messages = '\n'.join(
            gettext('sale_chain.msg_control_blocked_sale',
                sale=s.rec_name,
                reasons=cls._control_messages(v, 'blocking'))
            for s, v in zip(sales, vlist))
        # Not in the transaction of the caller, which the error rolls back
        # or which may go on and commit; nor in a transaction nested in it,
        # which would wait for the locks the caller holds (the credit limit
        # check locks the sales): in a transaction of its own, after it.
        transaction.atexit(
            cls._store_refusal, transaction.database.name,
            transaction.user, dict(transaction.context), vlist)
        raise ControlBlocked(gettext(
                'sale_chain.msg_control_blocked', sales=messages))

    @classmethod
    def _store_refusal(cls, database_name, user, context, vlist):
        "Store the refused controls of vlist and notify the salespersons"
        try:
            with Transaction(new=True).start(
                    database_name, user, context=context):
                pool = Pool()
                Sale = pool.get('sale.sale')
                Control = pool.get('sale.control')
                with without_check_access():
                    # The caller may have rolled back the sale itself
                    sales = Sale.search([
                            ('id', 'in', [v['sale'] for v in vlist]),
                            ('state', '=', 'quotation'),
                            ])
                ids = {s.id for s in sales}
                controls = Control.store(
                    [v for v in vlist if v['sale'] in ids])
                for control in controls:
                    Sale._notify_refusal(control)
        except Exception:
            logger.critical(
                "failed to store the refused order controls of sales %s",
                [v['sale'] for v in vlist], exc_info=True)

    @classmethod
    def _notify_refusal(cls, control, label='msg_control_refused_label'):
        """Notify the salesperson of the sale that its confirmation is
        refused: the notification opens the sale"""
        sale = control.sale
        for user in sale.salesperson_users:
            cls.notify_user(
                [sale], 'tryton-warning',
                gettext('sale_chain.%s' % label, sale=sale.rec_name),
                description=_one_line(cls._control_messages(
                        control, 'blocking', separator=' ')),
                user=user.id)


class ControlStart(ModelView):
    "Order Control"
    __name__ = 'sale.control.run.start'

    sale = fields.Many2One('sale.sale', "Sale", readonly=True)
    control = fields.Many2One('sale.control', "Control", readonly=True)
    state = fields.Selection(CONTROL_STATES, "Result", readonly=True)
    lines = fields.One2Many(
        'sale.control.line', None, "Checks", readonly=True)
    can_override = fields.Boolean("Can Override", readonly=True)
    can_remind = fields.Boolean("Can Remind", readonly=True)
    can_inform = fields.Boolean("Can Inform", readonly=True)
    can_pay_cash = fields.Boolean("Can Pay Cash", readonly=True)


class ControlOverride(ModelView):
    "Order Control Override"
    __name__ = 'sale.control.run.override'

    reason = fields.Many2One(
        'sale.control.override.reason', "Reason", required=True)
    text = fields.Text("Explanation", required=True)


class RunControl(Wizard):
    "Control the Order"
    __name__ = 'sale.control.run'
    start = StateTransition()
    result = StateView(
        'sale.control.run.start',
        'sale_chain.control_run_start_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Remind the Customer", 'remind', 'tryton-email',
                states={
                    'invisible': ~Eval('can_remind', False),
                    }),
            Button("Inform the Customer", 'inform', 'tryton-email',
                states={
                    'invisible': ~Eval('can_inform', False),
                    }),
            Button("Require Cash Payment", 'cash', 'tryton-currency',
                states={
                    'invisible': ~Eval('can_pay_cash', False),
                    }),
            Button("Cancel the Order", 'cancel_sale', 'tryton-delete',
                states={
                    'invisible': Eval('state') != 'blocked',
                    }),
            Button("Override", 'override', 'tryton-forward',
                states={
                    'invisible': ((Eval('state') != 'blocked')
                        | ~Eval('can_override', False)),
                    }),
            Button("Confirm the Order", 'confirm', 'tryton-ok',
                default=True,
                states={
                    'invisible': Eval('state') == 'blocked',
                    }),
            ])
    override = StateView(
        'sale.control.run.override',
        'sale_chain.control_run_override_view_form', [
            Button("Cancel", 'result', 'tryton-cancel'),
            Button("Override", 'do_override', 'tryton-ok', default=True),
            ])
    inform = StateView(
        'sale.control.run.inform',
        'sale_chain.control_run_inform_view_form', [
            Button("Back", 'result', 'tryton-back'),
            Button("Confirm the Order and Send", 'send_inform',
                'tryton-email', default=True),
            ])
    send_inform = StateTransition()
    do_override = StateTransition()
    confirm = StateTransition()
    remind = StateTransition()
    cash = StateTransition()
    cancel_sale = StateTransition()

    def _sale(self, states=('quotation',)):
        """Return the sale of the wizard, refusing a call without one or
        on a sale in another state (a step called out of order)"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        record = self.record
        if record is None or self.model is None or (
                self.model.__name__ != 'sale.sale'):
            raise ControlError(gettext('sale_chain.msg_control_no_sale'))
        sale = Sale(record.id)
        if sale.state not in states:
            raise ControlError(gettext(
                    'sale_chain.msg_control_not_quotation',
                    sale=sale.rec_name))
        return sale

    def transition_start(self):
        pool = Pool()
        Control = pool.get('sale.control')
        sale = self._sale(('quotation', 'confirmed', 'processing'))
        if sale.state != 'quotation' and sale.has_valid_control:
            # An order is controlled again only when it changed
            raise ControlError(gettext(
                    'sale_chain.msg_control_not_needed',
                    sale=sale.rec_name))
        # An override stays until the sale changes
        if sale.control_state != 'overridden':
            Control.run([sale], 'wizard')
        return 'result'

    def default_result(self, fields):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        sale = self._sale(('quotation', 'confirmed', 'processing'))
        control = sale.current_control
        if not control:
            raise ControlError(gettext(
                    'sale_chain.msg_control_not_run', sale=sale.rec_name))
        group = ModelData.get_id(
            'sale_chain', 'group_order_control_override')
        return {
            'sale': sale.id,
            'control': control.id,
            'state': control.state,
            'lines': [l.id for l in control.lines],
            'can_override': group in User.get_groups(),
            'can_remind': self._can_remind(sale),
            'can_inform': self._can_inform(sale),
            'can_pay_cash': self._can_pay_cash(sale),
            }

    @classmethod
    def _can_remind(cls, sale):
        pool = Pool()
        Party = pool.get('party.party')
        Control = pool.get('sale.control')
        line = sale.current_check('receivables')
        if not line or line.result == 'ok' or line.action_note:
            return False
        with without_check_access():
            return bool(Party.get_overdue_to_remind(
                    [Control._customer(sale)], sale.company,
                    Control._control_date(sale)))

    @classmethod
    def _can_inform(cls, sale):
        line = sale.current_check('stock')
        return bool(line and line.result == 'warning'
            and not line.action_note)

    @classmethod
    def _can_pay_cash(cls, sale):
        pool = Pool()
        Solvency = pool.get('party.solvency')
        Control = pool.get('sale.control')
        line = sale.current_check('solvency')
        if not line or line.result != 'blocking':
            return False
        party = Control._customer(sale)
        assessment, outage = Solvency.get_current(
            [party], sale.company, Control._control_date(sale),
            outages=True)[party.id]
        # Paying cash is no way out for a blocked customer
        if assessment and assessment.status == 'blocked':
            return False
        return bool(
            (assessment and assessment.status == 'prepayment')
            or (outage and outage.registry_cached_status == 'prepayment'))

    def transition_remind(self):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Sale.remind_overdue_receivables([self._sale()])
        return 'result'

    def _inform_sale(self):
        "Return the sale of the wizard whose shortage is to inform of"
        sale = self._sale()
        if not self._can_inform(sale):
            raise ControlError(gettext(
                    'sale_chain.msg_inform_no_shortage',
                    sale=sale.rec_name))
        return sale

    def default_inform(self, fields):
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Inform = pool.get('sale.control.run.inform')
        ModelData = pool.get('ir.model.data')
        ActionReport = pool.get('ir.action.report')
        sale = self._inform_sale()
        template = Configuration(1).get_multivalue(
            'acknowledgment_email_template', company=sale.company.id)
        values = Inform.render(sale, template)
        report = ActionReport(ModelData.get_id(
                'sale_chain', 'report_sale_acknowledgment'))
        return {
            'sale': sale.id,
            'template': template.id if template else None,
            'to': values.get('to'),
            'cc': values.get('cc'),
            'subject': values.get('subject'),
            'body': values.get('body'),
            'shortages': values.get('shortages'),
            'attachment': '%s (PDF)' % report.name,
            }

    def transition_send_inform(self):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Email = pool.get('ir.email')
        ModelData = pool.get('ir.model.data')
        sale = self._inform_sale()
        form = self.inform
        Sale.inform_shortage(
            [sale], date=form.expected_date, to=form.to)
        # The acknowledgment is of a confirmed order: informing the
        # customer by it confirms the order, its warnings seen
        self._acknowledge_warnings(sale)
        Sale.confirm([sale])
        Email.send(
            to=form.to, cc=form.cc or '', subject=form.subject,
            body=form.body or '', record=[Sale.__name__, sale.id],
            reports=[ModelData.get_id(
                    'sale_chain', 'report_sale_acknowledgment')])
        return 'end'

    def transition_cash(self):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Sale.require_cash_payment([self._sale()])
        # The new payment term is controlled again
        return 'start'

    def transition_cancel_sale(self):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Sale.cancel_from_control([self._sale()])
        return 'end'

    def transition_do_override(self):
        pool = Pool()
        Line = pool.get('sale.control.line')
        sale = self._sale(('quotation', 'confirmed', 'processing'))
        if not sale.current_control:
            raise ControlError(gettext(
                    'sale_chain.msg_control_not_run', sale=sale.rec_name))
        Line.override(
            list(sale.current_control.lines),
            getattr(self.override, 'reason', None),
            getattr(self.override, 'text', None))
        return 'result'

    @classmethod
    def _acknowledge_warnings(cls, sale):
        "Record that the user saw the warnings of the current control"
        pool = Pool()
        Control = pool.get('sale.control')
        Warning = pool.get('res.user.warning')
        control = sale.current_control
        if control and sale.control_state == 'warning':
            with without_check_access():
                Control.write(
                    [control],
                    {'warnings_acknowledged_by': Transaction().user})
            line = sale.current_check('credit_limit')
            if line and line.result == 'warning':
                # The warning of Tryton's credit limit check was this one
                with without_check_access():
                    for name in [
                            'credit_limit_amount', 'credit_limit_dunning']:
                        Warning.skip(Warning.format(name, [sale]))

    def transition_confirm(self):
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = self._sale(('quotation', 'confirmed', 'processing'))
        # Confirm acknowledges the warnings of the control the user saw;
        # without a valid control, confirm runs one
        self._acknowledge_warnings(sale)
        if sale.state == 'quotation':
            Sale.confirm([sale])
        else:
            # An order changed since its confirmation goes on with its
            # new control, or is refused again
            Sale.process([sale])
            if not Sale(sale.id).has_valid_control:
                # Stored and notified: the user sees the refusal
                return 'result'
        return 'end'

    def end(self):
        return 'reload'
