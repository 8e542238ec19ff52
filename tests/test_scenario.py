# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The scenario_*.rst doctests, for unittest and for pytest.

pytest does not follow unittest's load_tests protocol, so each scenario is
also exposed as a test method of ScenarioTestCase which runs Tryton's own
doctest case (with its database setup and teardown) and fails when it fails.
"""
import os
import unittest

from trytond.tests.test_tryton import load_doc_tests

PACKAGE = 'trytond.modules.sale_chain.tests'


def load_tests(loader, tests, pattern):
    # unittest discovery collects the scenarios once, through
    # ScenarioTestCase
    return tests


def _scenario_cases():
    loader = unittest.TestLoader()
    suite = load_doc_tests(
        PACKAGE, os.path.join(os.path.dirname(__file__), 'x'), loader,
        unittest.TestSuite(), None)
    return list(suite)


def _make_test(case):
    def test(self):
        result = unittest.TestResult()
        case.run(result)
        problems = result.errors + result.failures
        if problems:
            self.fail('\n'.join(text for _, text in problems))
        if result.skipped:
            self.skipTest(result.skipped[0][1])
    return test


class ScenarioTestCase(unittest.TestCase):
    "The scenario doctests of sale_chain"


for _case in _scenario_cases():
    _name = os.path.splitext(os.path.basename(_case._dt_test.filename))[0]
    _method = 'test_' + _name
    # A scenario run with several sets of globals gets one test per set
    _index = 1
    while hasattr(ScenarioTestCase, _method):
        _index += 1
        _method = 'test_%s_%d' % (_name, _index)
    setattr(ScenarioTestCase, _method, _make_test(_case))
