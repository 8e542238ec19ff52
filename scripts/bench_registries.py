#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the registry client against the local fake registries:
the BODACC query of the nightly watch over N customers (wall time,
requests, batching at the published rate) and the added time of one
look-up in the order control when its answer is cached.

    .venv/bin/python scripts/bench_registries.py [--customers 10000]

The watch part is the client alone (the Tryton side adds one SQL query
for the watched customers); the cached part is a database read, measured
on SQLite in memory with the module activated."""
import argparse
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))

from registry_server import RegistryServer  # noqa: E402
from stdnum import luhn  # noqa: E402

from trytond.modules.sale_chain import registry  # noqa: E402


def sirens(count, seed=1):
    rng = random.Random(seed)
    result = set()
    while len(result) < count:
        base = '%08d' % rng.randrange(10 ** 7, 10 ** 8)
        result.add(base + luhn.calc_check_digit(base))
    return sorted(result)


def bench_watch(count, batch):
    server = RegistryServer(notices=[]).start()
    try:
        codes = sirens(count)
        # 1 % of the customers have a notice published today
        for siren in codes[::100]:
            server.add_notice({
                    'id': 'B' + siren, 'dateparution': '2026-12-01',
                    'familleavis': 'collective', 'registre': [siren],
                    'jugement': '{"nature": "Jugement d\'ouverture d\'une '
                    'procédure de redressement judiciaire"}'})
        client = registry.RegistryClient(
            server.search_url, server.bodacc_url, batch=batch)
        start = time.perf_counter()
        _, notices = client.notices(
            codes, since=__import__('datetime').date(2026, 12, 1))
        wall = time.perf_counter() - start
        times = [r['time'] for r in server.requests()]
        peak = max(len([u for u in times if t <= u < t + 1])
            for t in times)
        return {
            'customers': count, 'batch': batch, 'requests': client.requests,
            'notices': len(notices), 'wall_s': round(wall, 2),
            'peak_per_s': peak,
            'longest_url': max(len(r['query'].get('where', ''))
                for r in server.requests()),
            }
    finally:
        server.stop()


def bench_cached(runs):
    os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
    os.environ.setdefault('DB_NAME', ':memory:')
    from trytond.tests.test_tryton import activate_module, with_transaction
    from trytond.pool import Pool
    from trytond.modules.company.tests import create_company, set_company
    activate_module(['sale_chain'])
    server = RegistryServer().start()
    result = {}

    @with_transaction()
    def run():
        pool = Pool()
        Party = pool.get('party.party')
        Configuration = pool.get('sale.configuration')
        company = create_company()
        with set_company(company):
            config = Configuration(1)
            config.registry_enabled = True
            config.registry_search_url = server.search_url
            config.registry_bodacc_url = server.bodacc_url
            config.save()
            party = Party(name="Client", identifiers=[{
                        'type': 'fr_siren', 'code': '812345049'}])
            party.save()
            Party.lookup_registries([party], company, force=True)
            server.requests(reset=True)
            start = time.perf_counter()
            for _ in range(runs):
                Party.lookup_registries([party], company)
            result['cached_ms'] = round(
                (time.perf_counter() - start) / runs * 1000, 2)
            result['requests'] = len(server.requests())
    try:
        run()
    finally:
        server.stop()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--customers', type=int, default=10000)
    parser.add_argument('--batch', type=int, default=None)
    parser.add_argument('--runs', type=int, default=200)
    args = parser.parse_args()
    batch = args.batch or registry.setting('registry_batch', 40, int)
    print('watch:', bench_watch(args.customers, batch), flush=True)
    print('cached look-up in the control:', bench_cached(args.runs))


if __name__ == '__main__':
    main()
