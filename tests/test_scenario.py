# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.

import sys

from trytond.tests.test_tryton import load_doc_tests

from .registry_server import shared_dir


# The scenarios that replay the recorded answers of ../shared/registries/
RECORDED = {'scenario_registries.rst'}


def load_tests(*args, **kwargs):
    skips = set()
    if shared_dir() is None:
        print("SKIPPED: %s: the recorded registry answers "
            "(../shared/registries/) are absent" % ', '.join(
                sorted(RECORDED)), file=sys.stderr)
        skips |= RECORDED
    return load_doc_tests(__name__, __file__, *args, skips=skips, **kwargs)
