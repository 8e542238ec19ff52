# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers for the scenarios of sale_chain"
import io
import os
import zipfile

from lxml import etree
from pypdf import PdfReader

from trytond.exceptions import UserError, UserWarning

OFFICE = 'urn:oasis:names:tc:opendocument:xmlns:office:1.0'


def _texts(element):
    "Yield the text pieces of element in document order, without comments"
    if isinstance(element.tag, str) and element.text:
        yield element.text
    for child in element:
        yield from _texts(child)
        if child.tail:
            yield child.tail


def pdf_pages(content):
    "Return the text of each page of a PDF report"
    reader = PdfReader(io.BytesIO(bytes(content)))
    return [' '.join((page.extract_text() or '').split())
        for page in reader.pages]


def keep_pdf(content, path):
    "Write the PDF to path and, where pdftoppm is, its pages as PNG beside"
    import shutil
    import subprocess
    with open(path, 'wb') as fp:
        fp.write(bytes(content))
    if shutil.which('pdftoppm'):
        subprocess.run(
            ['pdftoppm', '-r', '60', '-png', path, os.path.splitext(path)[0]],
            check=True, timeout=60)


def pdf_text(content):
    "Return the text of a PDF report, one space apart"
    return ' '.join(pdf_pages(content))


def report_text(content):
    """Return the text of a rendered PDF or OpenDocument report, one space
    apart"""
    if isinstance(content, str):
        content = content.encode('utf-8')
    if bytes(content[:5]) == b'%PDF-':
        return pdf_text(content)
    if content[:2] == b'PK':
        with zipfile.ZipFile(io.BytesIO(content)) as document:
            content = document.read('content.xml')
    root = etree.fromstring(bytes(content))
    # A flat OpenDocument holds its meta-data and styles beside the body
    body = root.find('{%s}body' % OFFICE)
    if body is None:
        body = root
    # Every element bounds a word: a tab, a space or a line break too
    return ' '.join(' '.join(_texts(body)).split())


def error_of(call, *args, **kwargs):
    """Call with args and print the class and the message of the user error
    or warning it raises, or no error"""
    try:
        call(*args, **kwargs)
    except (UserError, UserWarning) as error:
        print('%s: %s' % (error.__class__.__name__, error.message))
    else:
        print("no error")


def chain_of(record):
    """Return the documents of the chain of record as sorted
    (model, number) pairs"""
    return sorted(
        (d.document.__class__.__name__, d.number or '')
        for d in record.chain_documents)
