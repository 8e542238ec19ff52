# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .chain import ChainMixin
from .exceptions import MentionMissing, UninvoicedSaleError

# Legal forms which have no share capital to print
NO_CAPITAL_FORMS = {'EI'}


def _address_complete(address):
    return bool(address and (address.street or '').strip()
        and (address.city or '').strip())


def is_french_company(company):
    "Tell if the French invoicing rules apply to the company"
    party = company.party if company else None
    if not party:
        return False
    if party.siren:
        return True
    return any(
        a.country and a.country.code == 'FR' for a in party.addresses)


def is_business_customer(party):
    "Tell if the customer is a business (B2B)"
    return (party.customer_type or 'business') == 'business'


class Invoice(ChainMixin, metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @property
    def is_french(self):
        "Tell if the French invoicing rules apply: a French company"
        return is_french_company(self.company)

    @property
    def is_business(self):
        "Tell if the customer is a business (B2B)"
        return is_business_customer(self.party)

    @property
    def is_deposit_invoice(self):
        "An invoice of deposit (acompte) of a sale, before its delivery"
        lines = [l for l in self.lines if l.type == 'line']
        return bool(lines) and all(
            l.deposit_line and (l.quantity or 0) > 0 for l in lines)

    @property
    def title(self):
        "The kind of document, printed as its title"
        if self.is_credit_note:
            return 'credit_note'
        if self.is_deposit_invoice:
            return 'deposit'
        return 'invoice'

    @property
    def operation_nature(self):
        """The nature of the operation: 'goods', 'services' or 'both'
        (lines without product are services)"""
        kinds = set()
        for line in self.lines:
            if line.type != 'line':
                continue
            if line.product and line.product.type in {'goods', 'assets'}:
                kinds.add('goods')
            else:
                kinds.add('services')
        if kinds == {'goods', 'services'}:
            return 'both'
        return kinds.pop() if kinds else None

    @property
    def operation_nature_string(self):
        nature = self.operation_nature
        if nature:
            return gettext('sale_chain.msg_invoice_nature_%s' % nature)
        return ''

    @property
    def delivery_addresses(self):
        """The delivery addresses of the invoice's sales which differ from
        the invoice address"""
        addresses = []
        for sale in self.sales:
            address = sale.shipment_address
            if (address and address != self.invoice_address
                    and address not in addresses):
                addresses.append(address)
        return addresses

    @property
    def due_dates(self):
        "The due dates and amounts, as dates (not as a payment term)"
        if self.lines_to_pay:
            return sorted(
                (l.maturity_date or l.date, l.debit - l.credit)
                for l in self.lines_to_pay)
        if self.payment_term and self.invoice_date:
            return self.payment_term.compute(
                self.total_amount, self.currency, self.invoice_date)
        return [(self.invoice_date, self.total_amount)]

    @property
    def early_payment_discount(self):
        """The escompte the customer's conditions grant on the invoice:
        (rate, deadline date, amount to pay) or None"""
        pool = Pool()
        Condition = pool.get('sale.customer.condition')
        Date = pool.get('ir.date')
        if self.type != 'out' or not self.party or not self.company:
            return None
        # Posting dates the invoice of today after the mentions are checked
        with Transaction().set_context(company=self.company.id):
            date = self.invoice_date or Date.today()
        # The accountant reads the conditions of the sales administration
        with without_check_access():
            condition = Condition.get_applicable(
                [self.party], self.company, date)[self.party.id]
            if condition:
                granted = condition.early_payment_discount == 'granted'
                rate = condition.early_payment_discount_rate
                days = condition.early_payment_discount_days or 0
        if not condition or not granted or not rate:
            return None
        deadline = date + dt.timedelta(days=days)
        amount = self.currency.round(self.total_amount * (1 - rate))
        return rate, deadline, amount

    @property
    def legal_mentions(self):
        "The payment mentions printed on the invoice, in their order"
        company = self.company
        mentions = []
        if self.early_payment_discount is None:
            mentions.append(company.no_early_payment_discount_text or '')
        if self.is_business:
            mentions.append(company.late_penalty_text or '')
            mentions.append(company.recovery_indemnity_text or '')
        if company.vat_on_debits:
            mentions.append(gettext('sale_chain.msg_invoice_vat_on_debits'))
        return [m for m in mentions if m.strip()]

    def missing_mentions(self):
        "Return the mandatory mentions the invoice lacks, as messages"
        company = self.company
        cparty = company.party
        missing = []

        def lack(name, **values):
            missing.append(gettext('sale_chain.msg_mention_' + name, **values))
        if not cparty.siren:
            lack('company_siren')
        if not (company.trade_register or '').strip():
            lack('company_trade_register')
        if not company.legal_form:
            lack('company_legal_form')
        elif (company.legal_form not in NO_CAPITAL_FORMS
                and company.share_capital is None):
            lack('company_share_capital')
        if not _address_complete(cparty.address_get()):
            lack('company_address')
        # Numbering sets the identifier, after this check
        if not (self.tax_identifier or self.get_tax_identifier()):
            lack('company_vat')
        if not _address_complete(self.invoice_address):
            lack('customer_address', party=self.party.rec_name)
        country = (self.invoice_address.country
            if self.invoice_address else None)
        if (self.is_business and not self.party.siren
                and (not country or country.code == 'FR')):
            lack('customer_siren', party=self.party.rec_name)
        for address in self.delivery_addresses:
            if not _address_complete(address):
                lack('delivery_address', address=address.rec_name)
        if not self.operation_nature:
            lack('nature')
        if self.is_business:
            if not (company.late_penalty_text or '').strip():
                lack('late_penalty')
            if not (company.recovery_indemnity_text or '').strip():
                lack('recovery_indemnity')
        if (self.early_payment_discount is None
                and not (company.no_early_payment_discount_text
                    or '').strip()):
            lack('early_payment_discount')
        return missing

    @classmethod
    def check_mentions(cls, invoices):
        "Refuse to post French customer invoices lacking mandatory mentions"
        for invoice in invoices:
            if invoice.type != 'out' or not invoice.is_french:
                continue
            missing = invoice.missing_mentions()
            if missing:
                raise MentionMissing(invoice.mentions_missing_message(missing))

    def mentions_missing_message(self, missing):
        "The message refusing the invoice which lacks the missing mentions"
        return gettext(
            'sale_chain.msg_invoice_mentions_missing',
            invoice=self.rec_name,
            mentions='\n'.join('- %s' % m for m in missing)
            ) + self.refusal_rules()

    def refusal_rules(self):
        """The text added to a refusal at posting which names the rules of
        other standards the invoice breaks (einvoice.py), or ''"""
        return ''

    @classmethod
    def _post(cls, invoices):
        # Checked before numbering, so a refused invoice uses no number
        cls.check_mentions(invoices)
        # Then the electronic invoice, which needs the mentions (einvoice.py)
        cls.check_einvoices(invoices)
        super()._post(invoices)


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @property
    def delivery_notes(self):
        "The customer shipments (BL) the line invoices, by date"
        pool = Pool()
        ShipmentOut = pool.get('stock.shipment.out')
        shipments = {
            m.shipment for m in getattr(self, 'stock_moves', [])
            if isinstance(m.shipment, ShipmentOut)}
        return sorted(shipments, key=lambda s: (
                s.effective_date or s.planned_date or dt.date.max,
                s.number or ''))

    @property
    def deposit_line(self):
        "The advance payment line of the sale the line invoices"
        origin = getattr(self, 'origin', None)
        if getattr(origin, '__name__', None) == 'sale.advance_payment.line':
            return origin

    @property
    def deposit_invoices(self):
        "The deposit invoices a negative line of a final invoice deducts"
        # sale_advance_payment recalls a deposit with a negative line whose
        # origin is the line of the deposit invoice
        origin = getattr(self, 'origin', None)
        if ((self.quantity or 0) >= 0
                or not isinstance(origin, self.__class__)
                or not origin.deposit_line):
            return []
        deposit = origin.invoice
        if (deposit == self.invoice.credited_invoice
                or deposit.state not in {'posted', 'paid'}):
            return []
        return [deposit]

    @property
    def sale(self):
        "The sale of the line"
        pool = Pool()
        SaleLine = pool.get('sale.line')
        origin = getattr(self, 'origin', None)
        if isinstance(origin, SaleLine):
            return origin.sale


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    def uninvoiced_quantities(self):
        """Return the (line, quantity) which would be delivered without
        invoice, the ignored invoices counting as invoiced as Tryton does"""
        pool = Pool()
        UoM = pool.get('product.uom')
        ignored = set(self.invoices_ignored)
        recreated = set(self.invoices_recreated)
        result = []
        for line in self.line_lines:
            if (line.quantity or 0) <= 0:
                continue

            def convert(record, quantity):
                if record.unit and line.unit:
                    return UoM.compute_qty(record.unit, quantity, line.unit)
                return quantity
            issued = ignored_quantity = 0
            for invoice_line in line.invoice_lines:
                invoice = invoice_line.invoice
                if invoice_line.type != 'line' or not invoice:
                    continue
                quantity = convert(invoice_line, invoice_line.quantity or 0)
                if invoice in ignored:
                    ignored_quantity += quantity
                elif invoice not in recreated and not (
                        invoice.state == 'cancelled'
                        and not invoice.cancel_move):
                    issued += quantity
            # What will be delivered; a service counts as rendered
            delivered = line.quantity
            if line.movable:
                delivered -= sum(
                    convert(m, m.quantity) for m in line.moves_ignored)
                if self.shipment_method == 'invoice':
                    # Tryton ships only what is invoiced
                    delivered -= ignored_quantity
            # Tryton invoices what remains, the ignored quantity counting
            # as invoiced
            if self.invoice_method == 'fulfillment' and line.movable:
                target = delivered
            else:
                target = line.quantity
            invoiced = issued + max(target - issued - ignored_quantity, 0)
            missing = delivered - invoiced
            if line.unit:
                missing = line.unit.round(missing)
            if missing > 0:
                result.append((line, missing))
        return result

    @classmethod
    def check_invoices_ignored(cls, sales):
        """Refuse to ignore the invoice of goods delivered or services
        rendered to a business customer of a French company: such a sale
        must be invoiced (art. 289 of the CGI)"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for sale in sales:
            if (not sale.invoices_ignored
                    or not is_french_company(sale.company)
                    or not is_business_customer(sale.party)):
                continue
            missing = sale.uninvoiced_quantities()
            if missing:
                line, quantity = missing[0]
                raise UninvoicedSaleError(gettext(
                        'sale_chain.msg_sale_invoice_ignored_business',
                        sale=sale.rec_name,
                        party=sale.party.rec_name,
                        line=line.rec_name,
                        quantity=(lang.format_number(
                                quantity, line.unit.digits)
                            + ' ' + line.unit.symbol) if line.unit
                        else lang.format_number(quantity)))


class SaleIgnoredInvoice(metaclass=PoolMeta):
    __name__ = 'sale.sale-ignored-account.invoice'

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Sale = pool.get('sale.sale')
        super().on_modification(mode, records, field_names=field_names)
        # Checked on the relation, so that the wizard, a write of the sale
        # through RPC and any other module meet the same rule
        if mode in {'create', 'write'}:
            Sale.check_invoices_ignored(
                Sale.browse(list({r.sale.id for r in records})))
