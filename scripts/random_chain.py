#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Run the random test of the sales chain for many steps and print the
steps, the invariant checks, the findings and the time.

    .venv/bin/python scripts/random_chain.py --steps 10000

Every finding is recorded, none stops the run (--strict stops at the first
one not in KNOWN_GAPS, shrunk by hypothesis).  SQLite in memory unless
TRYTOND_DATABASE_URI and DB_NAME say otherwise; the database of the setup
is cached in var/test/cache-random-<hash of the sources> (DB_CACHE).
"""
import argparse
import glob
import hashlib
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sources_hash():
    "Return the hash of the module sources that scripts/test.sh computes"
    digest = hashlib.sha256()
    for pattern in ['tryton.cfg', '*.py', '*.xml', 'view/*.xml',
            'report/*.fodt', 'locale/*.po']:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            with open(path, 'rb') as fp:
                digest.update(fp.read())
    return digest.hexdigest()[:16]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=10000,
        help="the steps to run in all (default 10000)")
    parser.add_argument('--per-example', type=int, default=50,
        help="the steps of one example at most (default 50)")
    parser.add_argument('--seed', type=int, default=None,
        help="the first seed (default: random)")
    parser.add_argument('--strict', action='store_true',
        help="stop at the first finding not a known gap, shrunk")
    args = parser.parse_args()

    # trytond reads them when imported
    os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
    os.environ.setdefault('DB_NAME', ':memory:')
    # Keyed by the module sources as scripts/test.sh does: a changed
    # module never runs on a stale cached database
    os.environ.setdefault('DB_CACHE', os.path.join(
            ROOT, 'var', 'test', 'cache-random-' + sources_hash()))
    from trytond.modules.sale_chain.tests import test_random_chain as chain

    seed = args.seed
    if seed is None:
        seed = int.from_bytes(os.urandom(4), 'big')
    start = time.monotonic()
    recorder = chain.Recorder(strict=args.strict)
    chain.World.get()
    setup = time.monotonic() - start
    print("setup: %.1fs" % setup, flush=True)
    runs = 0
    while recorder.steps < args.steps:
        # A run of hypothesis is a few examples: the figures are printed
        # between runs
        chain.run_machine(
            args.per_example, 10, seed=seed + runs, recorder=recorder)
        runs += 1
        print("seed %d: %d steps, %d checks, %d findings, %.0fs" % (
                seed + runs - 1, recorder.steps, recorder.checks,
                len(recorder.findings), time.monotonic() - start),
            flush=True)
    elapsed = time.monotonic() - start
    print(recorder.report())
    for name, counts in chain.world_figures().items():
        print("%s: %s" % (name, counts))
    print("seeds %d-%d, %d steps in %.0fs (%.0f ms a step, setup %.0fs)" % (
            seed, seed + runs - 1, recorder.steps, elapsed,
            1000 * (elapsed - setup) / max(recorder.steps, 1), setup))
    return 1 if any(not recorder.known(k) for k in recorder.findings) else 0


if __name__ == '__main__':
    sys.exit(main())
