# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The lifecycle messages of an electronic invoice: UN/CEFACT CDAR D22B
(CrossDomainAcknowledgementAndResponse) as the French CDV rules want them,
built for the statuses the seller sends ("encaissée") and read for those
the platform sends back."""
import datetime as dt
import os
import threading
from decimal import Decimal

from lxml import etree

import trytond.config as config

from .einvoice import svrl_findings

RSM = ('urn:un:unece:uncefact:data:standard:'
    'CrossDomainAcknowledgementAndResponse:100')
RAM = ('urn:un:unece:uncefact:data:standard:'
    'ReusableAggregateBusinessInformationEntity:100')
UDT = 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100'
QDT = 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100'
NSMAP = {'rsm': RSM, 'ram': RAM, 'udt': UDT, 'qdt': QDT}
GUIDELINE = 'urn.cpro.gouv.fr:1p0:CDV:invoice'

# The lifecycle statuses of an invoice (XP Z12-012), code: label
STATUSES = [
    ('200', "Deposited"),
    ('201', "Issued by the platform"),
    ('202', "Received by the platform"),
    ('203', "Made available"),
    ('204', "Taken over"),
    ('205', "Approved"),
    ('206', "Partially approved"),
    ('207', "Disputed"),
    ('208', "Suspended"),
    ('209', "Completed"),
    ('210', "Refused"),
    ('211', "Payment transmitted"),
    ('212', "Cashed"),
    ('213', "Rejected"),
    ('214', "Endorsed"),
    ('220', "Cancelled"),
    ('221', "Routing error"),
    ('501', "Inadmissible"),
    ]
DEPOSITED, MADE_AVAILABLE, REFUSED, CASHED, REJECTED = (
    '200', '203', '210', '212', '213')
# The statuses after which the invoice goes no further: a credit note and
# a new invoice are needed
DEAD_ENDS = {REFUSED, REJECTED, '501'}


def _date_time(value):
    return value.strftime('%Y%m%d%H%M%S')


def _sub(parent, tag, text=None, **attrib):
    prefix, name = tag.split(':')
    element = etree.SubElement(parent, '{%s}%s' % (NSMAP[prefix], name),
        attrib=attrib)
    if text is not None:
        element.text = str(text)
    return element


def _party(parent, tag, role, siren=None, uri=None):
    party = _sub(parent, tag)
    if siren:
        _sub(party, 'ram:GlobalID', siren, schemeID='0002')
    _sub(party, 'ram:RoleCode', role)
    if uri:
        scheme, identifier = uri
        communication = _sub(party, 'ram:URIUniversalCommunication')
        _sub(communication, 'ram:URIID', identifier, schemeID=scheme)
    return party


def build(identifier, issued_at, code, invoice_number, invoice_date,
        seller_siren, sender, recipient, invoice_type='380', reason_code=None,
        reason=None, amounts=(), currency='EUR', phase='23'):
    """The CDAR message (bytes) of the status code of an invoice

    sender and recipient are (role, SIREN, (scheme, address) or None);
    amounts the [(amount, VAT rate in percent)] of a payment ("MEN")."""
    root = etree.Element('{%s}CrossDomainAcknowledgementAndResponse' % RSM,
        nsmap=NSMAP)
    context = _sub(root, 'rsm:ExchangedDocumentContext')
    process = _sub(
        context, 'ram:BusinessProcessSpecifiedDocumentContextParameter')
    _sub(process, 'ram:ID', 'REGULATED')
    guideline = _sub(context, 'ram:GuidelineSpecifiedDocumentContextParameter')
    _sub(guideline, 'ram:ID', GUIDELINE)

    document = _sub(root, 'rsm:ExchangedDocument')
    _sub(document, 'ram:ID', identifier)
    issue = _sub(document, 'ram:IssueDateTime')
    _sub(issue, 'udt:DateTimeString', _date_time(issued_at), format='204')
    role, siren, uri = sender
    _party(document, 'ram:SenderTradeParty', role, siren)
    _party(document, 'ram:IssuerTradeParty', role, siren)
    role, siren, uri = recipient
    _party(document, 'ram:RecipientTradeParty', role, siren, uri)

    acknowledgement = _sub(root, 'rsm:AcknowledgementDocument')
    indicator = _sub(acknowledgement, 'ram:MultipleReferencesIndicator')
    _sub(indicator, 'udt:Indicator', 'false')
    _sub(acknowledgement, 'ram:TypeCode', phase)
    issue = _sub(acknowledgement, 'ram:IssueDateTime')
    _sub(issue, 'udt:DateTimeString', _date_time(issued_at), format='204')
    reference = _sub(acknowledgement, 'ram:ReferenceReferencedDocument')
    _sub(reference, 'ram:IssuerAssignedID', invoice_number)
    _sub(reference, 'ram:TypeCode', invoice_type)
    formatted = _sub(reference, 'ram:FormattedIssueDateTime')
    _sub(formatted, 'qdt:DateTimeString', invoice_date.strftime('%Y%m%d'),
        format='102')
    _sub(reference, 'ram:ProcessConditionCode', code)
    _party(reference, 'ram:IssuerTradeParty', 'SE', seller_siren)
    status = _sub(reference, 'ram:SpecifiedDocumentStatus')
    if reason_code:
        _sub(status, 'ram:ReasonCode', reason_code)
    if reason:
        _sub(status, 'ram:Reason', reason)
    _sub(status, 'ram:SequenceNumeric', 1)
    for amount, rate in amounts:
        characteristic = _sub(status, 'ram:SpecifiedDocumentCharacteristic')
        _sub(characteristic, 'ram:TypeCode', 'MEN')
        _sub(characteristic, 'ram:ValueAmount',
            format(Decimal(amount).quantize(Decimal('0.01')), 'f'),
            currencyID=currency)
        _sub(characteristic, 'ram:ValuePercent',
            format(Decimal(rate).quantize(Decimal('0.01')), 'f'))
    return etree.tostring(
        root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def _text(root, path):
    found = root.xpath(path, namespaces=NSMAP)
    if found:
        value = found[0]
        return (value if isinstance(value, str) else value.text or '').strip()


def parse(xml):
    """The status a CDAR message gives, as a dictionary, or None when it is
    no CDAR"""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError:
        return None
    if root.tag != '{%s}CrossDomainAcknowledgementAndResponse' % RSM:
        return None
    reference = 'rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument'
    date = _text(root, reference
        + '/ram:FormattedIssueDateTime/qdt:DateTimeString')
    issued = _text(root,
        'rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString')
    amounts = []
    for characteristic in root.xpath(reference
            + '/ram:SpecifiedDocumentStatus'
            '/ram:SpecifiedDocumentCharacteristic[ram:TypeCode="MEN"]',
            namespaces=NSMAP):
        amounts.append(Decimal(_text(characteristic, 'ram:ValueAmount')))
    try:
        return {
            'identifier': _text(root, 'rsm:ExchangedDocument/ram:ID'),
            'issued_at': (dt.datetime.strptime(issued[:14], '%Y%m%d%H%M%S')
                if issued else None),
            'code': _text(root, reference + '/ram:ProcessConditionCode'),
            'invoice_number': _text(root, reference + '/ram:IssuerAssignedID'),
            'invoice_date': (dt.datetime.strptime(date[:8], '%Y%m%d').date()
                if date else None),
            'seller_siren': _text(root, reference
                + '/ram:IssuerTradeParty/ram:GlobalID[@schemeID="0002"]'),
            'reason_code': _text(root, reference
                + '/ram:SpecifiedDocumentStatus/ram:ReasonCode'),
            'reason': _text(root, reference
                + '/ram:SpecifiedDocumentStatus/ram:Reason'),
            'amount': sum(amounts) if amounts else None,
            }
    except ValueError:
        return None


class Validator:
    """Run the French CDV schematron (compiled XSLT) on CDAR messages

    The factur-x package does not ship it: its path is the configuration's
    [sale_chain] cdar_xslt, without which nothing is checked."""
    _lock = threading.Lock()
    _instances = {}

    def __init__(self, path):
        from saxonche import PySaxonProcessor
        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.executable = compiler.compile_stylesheet(stylesheet_file=path)

    @classmethod
    def path(cls):
        return config.get('sale_chain', 'cdar_xslt', default=None)

    @classmethod
    def get(cls, path=None):
        path = path or cls.path()
        if not path or not os.path.exists(path):
            return None
        key = (os.getpid(), path)
        with cls._lock:
            if key not in cls._instances:
                cls._instances[key] = cls(path)
            return cls._instances[key]

    def validate(self, xml):
        "The blocking findings on xml (bytes) as (rule id, text)"
        node = self.processor.parse_xml(xml_text=xml.decode('utf-8'))
        return svrl_findings(
            self.executable.transform_to_string(xdm_node=node), 'CDV')
