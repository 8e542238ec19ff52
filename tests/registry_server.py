# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A fake of the public registries for the tests and the demo, on the
loopback only: it replays the recorded answers of ../shared/registries/
(read where they are, never copied) and the project's own answers of
tests/registries/ in the same shape, and can be told to fail.

    python tests/registry_server.py --port 8092

Search: GET /search?q=<siren>; BODACC: GET
/api/explore/v2.1/catalog/datasets/annonces-commerciales/records?where=...
Faults: GET /_fault?mode=ok|slow|429|500|close[&delay=s][&retry_after=s]
[&count=n] (count: the number of requests that fail, then ok);
/_stats gives the requests received (path, time); /_reset clears them."""
import argparse
import json
import os
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
OWN = os.path.join(HERE, 'registries')
ROOT = os.path.dirname(HERE)
BODACC_PATH = (
    '/api/explore/v2.1/catalog/datasets/annonces-commerciales/records')


def shared_dir():
    """The folder of the recorded answers: $SALE_CHAIN_REGISTRIES or
    ../shared/registries beside the repository; None when absent"""
    for path in [
            os.environ.get('SALE_CHAIN_REGISTRIES'),
            os.path.join(ROOT, '..', 'shared', 'registries'),
            # A worktree beside the main repository
            os.path.join(ROOT, '..', '..', 'shared', 'registries')]:
        if path and os.path.isdir(os.path.join(
                    path, 'recherche-entreprises')):
            return os.path.abspath(path)


def _v21(record):
    "A notice of the v1 API in the shape of the v2.1 API"
    fields = dict(record.get('fields', record))
    registre = fields.get('registre')
    if isinstance(registre, str):
        fields['registre'] = registre.split(',')
    return fields


def load(shared=None):
    """Return the companies {siren: search answer} and the notices
    [record] the server replays"""
    companies, notices = {}, []
    folders = [OWN]
    if shared:
        folders.insert(0, shared)
    for folder in folders:
        search = os.path.join(folder, 'recherche-entreprises')
        for name in sorted(os.listdir(search)) if os.path.isdir(
                search) else []:
            match = re.match(r'search-(\d{9})\.json$', name)
            if match:
                with open(os.path.join(search, name)) as fp:
                    content = json.load(fp)
                companies[match.group(1)] = content.get('result', content)
        bodacc = os.path.join(folder, 'bodacc')
        for name in sorted(os.listdir(bodacc)) if os.path.isdir(
                bodacc) else []:
            if name.endswith('.json'):
                with open(os.path.join(bodacc, name)) as fp:
                    content = json.load(fp)
                records = content.get('records', content.get('results'))
                notices.extend(_v21(r) for r in records)
    return companies, notices


def _active(siren):
    "An active company in the shape of the API, for the demo's SIRENs"
    return {'results': [{
                'siren': siren, 'nom_complet': 'ENTREPRISE %s' % siren,
                'etat_administratif': 'A', 'date_fermeture': None,
                'nature_juridique': '5499',
                'siege': {'siret': siren + '00012',
                    'etat_administratif': 'A'},
                'immatriculation': {'date_radiation': None},
                'complements': {'est_entrepreneur_individuel': False},
                }],
        'total_results': 1, 'page': 1, 'per_page': 10, 'total_pages': 1}


def _match(record, sirens, families, since):
    registre = {r.replace(' ', '') for r in record.get('registre') or []}
    return ((not sirens or registre & sirens)
        and (not families or record.get('familleavis') in families)
        and (not since or (record.get('dateparution') or '') >= since))


class Handler(BaseHTTPRequestHandler):
    server_version = 'FakeRegistry/1.0'

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status, body, headers=None):
        content = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(content)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(content)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        server = self.server
        if url.path == '/_fault':
            with server.lock:
                server.fault = {
                    'mode': query.get('mode', 'ok'),
                    'delay': float(query.get('delay', 0)),
                    'retry_after': query.get('retry_after', '1'),
                    'count': int(query.get('count', -1)),
                    }
            return self._send(200, server.fault)
        if url.path == '/_stats':
            with server.lock:
                return self._send(200, {'requests': server.received})
        if url.path == '/_reset':
            with server.lock:
                server.received = []
                server.fault = {'mode': 'ok', 'count': -1}
            return self._send(200, {})
        with server.lock:
            server.received.append({
                    'path': url.path, 'query': query, 'time': time.time(),
                    'agent': self.headers.get('User-Agent')})
            fault = dict(server.fault)
            if fault['mode'] != 'ok' and fault['count'] != 0:
                if fault['count'] > 0:
                    server.fault['count'] -= 1
            else:
                fault = {'mode': 'ok'}
        mode = fault['mode']
        if mode == 'slow':
            time.sleep(fault['delay'])
        elif mode == '429':
            return self._send(
                429, {'error': 'Too Many Requests'},
                {'Retry-After': fault['retry_after']})
        elif mode == '500':
            return self._send(500, {'error': 'Internal Server Error'})
        elif mode == 'close':
            # Nothing: the connection is closed without an answer
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if url.path.endswith('/search'):
            return self._search(query)
        if url.path.endswith(BODACC_PATH):
            return self._bodacc(query)
        self._send(404, {'error': 'not found'})

    def _search(self, query):
        siren = (query.get('q') or '').replace(' ', '')
        answer = self.server.companies.get(siren)
        if answer is None and self.server.unknown_active and re.fullmatch(
                r'\d{9}', siren):
            answer = _active(siren)
        if answer is None:
            answer = {'results': [], 'total_results': 0, 'page': 1,
                'per_page': 10, 'total_pages': 0}
        self._send(200, answer)

    def _bodacc(self, query):
        where = query.get('where', '')
        sirens = set(re.findall(r'registre\s*=\s*"(\d{9})"', where))
        families = set(re.findall(r'familleavis\s*=\s*"(\w+)"', where))
        since = re.search(r"dateparution\s*>=\s*date'([\d-]+)'", where)
        since = since.group(1) if since else None
        records = [r for r in self.server.notices
            if _match(r, sirens, families, since)]
        records.sort(key=lambda r: (r.get('dateparution') or '',
                r.get('id') or ''))
        limit = min(int(query.get('limit', 10)), 100)
        offset = int(query.get('offset', 0))
        page = records[offset:offset + limit]
        select = [s.strip() for s in query.get('select', '').split(',')
            if s.strip()]
        if select:
            page = [{k: r.get(k) for k in select} for r in page]
        self._send(200, {'total_count': len(records), 'results': page})


class RegistryServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port=0, shared=None, notices=None, verbose=False,
            unknown_active=False):
        super().__init__(('127.0.0.1', port), Handler)
        self.unknown_active = unknown_active
        self.companies, self.notices = load(shared or shared_dir())
        self.notices.extend(notices or [])
        self.fault = {'mode': 'ok', 'count': -1}
        self.received = []
        self.lock = threading.Lock()
        self.verbose = verbose
        self.thread = None

    def handle_error(self, request, client_address):
        # A client that gave up (its timeout) is what the faults test
        if not self.verbose:
            return
        super().handle_error(request, client_address)

    @property
    def url(self):
        return 'http://127.0.0.1:%s' % self.server_address[1]

    @property
    def search_url(self):
        return self.url + '/search'

    @property
    def bodacc_url(self):
        return self.url + '/api/explore/v2.1'

    def add_notice(self, record):
        with self.lock:
            self.notices.append(record)

    def set_fault(self, mode='ok', delay=0, retry_after='1', count=-1):
        with self.lock:
            self.fault = {'mode': mode, 'delay': delay,
                'retry_after': str(retry_after), 'count': count}

    def requests(self, reset=False):
        with self.lock:
            received = list(self.received)
            if reset:
                self.received = []
        return received

    def start(self):
        self.thread = threading.Thread(
            target=self.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=8092)
    parser.add_argument('--shared', help="the recorded answers' folder")
    parser.add_argument('--verbose', action='store_true')
    parser.add_argument('--unknown-active', action='store_true',
        help="answer an unknown SIREN as an active company (demo)")
    args = parser.parse_args()
    server = RegistryServer(args.port, args.shared, verbose=args.verbose,
        unknown_active=args.unknown_active)
    shared = args.shared or shared_dir()
    print('fake registries on %s (%d companies, %d notices; recorded '
        'answers: %s)' % (server.url, len(server.companies),
            len(server.notices), shared or 'absent'), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == '__main__':
    main()
