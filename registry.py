# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The HTTP client of the public registries (API Recherche d'entreprises
and BODACC on Opendatasoft) and the classification of their answers.

No Tryton model here: the client and the rules are plain Python, so that
they are tested and measured alone."""
import collections
import datetime as dt
import email.utils
import hashlib
import json
import re
import threading
import time
import unicodedata

import requests

from trytond import config

SECTION = 'sale_chain'
BODACC_DATASET = '/catalog/datasets/annonces-commerciales/records'
# What the rules read of a notice: nothing about the persons (GDPR)
BODACC_FIELDS = [
    'id', 'dateparution', 'numeroannonce', 'familleavis', 'typeavis',
    'typeavis_lib', 'tribunal', 'registre', 'jugement', 'url_complete',
    ]
BODACC_FAMILIES = ['collective', 'radiation']
BODACC_PAGE = 100
DIRECTORY_URL = 'https://annuaire-entreprises.data.gouv.fr/entreprise/%s'
USER_AGENT = (
    'trytond-sale-chain/8.0 (Tryton module sale_chain: solvency look-up '
    'of customers by SIREN%s)')
# Severity order of the statuses: the worst wins
SEVERITY = ['sound', 'watch', 'prepayment', 'blocked']


def setting(name, default, type_=float):
    "A technical setting of the [sale_chain] section of trytond.conf"
    getter = {
        float: config.getfloat, int: config.getint,
        str: config.get}[type_]
    value = getter(SECTION, name, default=None)
    return default if value is None else value


class RegistryUnavailable(Exception):
    """The registries gave no usable answer: reason is one of timeout,
    dns, connection, http_429, http_5xx, http_4xx, invalid, disabled"""

    def __init__(self, reason, detail=''):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self):
        return '%s: %s' % (self.reason, self.detail)


class RateLimiter:
    """At most rate requests in any window of one second, for every
    client of the process (the limit of the API is per IP address)"""

    # A margin over the second: the server counts arrivals, which jitter
    window = 1.1

    def __init__(self, rate, clock=time.monotonic, sleep=time.sleep):
        self.rate = max(int(rate), 1)
        self.clock = clock
        self.sleep = sleep
        self.sent = collections.deque()
        self.lock = threading.Lock()

    def wait(self):
        with self.lock:
            while True:
                now = self.clock()
                while self.sent and now - self.sent[0] >= self.window:
                    self.sent.popleft()
                if len(self.sent) < self.rate:
                    self.sent.append(now)
                    return
                self.sleep(self.window - (now - self.sent[0]))


_LIMITERS = {}
_LIMITERS_LOCK = threading.Lock()


def limiter(host, rate):
    "The rate limiter shared by the process for host"
    with _LIMITERS_LOCK:
        key = (host, int(rate))
        if key not in _LIMITERS:
            _LIMITERS[key] = RateLimiter(rate)
        return _LIMITERS[key]


def retry_after(value, now=None):
    "The seconds a Retry-After header asks to wait, or None"
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    return max((date - now).total_seconds(), 0)


class RegistryClient:
    "A client of both registries, with timeouts, retries and a rate"

    def __init__(self, search_url, bodacc_url, timeout=None, retries=None,
            backoff=None, max_wait=None, rate=None, batch=None,
            session=None, sleep=time.sleep):
        self.search_url = search_url
        self.bodacc_url = (bodacc_url or '').rstrip('/')
        self.timeout = timeout or setting('registry_timeout', 10.0)
        self.retries = (retries if retries is not None
            else setting('registry_retries', 3, int))
        self.backoff = (backoff if backoff is not None
            else setting('registry_backoff', 1.0))
        self.max_wait = (max_wait if max_wait is not None
            else setting('registry_max_wait', 30.0))
        self.rate = rate or setting('registry_rate', 7, int)
        self.batch = batch or setting('registry_batch', 40, int)
        self.sleep = sleep
        self.session = session or requests.Session()
        contact = setting('registry_contact', '', str)
        self.session.headers['User-Agent'] = USER_AGENT % (
            '; ' + contact if contact else '')
        self.session.headers['Accept'] = 'application/json'
        self.requests = 0

    def get(self, url, params):
        """Return the raw bytes and the JSON of the answer to GET url,
        or raise RegistryUnavailable once the retries are spent"""
        host = requests.utils.urlparse(url).netloc
        rate = limiter(host, self.rate)
        fault = None
        for attempt in range(self.retries + 1):
            if attempt:
                wait = fault[2]
                if wait is None:
                    wait = self.backoff * 2 ** (attempt - 1)
                self.sleep(wait)
            rate.wait()
            self.requests += 1
            try:
                # (connect, read): a dead host fails fast
                response = self.session.get(
                    url, params=params,
                    timeout=(min(self.timeout, 5), self.timeout))
            except requests.Timeout as error:
                fault = ('timeout', str(error), None)
                continue
            except requests.ConnectionError as error:
                text = str(error)
                reason = 'dns' if ('NameResolution' in text
                    or 'Name or service' in text
                    or 'getaddrinfo' in text) else 'connection'
                fault = (reason, text, None)
                continue
            except requests.RequestException as error:
                raise RegistryUnavailable('connection', str(error))
            status = response.status_code
            if status == 429:
                wait = retry_after(response.headers.get('Retry-After'))
                if wait is not None and wait > self.max_wait:
                    raise RegistryUnavailable(
                        'http_429', 'Retry-After %s s' % int(wait))
                fault = ('http_429', 'HTTP 429', wait)
                continue
            if status >= 500:
                fault = ('http_5xx', 'HTTP %s' % status, None)
                continue
            if status != 200:
                raise RegistryUnavailable('http_4xx', 'HTTP %s' % status)
            try:
                return response.content, response.json()
            except ValueError as error:
                raise RegistryUnavailable('invalid', str(error))
        raise RegistryUnavailable(fault[0], fault[1])

    def search(self, siren):
        """Return the raw answer and the minimised company of siren from
        the API Recherche d'entreprises, None when not found"""
        raw, answer = self.get(self.search_url, {'q': siren})
        company = None
        for result in answer.get('results') or []:
            if result.get('siren') == siren:
                company = minimise_company(result)
        return raw, company

    def notices(self, sirens, since=None):
        """Return the raw answers and the minimised collective-procedure
        and radiation notices of sirens (published since the date since)

        The SIRENs go batch by batch in the where clause, the pages of
        each batch one after the other."""
        raws, notices = [], []
        sirens = list(sirens)
        for i in range(0, len(sirens), self.batch):
            where = bodacc_where(sirens[i:i + self.batch], since)
            offset = 0
            while True:
                raw, answer = self.get(
                    self.bodacc_url + BODACC_DATASET, {
                        'where': where,
                        'select': ','.join(BODACC_FIELDS),
                        'order_by': 'dateparution asc, id asc',
                        'limit': BODACC_PAGE,
                        'offset': offset,
                        })
                raws.append(raw)
                results = answer.get('results') or []
                notices.extend(minimise_notice(r) for r in results)
                offset += len(results)
                if (not results or offset >= (answer.get('total_count')
                            or 0)
                        # The API pages no further than 10,000 records
                        or offset + BODACC_PAGE > 10000):
                    break
        return raws, notices

    def lookup(self, siren, today=None):
        "Return the answer of both registries about siren as a dictionary"
        search_raw, company = self.search(siren)
        notice_raws, notices = self.notices([siren])
        digest = hashlib.sha256(search_raw)
        for raw in notice_raws:
            digest.update(raw)
        answer = {
            'siren': siren,
            'company': company,
            'notices': [n for n in notices if siren in n['registre']],
            }
        return answer, digest.hexdigest()


def bodacc_where(sirens, since=None):
    "The ODSQL where clause of the notices of sirens since the date"
    clause = '(%s) AND (%s)' % (
        ' OR '.join('registre="%s"' % s for s in sirens),
        ' OR '.join('familleavis="%s"' % f for f in BODACC_FAMILIES))
    if since:
        clause += " AND dateparution>=date'%s'" % since.isoformat()
    return clause


def is_sole_trader(result):
    complements = result.get('complements') or {}
    return bool(complements.get('est_entrepreneur_individuel')
        or str(result.get('nature_juridique') or '').startswith('1'))


def minimise_company(result):
    """Keep of a company what the rule needs: for a sole trader, whose
    name is a person's name, not even the name (GDPR)"""
    sole_trader = is_sole_trader(result)
    immatriculation = result.get('immatriculation') or {}
    return {
        'siren': result.get('siren'),
        'name': None if sole_trader else result.get('nom_complet'),
        'sole_trader': sole_trader,
        'etat_administratif': result.get('etat_administratif'),
        'date_fermeture': result.get('date_fermeture'),
        'date_radiation': immatriculation.get('date_radiation'),
        }


def minimise_notice(record):
    """Keep of a notice what the rule needs: no person, no address, no
    free text (the complement of a judgment may name people)"""
    record = record.get('fields', record)
    registre = record.get('registre') or []
    if isinstance(registre, str):
        # The v1 API gives one string
        registre = registre.split(',')
    judgment = record.get('jugement')
    if isinstance(judgment, str):
        try:
            judgment = json.loads(judgment)
        except ValueError:
            judgment = None
    if judgment:
        judgment = {
            k: judgment.get(k) for k in ['famille', 'nature', 'date']}
    return {
        'id': record.get('id'),
        'dateparution': record.get('dateparution'),
        'numeroannonce': record.get('numeroannonce'),
        'familleavis': record.get('familleavis'),
        'typeavis': record.get('typeavis'),
        'typeavis_lib': record.get('typeavis_lib'),
        'tribunal': record.get('tribunal'),
        'registre': sorted({r.replace(' ', '') for r in registre if r}),
        'jugement': judgment,
        'url_complete': record.get('url_complete'),
        }


def _plain(text):
    "Lower case without accents, to match the natures of judgments"
    text = unicodedata.normalize('NFKD', text or '')
    return ''.join(c for c in text if not unicodedata.combining(c)).lower()


RESOLVING = re.compile(
    r'clotur|infirm|annul|fin du plan|achevement du plan|mettant fin')
PROCEDURES = [
    # The conversion into a liquidation is a liquidation
    ('liquidation', re.compile(r'liquidation judiciaire'), 'blocked'),
    ('redressement', re.compile(r'redressement judiciaire'), 'prepayment'),
    ('sauvegarde', re.compile(r'sauvegarde'), 'watch'),
    ]


def classify_judgment(notice):
    """Return (kind, status) of a collective-procedure notice: kind is
    the procedure opened, 'resolved' or None when it changes nothing"""
    if notice.get('typeavis') == 'annulation':
        return 'resolved', None
    judgment = notice.get('jugement') or {}
    text = _plain('%s %s' % (
            judgment.get('famille') or '', judgment.get('nature') or ''))
    if not text.strip():
        return None, None
    # A plan that fails ends in a liquidation, in the same judgment
    if 'resolution du plan' in text and 'liquidation' not in text:
        return None, None
    if RESOLVING.search(text) and not text.startswith('jugement de conv'):
        return 'resolved', None
    for kind, pattern, status in PROCEDURES:
        if pattern.search(text):
            return kind, status
    return None, None


def notice_date(notice):
    judgment = notice.get('jugement') or {}
    return judgment.get('date') or notice.get('dateparution') or ''


def classify(answer):
    """Return the status and the reasons of the answer of the registries

    Each reason is a dictionary: source, code (what was found), date,
    court, nature, url and status."""
    company = answer.get('company')
    siren = answer.get('siren')
    reasons = []
    if company is None:
        reasons.append({
                'source': 'recherche-entreprises', 'code': 'not_found',
                'status': 'watch', 'url': DIRECTORY_URL % siren})
    else:
        url = DIRECTORY_URL % siren
        if company.get('etat_administratif') == 'C' or company.get(
                'date_fermeture'):
            reasons.append({
                    'source': 'recherche-entreprises', 'code': 'closed',
                    'status': 'blocked', 'url': url,
                    'date': company.get('date_fermeture')})
        if company.get('date_radiation'):
            reasons.append({
                    'source': 'recherche-entreprises', 'code': 'radiated',
                    'status': 'blocked', 'url': url,
                    'date': company.get('date_radiation')})
    # The latest judgment of the procedure decides; a later closure,
    # annulment or end of plan resolves the earlier opening
    current = None
    for notice in sorted(
            answer.get('notices') or [],
            key=lambda n: (notice_date(n), n.get('dateparution') or '',
                n.get('id') or '')):
        family = notice.get('familleavis')
        base = {
            'source': 'bodacc',
            'date': notice.get('dateparution'),
            'court': notice.get('tribunal'),
            'url': notice.get('url_complete'),
            'notice': notice.get('id'),
            'nature': (notice.get('jugement') or {}).get('nature')
            or notice.get('typeavis_lib'),
            }
        if family == 'radiation':
            reasons.append(dict(base, code='radiation', status='blocked'))
        elif family == 'collective':
            kind, status = classify_judgment(notice)
            if kind == 'resolved':
                if current:
                    reasons.append(dict(
                            base, code='resolved', status='sound',
                            resolves=current['notice']))
                current = None
            elif kind:
                current = dict(base, code=kind, status=status)
    if current:
        reasons.append(current)
    status = 'sound'
    for reason in reasons:
        if SEVERITY.index(reason['status']) > SEVERITY.index(status):
            status = reason['status']
    return status, reasons
