# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the customer is told of a stock shortage: for each line short of
stock, the date from which it is expected (from the stock forecast, or
typed when informing) in a sentence of the customer's language, which the
order acknowledgment and its e-mail state."""
import datetime as dt
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .common import user_employee
from .exceptions import ControlError

# How many days after the planned date the forecast is searched for the
# date a shortage is covered: further, the office types the date
FORECAST_DAYS = 180


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    shortage_date = fields.Date(
        "Expected Delivery Date", readonly=True,
        help="The date from which the line short of stock is expected "
        "to be delivered, as the customer was told.")
    shortage_note = fields.Char(
        "Availability", readonly=True,
        help="What the customer was told of the line short of stock.")

    @classmethod
    def copy(cls, lines, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('shortage_date', None)
        default.setdefault('shortage_note', None)
        return super().copy(lines, default=default)


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    shortage_informed_to = fields.Char(
        "Shortage Informed to", readonly=True,
        help="The addresses the shortage was e-mailed to.")

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('shortage_informed_to', None)
        return super().copy(sales, default=default)

    def get_shortages(self, date=None):
        """Return the lines short of stock as a list of (line, expected
        date, sentence for the customer); date is the expected date of the
        lines the forecast gives none for"""
        pool = Pool()
        Control = pool.get('sale.control')
        Uom = pool.get('product.uom')
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        if not self.warehouse:
            return []
        with Transaction().set_context(company=self.company.id):
            today = Date.today()
        start = max(self.shipping_date or today, today)
        lines = defaultdict(list)
        for line in Control.stock_lines(self):
            lines[line.product].append(line)
        # What the stock holds is told to the sales administration, which
        # has no access to the stock
        with without_check_access():
            quantities, quoted = Control.stock_forecast(
                self.warehouse, set(lines), start, [self])
        lang = self.party.lang or Lang.get()
        result = []
        for product, p_lines in lines.items():
            asked = sum(Uom.compute_qty(
                    l.unit, l.quantity, product.default_uom, round=False)
                for l in p_lines)
            available = max(quantities[product] - quoted[product], 0)
            if available >= asked:
                continue
            with without_check_access():
                expected = self.forecast_date(
                    product, asked + quoted[product], start)
            expected = expected or date
            # The stock goes to the first lines, the others wait
            for line in sorted(p_lines, key=lambda l: l.sequence or 0):
                needed = Uom.compute_qty(
                    line.unit, line.quantity, product.default_uom,
                    round=False)
                served = min(available, needed)
                available -= served
                if served >= needed:
                    continue
                served = Uom.compute_qty(
                    product.default_uom, served, line.unit, round=False)
                result.append((line, expected, self.shortage_sentence(
                            line, served, expected, lang)))
        return result

    def forecast_date(self, product, quantity, start):
        """Return the first date from start within the horizon from which
        the forecast quantity of product in the warehouse stays at least
        quantity, or None"""
        pool = Pool()
        Quantity = pool.get('stock.product_quantities_warehouse')
        end = start + dt.timedelta(days=FORECAST_DAYS)
        with Transaction().set_context(
                product=product.id, warehouse=self.warehouse.id,
                company=self.company.id):
            rows = Quantity.search([
                    ('date', '>=', start),
                    ('date', '<=', end),
                    ], order=[('date', 'ASC')])
            covered = None
            for row in rows:
                if (row.quantity or 0) >= quantity:
                    covered = covered or row.date
                else:
                    covered = None
        return covered

    @staticmethod
    def shortage_sentence(line, served, date, lang):
        "Return the sentence telling the customer about the short line"
        pool = Pool()
        # The formats of the acknowledgment, which prints the sentence
        Report = pool.get('sale_chain.acknowledgment', type='report')
        product = line.product.rec_name
        digits = line.unit.digits if line.unit else 2

        def number(value):
            return Report.format_quantity(value, lang, line.unit)
        values = {
            'product': product,
            'quantity': number(line.quantity),
            'available': number(served),
            }
        if date:
            values['date'] = Report.format_date(date, lang)
        if served > 10 ** -digits:
            name = 'msg_shortage_partial' if date else (
                'msg_shortage_partial_received')
        else:
            name = 'msg_shortage_all' if date else 'msg_shortage_received'
        with Transaction().set_context(language=lang.code):
            return gettext('sale_chain.%s' % name, **values)

    @classmethod
    def inform_shortage(cls, sales, date=None, to=None):
        """Record on the sales and their lines what the customers are told
        of the shortage the current control found, and on the check that
        they were informed"""
        pool = Pool()
        Date = pool.get('ir.date')
        SaleLine = pool.get('sale.line')
        ControlLine = pool.get('sale.control.line')
        Report = pool.get('sale_chain.acknowledgment', type='report')
        now = dt.datetime.now().replace(microsecond=0)
        cls.check_quotations(sales)
        for sale in sales:
            check = sale.current_check('stock')
            if not check or check.result != 'warning':
                raise ControlError(gettext(
                        'sale_chain.msg_inform_no_shortage',
                        sale=sale.rec_name))
            with Transaction().set_context(company=sale.company.id):
                today = Date.today()
            if date and date < today:
                raise ControlError(gettext(
                        'sale_chain.msg_inform_date_past',
                        sale=sale.rec_name,
                        date=Report.format_date(date)))
            shortages = sale.get_shortages(date)
            if not shortages:
                raise ControlError(gettext(
                        'sale_chain.msg_inform_no_shortage',
                        sale=sale.rec_name))
            # Not set_employee, which fills an empty field only: this is
            # who informed last, with when and whom
            employee = user_employee(sale.company)
            # Recorded by the system on a sale read-only for the user
            with without_check_access():
                for line, expected, sentence in shortages:
                    SaleLine.write([line], {
                            'shortage_date': expected,
                            'shortage_note': sentence,
                            })
                cls.write([sale], {
                        'stock_shortage': '\n'.join(
                            s for _, _, s in shortages),
                        'shortage_informed_at': now,
                        'shortage_informed_by': (
                            employee.id if employee else None),
                        'shortage_informed_to': to,
                        })
            ControlLine.record_action(
                [check], gettext('sale_chain.msg_inform_done',
                    to=to or ''))

    def get_customer_shortages(self):
        """Return the sentences of the shortage for the customer: those
        recorded, else those of the current control of a quotation"""
        pool = Pool()
        RunControl = pool.get('sale.control.run', type='wizard')
        sentences = [l.shortage_note for l in self.lines if l.shortage_note]
        if sentences or self.state != 'quotation':
            return sentences
        if not RunControl._can_inform(self):
            return []
        date = Transaction().context.get('shortage_date')
        return [s for _, _, s in self.get_shortages(date)]


class EmailTemplate(metaclass=PoolMeta):
    __name__ = 'ir.email.template'

    def get_context(self, record):
        pool = Pool()
        Sale = pool.get('sale.sale')
        context = super().get_context(record)
        if self.model and self.model.name == 'sale.sale':
            # The e-mail of the acknowledgment states the shortage
            context['shortages'] = Sale(record.id).get_customer_shortages()
        return context


class ControlInform(ModelView):
    "Inform the Customer of the Shortage"
    __name__ = 'sale.control.run.inform'

    sale = fields.Many2One('sale.sale', "Sale", readonly=True)
    template = fields.Many2One(
        'ir.email.template', "Template", readonly=True)
    to = fields.Char("To", required=True)
    cc = fields.Char("Cc")
    subject = fields.Char("Subject", required=True)
    body = fields.Text("Body")
    expected_date = fields.Date(
        "Expected Date",
        help="The date from which the lines the stock forecast gives "
        "no date for are expected; leave empty to tell the customer "
        "they are delivered as soon as received.\n"
        "Changing it fills the body again.")
    shortages = fields.Text("What the Customer Is Told", readonly=True)
    attachment = fields.Char("Attachment", readonly=True)

    @fields.depends('sale', 'template', 'expected_date', 'shortages', 'body')
    def on_change_expected_date(self):
        if not self.sale:
            return
        values = self.render(self.sale, self.template, self.expected_date)
        self.shortages = values['shortages']
        if values.get('body'):
            self.body = values['body']

    @classmethod
    def render(cls, sale, template, date=None):
        """Return the values of the e-mail of the sale's acknowledgment
        with the shortage at the date, in the customer's language"""
        pool = Pool()
        Template = pool.get('ir.email.template')
        Sale = pool.get('sale.sale')
        language = sale.party.lang.code if sale.party.lang else None
        context = {'shortage_date': date}
        if language:
            context['language'] = language
        with Transaction().set_context(**context):
            sale = Sale(sale.id)
            values = {}
            if template:
                values = Template(template.id).get(sale.id)
            values['shortages'] = '\n'.join(
                s for _, _, s in sale.get_shortages(date))
        values['to'] = ', '.join(values.get('to') or [])
        values['cc'] = ', '.join(values.get('cc') or [])
        return values
