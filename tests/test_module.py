# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SaleChainTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Sale Chain module"
    module = 'sale_chain'


del ModuleTestCase
