# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The customer documents as HTML templates rendered to A4 PDF.

The report classes of the devis, the acknowledgment, the delivery note
and the invoice share one stylesheet (report/document.css) and the format
helpers of DocumentMixin; WeasyPrint converts the HTML to PDF, without
LibreOffice.
"""
import base64
import os
import re
from decimal import Decimal

from genshi.core import Markup

from trytond.pool import Pool
from trytond.tools import file_open
from trytond.transaction import Transaction

try:
    import weasyprint
except ImportError:
    weasyprint = None

STYLESHEET = os.path.join('sale_chain', 'report', 'document.css')
# Genshi serializes an empty element as <div/> which an HTML parser reads
# as an opening tag: every other element than the void ones is reopened
VOID_ELEMENTS = {
    'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link',
    'meta', 'source', 'track', 'wbr',
    }
EMPTY_ELEMENT = re.compile(r'<([a-zA-Z][a-zA-Z0-9]*)(\s[^<>]*?)?/>')
# The largest number of decimals printed for a unit price
PRICE_DIGITS = 4


def expand_empty_elements(html):
    "Return the XML-serialized HTML with empty elements as open/close pairs"
    def expand(match):
        tag = match.group(1)
        if tag.lower() in VOID_ELEMENTS:
            return match.group(0)
        return '<%s%s></%s>' % (tag, match.group(2) or '', tag)
    return EMPTY_ELEMENT.sub(expand, html)


def _url_fetcher():
    # As Tryton's own conversion: nothing read from the server's files,
    # the logo comes inline as a data URL
    if hasattr(weasyprint, 'URLFetcher'):
        return weasyprint.URLFetcher(
            allowed_protocols={'http', 'https', 'data'})
    return weasyprint.default_url_fetcher


def html_to_pdf(html, pdf_variant=None):
    "Return the PDF of the HTML, of the PDF variant (e.g. 'pdf/a-3b')"
    if isinstance(html, bytes):
        html = html.decode('utf-8')
    options = {}
    if pdf_variant:
        options['pdf_variant'] = pdf_variant
    return weasyprint.HTML(
        string=expand_empty_elements(html),
        url_fetcher=_url_fetcher()).write_pdf(**options)


def stylesheet():
    "Return the shared stylesheet of the documents"
    with file_open(STYLESHEET, mode='r', encoding='utf-8') as fp:
        return fp.read()


class DocumentMixin:
    """Add the shared stylesheet and the French format helpers to the
    context of a customer document, and convert it to PDF by WeasyPrint"""
    __slots__ = ()
    # The PDF variant written, None for plain PDF
    pdf_variant = None

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['document_css'] = Markup(stylesheet())
        context['format_price'] = cls.format_price
        context['format_quantity'] = cls.format_quantity
        context['format_percent'] = cls.format_percent
        context['address_lines'] = cls.address_lines
        context['logo_url'] = cls.logo_url
        context['lang_code'] = cls.lang_code
        context['format_date_pattern'] = cls.format_date_pattern
        return context

    @classmethod
    def convert(cls, report, data, timeout=5 * 60, retry=5):
        output_format = report.extension or report.template_extension
        if (report.template_extension in {'html', 'xhtml'}
                and output_format == 'pdf' and weasyprint):
            return output_format, html_to_pdf(data, cls.pdf_variant)
        return super().convert(report, data, timeout=timeout, retry=retry)

    @classmethod
    def format_date(cls, value, lang=None, format=None):
        pool = Pool()
        Lang = pool.get('ir.lang')
        if lang is None:
            lang = Lang.get()
        if format is None:
            format = cls.format_date_pattern(lang)
        return super().format_date(value, lang=lang, format=format)

    @classmethod
    def format_date_pattern(cls, lang=None):
        "Return the date format of the language"
        pool = Pool()
        Lang = pool.get('ir.lang')
        if lang is None:
            lang = Lang.get()
        # Tryton's French date is 01.12.2026; French papers write 01/12/2026
        if lang.code.split('_')[0] == 'fr':
            return '%d/%m/%Y'
        return lang.date

    @classmethod
    def format_price(cls, value, lang, currency, digits=PRICE_DIGITS):
        """Return the unit price with the decimals of the currency unless
        it needs more, at most digits"""
        if value is None:
            return ''
        value = Decimal(value)
        shown = currency.digits if currency else 2
        exponent = -value.normalize().as_tuple().exponent
        shown = min(max(shown, exponent), digits)
        return cls.format_currency(value, lang, currency, digits=shown)

    @classmethod
    def format_quantity(cls, value, lang, unit=None, symbol=True):
        """Return the quantity without needless decimals, with the symbol
        of its unit"""
        if value is None:
            return ''
        digits = unit.digits if unit else 2
        exponent = -Decimal(str(value)).normalize().as_tuple().exponent
        digits = min(max(exponent, 0), digits)
        if unit and symbol:
            return cls.format_number_symbol(value, lang, unit, digits=digits)
        return cls.format_number(value, lang, digits=digits)

    @classmethod
    def format_percent(cls, rate, lang):
        "Return the rate as a percentage without needless decimals"
        if rate is None:
            return ''
        value = Decimal(str(rate)) * 100
        exponent = -value.normalize().as_tuple().exponent
        return cls.format_number(
            value, lang, digits=min(max(exponent, 0), 2)) + '\u00a0%'

    @staticmethod
    def address_lines(address, without=None):
        """Return the non-empty lines of the full address, without the
        first one when it is without (the name printed above)"""
        if not address:
            return []
        lines = [l for l in (address.full_address or '').splitlines()
            if l.strip()]
        if without and lines and lines[0].strip() == without.strip():
            lines = lines[1:]
        return lines

    @staticmethod
    def logo_url(company):
        "Return the logo of the company as a data URL, or None"
        if not company or not company.logo:
            return None
        return 'data:image/png;base64,' + base64.b64encode(
            bytes(company.logo)).decode('ascii')

    @staticmethod
    def lang_code(lang):
        "Return the code of the language for the lang attribute"
        code = (getattr(lang, 'code', None) or lang
            or Transaction().language or 'en')
        return code.replace('_', '-')
