# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""ORIGINAL / DUPLICATA copies of customer invoices.

The report Tryton freezes at posting is the original: the first print or
e-mail of it delivers it as is, every later one delivers it marked
"DUPLICATA". Each delivery is logged, and the SHA-256 of the frozen report
is kept on the invoice to verify its integrity.
"""
import datetime as dt
import hashlib
import io
import re
import zipfile

from pypdf import PdfReader, PdfWriter

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, dualmethod, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import (
    Transaction, record_cache_size, without_check_access)

from .document import DocumentMixin
from .exceptions import HistoryLocked, InvoiceCopyError, InvoiceIntegrityError

COPIES = [
    ('original', "Original"),
    ('duplicate', "Duplicate"),
    ]
CHANNELS = [
    ('print', "Print"),
    ('email', "E-mail"),
    ]
INTEGRITIES = [
    (None, ""),
    ('intact', "Intact"),
    ('altered', "Altered"),
    ]
# The mention is the French legal term, whatever the language
DUPLICATE_MENTION = "DUPLICATA"
DUPLICATE_STYLE = (
    '<style:style style:name="SaleChainDuplicata" style:family="paragraph">'
    '<style:paragraph-properties fo:text-align="center"/>'
    '<style:text-properties fo:font-size="18pt" fo:font-weight="bold" '
    'fo:color="#c00000"/>'
    '</style:style>')
DUPLICATE_PARAGRAPH = (
    '<text:p text:style-name="SaleChainDuplicata">%s</text:p>'
    % DUPLICATE_MENTION)


def report_sha256(data):
    "Return the SHA-256 hex digest of report data"
    if data is None:
        return None
    if isinstance(data, str):
        data = data.encode('utf-8')
    return hashlib.sha256(bytes(data)).hexdigest()


def _add_style(xml):
    "Return the XML with the duplicate style in its automatic styles"
    if '<office:automatic-styles/>' in xml:
        return xml.replace(
            '<office:automatic-styles/>',
            '<office:automatic-styles>%s</office:automatic-styles>'
            % DUPLICATE_STYLE, 1)
    elif '</office:automatic-styles>' in xml:
        return xml.replace(
            '</office:automatic-styles>',
            DUPLICATE_STYLE + '</office:automatic-styles>', 1)
    elif '<office:master-styles' in xml:
        return xml.replace(
            '<office:master-styles',
            '<office:automatic-styles>%s</office:automatic-styles>'
            '<office:master-styles' % DUPLICATE_STYLE, 1)
    return xml


def _mark_master_pages(xml):
    """Return the XML with the duplicate mention heading the header of
    every master page, so that each page of the copy carries it"""
    def mark(match):
        page = match.group(0)
        if page.endswith('/>'):
            return page[:-2] + '><style:header>%s</style:header>' \
                '</style:master-page>' % DUPLICATE_PARAGRAPH
        header = re.search(r'<style:header(\s[^>]*)?(/?)>', page)
        if header and header.group(2):
            return (page[:header.start()]
                + '<style:header>%s</style:header>' % DUPLICATE_PARAGRAPH
                + page[header.end():])
        elif header:
            return (page[:header.end()] + DUPLICATE_PARAGRAPH
                + page[header.end():])
        start = re.match(r'<style:master-page[^>]*>', page)
        return (page[:start.end()]
            + '<style:header>%s</style:header>' % DUPLICATE_PARAGRAPH
            + page[start.end():])
    return re.sub(
        r'<style:master-page\b[^>]*/>'
        r'|<style:master-page\b.*?</style:master-page>',
        mark, xml, flags=re.S)


def mark_duplicate_styles(xml):
    "Return the styles XML of an ODT with the mention in every page header"
    if 'SaleChainDuplicata' in xml:
        return xml
    return _mark_master_pages(_add_style(xml))


def mark_duplicate_xml(xml):
    """Return the OpenDocument XML with the duplicate mention on top of the
    text and, for a flat document, in the header of every page"""
    if 'SaleChainDuplicata' in xml:
        return xml
    xml = mark_duplicate_styles(xml)
    # The declarations must stay the first children of office:text
    match = (re.search(r'</text:sequence-decls>', xml)
        or re.search(r'<office:text(\s[^>]*)?>', xml))
    if not match:
        raise ValueError("No office:text in the document")
    return xml[:match.end()] + DUPLICATE_PARAGRAPH + xml[match.end():]


def mark_duplicate_odt(data):
    """Return the ODT (zip) data with the duplicate mention on top of
    content.xml and in the page headers of styles.xml"""
    source = zipfile.ZipFile(io.BytesIO(bytes(data)))
    output = io.BytesIO()
    with zipfile.ZipFile(output, 'w') as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == 'content.xml':
                content = mark_duplicate_xml(
                    content.decode('utf-8')).encode('utf-8')
            elif item.filename == 'styles.xml':
                content = mark_duplicate_styles(
                    content.decode('utf-8')).encode('utf-8')
            # The mimetype entry must stay first and uncompressed
            target.writestr(item, content, compress_type=(
                    zipfile.ZIP_STORED if item.filename == 'mimetype'
                    else zipfile.ZIP_DEFLATED))
    return output.getvalue()


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    invoice_report_sha256 = fields.Char(
        "Original Report SHA-256", readonly=True,
        states={
            'invisible': ~Eval('invoice_report_sha256'),
            },
        help="The fingerprint of the original report frozen at posting.")
    report_integrity = fields.Function(fields.Selection(
            INTEGRITIES, "Report Integrity",
            states={
                'invisible': ~Eval('invoice_report_sha256'),
                },
            help="Whether the frozen report still matches "
            "the fingerprint of the original."),
        'get_report_integrity')
    print_logs = fields.One2Many(
        'account.invoice.print_log', 'invoice', "Print Log", readonly=True,
        states={
            'invisible': ~Eval('print_logs'),
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._check_modify_exclude |= {'invoice_report_sha256'}
        cls._buttons.update({
                'check_integrity': {
                    'invisible': ~Eval('invoice_report_sha256'),
                    'depends': ['invoice_report_sha256'],
                    },
                'print_report': {},
                })

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('invoice_report_sha256', None)
        default.setdefault('print_logs', None)
        return super().copy(invoices, default=default)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # The fingerprint is taken from the very bytes that are frozen
        if mode == 'write' and values.get('invoice_report_cache'):
            values = values.copy()
            values['invoice_report_sha256'] = report_sha256(
                values['invoice_report_cache'])
        return values

    @classmethod
    def check_modification(cls, mode, invoices, values=None, external=False):
        super().check_modification(
            mode, invoices, values=values, external=external)
        if (mode == 'write' and 'invoice_report_sha256' in values
                and (external or values.keys().isdisjoint(
                        {'invoice_report_cache', 'invoice_report_cache_id'}))):
            raise HistoryLocked(gettext(
                    'sale_chain.msg_invoice_report_sha256_modify'))

    def verify_integrity(self):
        """Return whether the frozen report matches the original fingerprint
        or None without fingerprint"""
        if not self.invoice_report_sha256:
            return None
        return (
            report_sha256(self.invoice_report_cache)
            == self.invoice_report_sha256)

    @classmethod
    def get_report_integrity(cls, invoices, name):
        result = {}
        for invoice in invoices:
            verified = invoice.verify_integrity()
            if verified is None:
                result[invoice.id] = None
            else:
                result[invoice.id] = 'intact' if verified else 'altered'
        return result

    @classmethod
    @ModelView.button_action('account_invoice.report_invoice')
    def print_report(cls, invoices):
        """Print the invoice: the clients reload a record after its button,
        not after a report of the print menu, so the copy printed shows in
        the print log at once"""
        pass

    @classmethod
    @ModelView.button
    def check_integrity(cls, invoices):
        "Raise an error when the frozen report of an invoice was altered"
        altered = [i for i in invoices if i.verify_integrity() is False]
        if altered:
            raise InvoiceIntegrityError(gettext(
                    'sale_chain.msg_invoice_integrity_altered',
                    invoices=', '.join(i.rec_name for i in altered)))

    @classmethod
    def check_reports_integrity(cls):
        """Verify the frozen report of every fingerprinted invoice, notify
        the accounting administrators of the altered ones and return them"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        altered = []
        invoice_ids = [i.id for i in cls.search([
                    ('invoice_report_sha256', '!=', None),
                    ], order=[('id', 'ASC')])]
        # In slices: the reports are read, not kept
        for sub_ids in grouped_slice(
                invoice_ids, record_cache_size(Transaction())):
            altered.extend(
                i for i in cls.browse(sub_ids)
                if i.verify_integrity() is False)
        if altered:
            group = ModelData.get_id('account', 'group_account_admin')
            label = gettext(
                'sale_chain.msg_invoice_integrity_altered',
                invoices=', '.join(i.rec_name for i in altered))
            for user in User.search([('groups', '=', group)]):
                cls.notify_user(
                    altered, 'tryton-warning', label, user=user.id)
        return altered

    @dualmethod
    def print_invoice(cls, invoices):
        # Freezing the report at posting delivers no copy
        with Transaction().set_context(_invoice_report_freeze=True):
            super().print_invoice(invoices)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('account.invoice|check_reports_integrity',
                "Check Invoice Reports Integrity"))


class InvoicePrintLog(ModelSQL, ModelView):
    "Invoice Print Log"
    __name__ = 'account.invoice.print_log'

    invoice = fields.Many2One(
        'account.invoice', "Invoice", required=True, readonly=True,
        ondelete='RESTRICT')
    user = fields.Many2One('res.user', "User", readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    kind = fields.Selection(COPIES, "Copy", required=True, readonly=True)
    format = fields.Char("Format", readonly=True)
    channel = fields.Selection(
        CHANNELS, "Channel", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('invoice')
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def check_modification(cls, mode, logs, values=None, external=False):
        super().check_modification(
            mode, logs, values=values, external=external)
        if mode == 'write':
            raise HistoryLocked(gettext('sale_chain.msg_print_log_modify'))
        if mode == 'create' and external:
            # Only the report records the copies it delivers
            raise HistoryLocked(gettext('sale_chain.msg_print_log_modify'))


class InvoiceReport(DocumentMixin, metaclass=PoolMeta):
    __name__ = 'account.invoice'
    # Ready to carry the Factur-X XML of the invoice
    pdf_variant = 'pdf/a-3b'

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        PrintLog = pool.get('account.invoice.print_log')
        transaction = Transaction()
        context = transaction.context
        invoice, = Invoice.browse(records)
        if (not invoice.invoice_report_versioned
                or context.get('_invoice_report_freeze')):
            return super()._execute(records, header, data, action)

        # Two sessions must not both deliver the original
        Invoice.lock([invoice])
        with without_check_access():
            copy = 'duplicate' if PrintLog.search([
                    ('invoice', '=', invoice.id),
                    ], limit=1) else 'original'
        with transaction.set_context(_invoice_copy=copy):
            format_, content = super()._execute(
                records, header, data, action)
        if copy == 'duplicate':
            content = cls.mark_duplicate(format_, content)
        with without_check_access():
            PrintLog.create([{
                        'invoice': invoice.id,
                        'user': transaction.user or None,
                        'date': dt.datetime.now(),
                        'kind': copy,
                        'format': format_,
                        'channel': context.get(
                            '_invoice_copy_channel', 'print'),
                        }])
        return format_, content

    @classmethod
    def mark_duplicate(cls, format_, content):
        """Return the content of the frozen report marked as duplicate
        (PDF is watermarked by account_invoice_watermark)"""
        if format_ == 'pdf':
            return content
        elif format_ == 'odt':
            return mark_duplicate_odt(content)
        elif format_ == 'fodt':
            if isinstance(content, (bytes, bytearray, memoryview)):
                content = bytes(content).decode('utf-8')
            return mark_duplicate_xml(content).encode('utf-8')
        raise InvoiceCopyError(gettext(
                'sale_chain.msg_invoice_duplicate_format', format=format_))

    @classmethod
    def merge(cls, invoice, watermark):
        # account_invoice_watermark 8.0.0 merges pages not attached to a
        # writer, which pypdf 7 refuses
        output = PdfWriter(clone_from=PdfReader(io.BytesIO(invoice)))
        stamp = PdfReader(io.BytesIO(watermark)).pages[0]
        for page in output.pages:
            page.merge_page(stamp)
        data = io.BytesIO()
        output.write(data)
        return data.getvalue()

    @classmethod
    def get_report_id(cls, invoice):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        if Transaction().context.get('_invoice_copy') == 'duplicate':
            return ModelData.get_id(
                'sale_chain', 'report_invoice_watermark_duplicata')
        return super().get_report_id(invoice)


class InvoiceWatermark(DocumentMixin, metaclass=PoolMeta):
    "The watermarks of PDF invoices, rendered by WeasyPrint"
    __name__ = 'account.invoice.watermark'


class Email(metaclass=PoolMeta):
    __name__ = 'ir.email'

    @classmethod
    def send(cls, to='', cc='', bcc='', subject='', body='',
            files=None, record=None, reports=None, attachments=None):
        # The invoice copies rendered for the e-mail are logged as such
        with Transaction().set_context(_invoice_copy_channel='email'):
            return super().send(
                to=to, cc=cc, bcc=bcc, subject=subject, body=body,
                files=files, record=record, reports=reports,
                attachments=attachments)
