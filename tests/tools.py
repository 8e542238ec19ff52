# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers for the scenarios of sale_chain"
import io
import re
import zipfile
from html import unescape


def report_text(content):
    "Return the text of a rendered OpenDocument report, one space apart"
    if isinstance(content, str):
        content = content.encode('utf-8')
    if content[:2] == b'PK':
        with zipfile.ZipFile(io.BytesIO(content)) as document:
            xml = document.read('content.xml').decode('utf-8')
    else:
        # A flat OpenDocument
        xml = content.decode('utf-8')
        xml = xml.split('<office:body>', 1)[-1]
    xml = re.sub(r'<text:(tab|s|line-break)[^>]*/>', ' ', xml)
    text = re.sub(r'<[^>]+>', ' ', xml)
    return re.sub(r'\s+', ' ', unescape(text)).strip()


def chain_of(record):
    """Return the documents of the chain of record as sorted
    (model, number) pairs"""
    return sorted(
        (d.document.__class__.__name__, d.number or '')
        for d in record.chain_documents)
