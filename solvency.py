# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import json
import logging

from dateutil.relativedelta import relativedelta
from sql import Null, Union
from stdnum.fr import siren as stdnum_siren

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.company.model import CompanyValueMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from . import registry
from .exceptions import HistoryLocked, RegistryError, SolvencyError

logger = logging.getLogger(__name__)

STATUSES = [
    ('sound', "Sound"),
    ('watch', "Under watch"),
    ('prepayment', "Prepayment only"),
    ('blocked', "Blocked"),
    # The registries could not say: never taken for sound
    ('unknown', "Unknown"),
    ]
SOURCES = [
    ('internal', "Internal analysis"),
    ('insurer', "Credit insurer"),
    ('banque_de_france', "Banque de France"),
    ('rating_agency', "Credit rating agency"),
    ('bank', "Bank"),
    ('other', "Other"),
    ('registries', "Public registries"),
    ]
REGISTRY_SOURCES = "API Recherche d'entreprises, BODACC"
DEFAULT_SEARCH_URL = 'https://recherche-entreprises.api.gouv.fr/search'
DEFAULT_BODACC_URL = (
    'https://bodacc-datadila.opendatasoft.com/api/explore/v2.1')
OUTAGES = [
    'timeout', 'dns', 'connection', 'http_429', 'http_5xx', 'http_4xx',
    'invalid', 'disabled']
# The orders and receivables that make a customer worth watching
OPEN_SALE_STATES = ['confirmed', 'processing']

_READONLY = {
    'readonly': Eval('id', -1) >= 0,
    }


class Solvency(ModelSQL, ModelView):
    "Solvency Assessment"
    __name__ = 'party.solvency'
    __string__ = "Solvency Assessment"

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_READONLY)
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='RESTRICT',
        states=_READONLY,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    date = fields.Date(
        "Date", required=True, states=_READONLY,
        help="When the solvency was assessed.")
    status = fields.Selection(
        STATUSES, "Status", required=True, states=_READONLY,
        help="The decision on the customer's solvency.")
    source = fields.Selection(
        SOURCES, "Source", required=True, states=_READONLY,
        help="Where the assessment comes from.")
    source_detail = fields.Char(
        "Source Detail", states=_READONLY,
        help="The name of the insurer, agency or bank, "
        "or the reference of its report.")
    valid_until = fields.Date(
        "Valid Until", required=True, states=_READONLY,
        help="The last day on which the assessment can be relied on.")
    note = fields.Text("Note")
    findings = fields.Text(
        "Findings", states=_READONLY,
        help="What the public registries said: each source, the notices "
        "(date, court, nature) and their links.")
    registry_answered_at = fields.DateTime(
        "Registries Answered at", states=_READONLY,
        help="When the registries gave the answer the assessment is "
        "made of (for an unknown status, the cached answer).")
    registry_sha256 = fields.Char(
        "Answer SHA-256", states=_READONLY,
        help="The fingerprint of the raw answers of the registries.")
    registry_notices = fields.Char(
        "Notices", states=_READONLY,
        help="The identifiers of the BODACC notices read.")
    registry_outage = fields.Selection([
            (None, ""),
            ('timeout', "Timeout"),
            ('dns', "Name resolution failed"),
            ('connection', "Connection failed"),
            ('http_429', "Too many requests"),
            ('http_5xx', "Server error"),
            ('http_4xx', "Request refused"),
            ('invalid', "Invalid answer"),
            ('disabled', "Look-up switched off"),
            ], "Outage", states=_READONLY,
        help="Why the registries gave no answer.")
    registry_cached_status = fields.Selection(
        [(None, "")] + STATUSES[:4], "Cached Status", states=_READONLY,
        help="The status the last answer kept of the registries gives.")
    claim_deadline = fields.Date(
        "Claim Deadline", states=_READONLY,
        help="The last day to declare the claim to the court-appointed "
        "representative: 2 months after the publication of the opening.")
    retention_deadline = fields.Date(
        "Retention of Title Deadline", states=_READONLY,
        help="The last day to claim back the goods sold under retention "
        "of title: 3 months after the publication of the opening.")
    siren_valid = fields.Function(fields.Boolean(
            "SIREN Valid",
            help="The party has a valid SIREN number."),
        'get_siren_valid')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [
            ('date', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._sql_indexes.add(
            Index(
                t,
                (t.party, Index.Range()),
                (t.company, Index.Range()),
                (t.date, Index.Range())))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        return Date.today()

    @classmethod
    def default_source(cls):
        return 'internal'

    def get_rec_name(self, name):
        return '%s (%s)' % (self.party.rec_name, self.date)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    @classmethod
    def get_siren_valid(cls, assessments, name):
        "Batch: one query for the SIREN identifiers of all the parties"
        pool = Pool()
        Identifier = pool.get('party.identifier')
        party_ids = {a.party.id for a in assessments}
        valid = set()
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            for identifier in Identifier.search([
                        ('party', 'in', list(sub_ids)),
                        ('type', '=', 'fr_siren'),
                        ]):
                if identifier.code and stdnum_siren.is_valid(
                        identifier.code):
                    valid.add(identifier.party.id)
        return {a.id: a.party.id in valid for a in assessments}

    @classmethod
    def validate_fields(cls, assessments, field_names):
        super().validate_fields(assessments, field_names)
        cls.check_dates(assessments, field_names)

    @classmethod
    def check_dates(cls, assessments, field_names=None):
        if field_names and not (field_names & {'date', 'valid_until'}):
            return
        for assessment in assessments:
            if assessment.valid_until < assessment.date:
                raise SolvencyError(gettext(
                        'sale_chain.msg_solvency_dates',
                        assessment=assessment.rec_name,
                        date=assessment.date,
                        valid_until=assessment.valid_until))

    @classmethod
    def _modifiable_fields(cls):
        "Fields that can still be changed once the assessment is stored"
        return {'note'}

    @classmethod
    def check_modification(
            cls, mode, assessments, values=None, external=False):
        super().check_modification(
            mode, assessments, values=values, external=external)
        # The registries speak for themselves: only the look-up records
        # what they said
        if external and mode == 'create' and any(
                a.source == 'registries' or a.status == 'unknown'
                or a.findings or a.registry_sha256
                for a in assessments):
            raise HistoryLocked(gettext('sale_chain.msg_registry_manual'))
        # The audit of the order controls relies on the history
        if mode == 'delete':
            for assessment in assessments:
                raise HistoryLocked(gettext(
                        'sale_chain.msg_solvency_delete',
                        assessment=assessment.rec_name))
        elif mode == 'write':
            fields_ = set(values) - cls._modifiable_fields()
            for assessment in assessments:
                for fname in sorted(fields_):
                    value = getattr(assessment, fname)
                    if isinstance(value, ModelSQL):
                        value = value.id
                    if value != values[fname]:
                        raise HistoryLocked(gettext(
                                'sale_chain.msg_solvency_modify',
                                assessment=assessment.rec_name,
                                field=cls.__names__(fname)['field']))

    @classmethod
    def get_current(cls, parties, company, date, outages=False):
        """Return a dictionary party id: the latest assessment of company
        valid on date (date <= date <= valid_until) or None

        An unknown status (the registries unreachable) decides nothing:
        the earlier assessment stays, and with outages the values are
        pairs (assessment, later unknown assessment or None).  A finding
        of the registries, which only tell of closures and procedures,
        never lifts an earlier, worse manual assessment: a manual one of
        a later date does.  One query per slice of parties."""
        company_id = getattr(company, 'id', company)
        party_ids = [getattr(p, 'id', p) for p in parties]
        found = {p: [] for p in party_ids}
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            # The order of the model: the most recent first
            for assessment in cls.search([
                        ('company', '=', company_id),
                        ('party', 'in', list(sub_ids)),
                        ('date', '<=', date),
                        ('valid_until', '>=', date),
                        ]):
                found[assessment.party.id].append(assessment)
        result = {}
        for party_id, assessments in found.items():
            current = outage = None
            for assessment in assessments:
                if assessment.status == 'unknown':
                    if current is None and outage is None:
                        outage = assessment
                    continue
                if current is None:
                    current = assessment
                    if current.source != 'registries':
                        break
                elif assessment.source != 'registries':
                    # The latest manual one, if worse than the registries
                    if (registry.SEVERITY.index(assessment.status)
                            > registry.SEVERITY.index(current.status)):
                        current = assessment
                    break
            result[party_id] = (current, outage) if outages else current
        return result

    @classmethod
    def get_latest_registries(cls, parties, company):
        """Return a dictionary party id: the latest assessment of the
        registries of company, whatever its validity, or None"""
        company_id = getattr(company, 'id', company)
        party_ids = [getattr(p, 'id', p) for p in parties]
        result = dict.fromkeys(party_ids)
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            for assessment in cls.search([
                        ('company', '=', company_id),
                        ('party', 'in', list(sub_ids)),
                        ('source', '=', 'registries'),
                        ]):
                if result[assessment.party.id] is None:
                    result[assessment.party.id] = assessment
        return result

    @classmethod
    def get_known_notices(cls, parties, company):
        "Return a dictionary party id: the BODACC notices already recorded"
        company_id = getattr(company, 'id', company)
        party_ids = [getattr(p, 'id', p) for p in parties]
        result = {p: set() for p in party_ids}
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            for assessment in cls.search([
                        ('company', '=', company_id),
                        ('party', 'in', list(sub_ids)),
                        ('source', '=', 'registries'),
                        ('registry_notices', '!=', None),
                        ]):
                result[assessment.party.id].update(
                    assessment.registry_notices.split(','))
        return result


class RegistryCache(ModelSQL, ModelView):
    "Registry Answer"
    __name__ = 'party.registry.cache'
    __string__ = "Registry Answer"

    siren = fields.Char("SIREN", required=True, readonly=True)
    answer = fields.Text(
        "Answer", readonly=True,
        help="What the rules need of the answers, and no more: no person "
        "(a sole trader's name included), no address.")
    sha256 = fields.Char(
        "SHA-256", readonly=True,
        help="The fingerprint of the raw answers of the registries.")
    fetched_at = fields.DateTime("Fetched at", readonly=True)
    status = fields.Selection(
        STATUSES[:4], "Status", readonly=True,
        help="The status the answer gives.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('siren_unique', Unique(t, t.siren),
                'sale_chain.msg_registry_cache_unique'),
            ]
        cls._order = [('fetched_at', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return '%s (%s)' % (self.siren, self.fetched_at)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        # The cache is what the registries answered: the look-up only
        if external:
            raise HistoryLocked(gettext('sale_chain.msg_registry_cache'))

    @property
    def data(self):
        return json.loads(self.answer) if self.answer else {}

    def age(self, now=None):
        "The age of the answer in days"
        now = now or dt.datetime.now()
        return max((now - self.fetched_at).days, 0)


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'

    registry_enabled = fields.MultiValue(fields.Boolean(
            "Look Up the Registries",
            help="Look the customers up by SIREN in the public registries "
            "(API Recherche d'entreprises and BODACC).\n"
            "Off, the registries are \"unknown\" and the manual "
            "assessments decide."))
    registry_search_url = fields.MultiValue(fields.Char(
            "API Recherche d'entreprises URL",
            help="The search URL of the API (\"…/search\"), "
            "or of a proxy or a mirror."))
    registry_bodacc_url = fields.MultiValue(fields.Char(
            "BODACC URL",
            help="The base URL of the Opendatasoft v2.1 API of BODACC "
            "(\"…/api/explore/v2.1\"), or of a proxy or a mirror."))
    registry_cache_days = fields.MultiValue(fields.Integer(
            "Registry Cache Days",
            domain=['OR',
                ('registry_cache_days', '=', None),
                ('registry_cache_days', '>=', 0),
                ],
            help="For how many days an answer of the registries is used "
            "again without asking them."))
    registry_validity_days = fields.MultiValue(fields.Integer(
            "Registry Assessment Validity",
            domain=['OR',
                ('registry_validity_days', '=', None),
                ('registry_validity_days', '>=', 0),
                ],
            help="For how many days an assessment of the registries "
            "is valid."))
    registry_watch_since = fields.MultiValue(fields.Date(
            "Registry Watch Since", readonly=True,
            help="The publication date from which the next nightly watch "
            "reads the BODACC notices: the date of its last good run."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field.startswith('registry_'):
            return pool.get('sale.configuration.registry')
        return super().multivalue_model(field)

    @classmethod
    def default_registry_enabled(cls, **pattern):
        return False

    @classmethod
    def default_registry_search_url(cls, **pattern):
        return DEFAULT_SEARCH_URL

    @classmethod
    def default_registry_bodacc_url(cls, **pattern):
        return DEFAULT_BODACC_URL

    @classmethod
    def default_registry_cache_days(cls, **pattern):
        return 7

    @classmethod
    def default_registry_validity_days(cls, **pattern):
        return 30


class ConfigurationRegistry(ModelSQL, CompanyValueMixin):
    "Sale Configuration Registry"
    __name__ = 'sale.configuration.registry'

    registry_enabled = fields.Boolean("Look Up the Registries")
    registry_search_url = fields.Char("API Recherche d'entreprises URL")
    registry_bodacc_url = fields.Char("BODACC URL")
    registry_cache_days = fields.Integer("Registry Cache Days")
    registry_validity_days = fields.Integer("Registry Assessment Validity")
    registry_watch_since = fields.Date("Registry Watch Since")

    @classmethod
    def default_registry_enabled(cls):
        return False

    @classmethod
    def default_registry_search_url(cls):
        return DEFAULT_SEARCH_URL

    @classmethod
    def default_registry_bodacc_url(cls):
        return DEFAULT_BODACC_URL

    @classmethod
    def default_registry_cache_days(cls):
        return 7

    @classmethod
    def default_registry_validity_days(cls):
        return 30


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    solvency_assessments = fields.One2Many(
        'party.solvency', 'party', "Solvency Assessments",
        order=[('date', 'DESC'), ('id', 'DESC')],
        help="The history of the solvency assessments of the party.")
    solvency_status = fields.Function(fields.Selection(
            [(None, "None or expired")] + STATUSES, "Solvency Status",
            help="The status of the latest assessment valid today "
            "for the current company."),
        'get_solvency_status')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'check_registries': {
                    'invisible': Eval('id', -1) < 0,
                    'depends': ['id'],
                    },
                })

    @classmethod
    def get_solvency_status(cls, parties, name):
        pool = Pool()
        Date = pool.get('ir.date')
        Solvency = pool.get('party.solvency')
        company_id = Transaction().context.get('company')
        if not company_id or company_id < 0:
            return {p.id: None for p in parties}
        with Transaction().set_context(company=company_id):
            today = Date.today()
        current = Solvency.get_current(
            parties, company_id, today, outages=True)
        return {
            p: a.status if a else ('unknown' if o else None)
            for p, (a, o) in current.items()}

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('solvency_assessments', None)
        return super().copy(parties, default=default)

    @classmethod
    @ModelView.button
    def check_registries(cls, parties):
        "Look the parties up in the public registries now"
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        if not company_id or company_id < 0:
            raise RegistryError(gettext('sale_chain.msg_registry_company'))
        # Every SIREN checked before any query
        for party in parties:
            cls.registry_siren(party, strict=True)
        cls.lookup_registries(parties, Company(company_id), force=True)

    @classmethod
    def registry_siren(cls, party, strict=False):
        """Return the SIREN of party, compact, checked offline; None when
        it has none (or a malformed one unless strict)"""
        codes = [i.code for i in party.identifiers
            if i.type == 'fr_siren' and i.active]
        if not codes:
            codes = [i.code[:9] for i in party.identifiers
                if i.type == 'fr_siret' and i.active and i.code]
        if not codes:
            if strict:
                raise RegistryError(gettext(
                        'sale_chain.msg_registry_no_siren',
                        party=party.rec_name))
            return None
        code = stdnum_siren.compact(codes[0] or '')
        if not stdnum_siren.is_valid(code):
            if strict:
                raise RegistryError(gettext(
                        'sale_chain.msg_registry_siren_invalid',
                        party=party.rec_name, siren=codes[0]))
            return None
        return code

    @classmethod
    def registry_settings(cls, company):
        "Return the registry settings of company, None when switched off"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        config = Configuration(1)
        company_id = getattr(company, 'id', company)

        def get(name):
            return config.get_multivalue(name, company=company_id)
        if not get('registry_enabled'):
            return None
        return {
            'search_url': get('registry_search_url') or DEFAULT_SEARCH_URL,
            'bodacc_url': get('registry_bodacc_url') or DEFAULT_BODACC_URL,
            'cache_days': get('registry_cache_days') or 0,
            'validity_days': get('registry_validity_days') or 0,
            'watch_since': get('registry_watch_since'),
            }

    @classmethod
    def registry_client(cls, settings):
        return registry.RegistryClient(
            settings['search_url'], settings['bodacc_url'])

    @classmethod
    def lookup_registries(cls, parties, company, force=False, client=None):
        """Look parties up in the registries for company and return a
        dictionary party id: the assessment of the registries (None for a
        party without a valid SIREN)

        The cached answer serves unless force or older than the cache
        duration; a party whose answer did not change keeps its
        assessment.  Unreachable registries give an unknown assessment
        with the cached answer and its age."""
        pool = Pool()
        Date = pool.get('ir.date')
        Cache = pool.get('party.registry.cache')
        Solvency = pool.get('party.solvency')
        company_id = getattr(company, 'id', company)
        with Transaction().set_context(company=company_id):
            today = Date.today()
        now = dt.datetime.now().replace(microsecond=0)
        settings = cls.registry_settings(company_id)
        sirens = {p.id: cls.registry_siren(p) for p in parties}
        caches = {}
        codes = [c for c in sirens.values() if c]
        for sub in grouped_slice(codes, backend.MAX_QUERY_PARAMS):
            for cache in Cache.search([('siren', 'in', list(sub))]):
                caches[cache.siren] = cache
        latest = Solvency.get_latest_registries(parties, company_id)
        result = {}
        to_save = []
        for party in parties:
            siren = sirens[party.id]
            if not siren:
                result[party.id] = None
                continue
            cache = caches.get(siren)
            previous = latest[party.id]
            outage = None
            if settings is None:
                outage = registry.RegistryUnavailable('disabled')
            elif force or not cache or (
                    now - cache.fetched_at).days >= settings['cache_days']:
                client = client or cls.registry_client(settings)
                try:
                    answer, digest = client.lookup(siren)
                except registry.RegistryUnavailable as error:
                    logger.warning(
                        "registries unreachable for SIREN %s: %s",
                        siren, error)
                    outage = error
                else:
                    cache = cls._store_registry_answer(
                        cache, siren, answer, digest, now)
                    caches[siren] = cache
            if outage:
                assessment = cls._registry_unknown(
                    party, company_id, today, outage.reason, cache,
                    previous)
            else:
                assessment = cls._registry_assessment(
                    party, company_id, today, cache, previous,
                    settings['validity_days'])
            if assessment.id is None or assessment.id < 0:
                to_save.append(assessment)
            result[party.id] = assessment
        if to_save:
            with without_check_access():
                Solvency.save(to_save)
        return result

    @classmethod
    def _store_registry_answer(cls, cache, siren, answer, digest, now):
        pool = Pool()
        Cache = pool.get('party.registry.cache')
        status, _ = registry.classify(answer)
        values = {
            'siren': siren,
            'answer': json.dumps(answer, sort_keys=True),
            'sha256': digest,
            'fetched_at': now,
            'status': status,
            }
        with without_check_access():
            if cache:
                Cache.write([cache], values)
                cache = Cache(cache.id)
            else:
                cache, = Cache.create([values])
        return cache

    @classmethod
    def _registry_assessment(
            cls, party, company_id, today, cache, previous, validity):
        "The assessment of the cached answer, previous when the same"
        pool = Pool()
        Solvency = pool.get('party.solvency')
        answer = cache.data
        status, reasons = registry.classify(answer)
        if (previous and previous.status == status
                and previous.registry_sha256 == cache.sha256
                and previous.valid_until >= today):
            return previous
        notices = sorted({
                n['id'] for n in answer.get('notices') or [] if n.get('id')})
        claim = retention = None
        opening = [r for r in reasons if r['code'] in {
                'liquidation', 'redressement', 'sauvegarde'}]
        if opening and opening[-1].get('date'):
            published = dt.date.fromisoformat(opening[-1]['date'])
            claim = published + relativedelta(months=2)
            retention = published + relativedelta(months=3)
        findings = cls.registry_findings(
            reasons, cache.fetched_at, claim, retention)
        return Solvency(
            company=company_id, party=party, date=today,
            valid_until=today + dt.timedelta(days=validity),
            status=status, source='registries',
            source_detail=REGISTRY_SOURCES,
            findings=findings,
            registry_answered_at=cache.fetched_at,
            registry_sha256=cache.sha256,
            registry_notices=','.join(notices) or None,
            claim_deadline=claim, retention_deadline=retention)

    @classmethod
    def _registry_unknown(
            cls, party, company_id, today, reason, cache, previous):
        """The unknown assessment of an outage, with the cached answer
        and its age; one a day per outage"""
        pool = Pool()
        Solvency = pool.get('party.solvency')
        if (previous and previous.status == 'unknown'
                and previous.date == today
                and previous.registry_outage == reason
                and previous.registry_sha256 == (
                    cache.sha256 if cache else None)):
            return previous
        lines = [cls.registry_outage_text(reason)]
        cached_status = None
        if cache:
            cached_status, reasons = registry.classify(cache.data)
            statuses = dict(Solvency.fields_get(
                    ['status'])['status']['selection'])
            lines.append(gettext('sale_chain.msg_registry_cached',
                    date=cache.fetched_at.replace(microsecond=0),
                    age=cache.age(),
                    status=statuses[cached_status]))
            lines.append(cls.registry_findings(reasons, cache.fetched_at))
        else:
            lines.append(gettext('sale_chain.msg_registry_no_cache'))
        return Solvency(
            company=company_id, party=party, date=today, valid_until=today,
            status='unknown', source='registries',
            source_detail=REGISTRY_SOURCES,
            findings='\n'.join(lines),
            registry_answered_at=cache.fetched_at if cache else None,
            registry_sha256=cache.sha256 if cache else None,
            registry_outage=reason,
            registry_cached_status=cached_status)

    @classmethod
    def registry_outage_text(cls, reason):
        return gettext('sale_chain.msg_registry_outage',
            reason=gettext('sale_chain.msg_registry_outage_%s' % reason))

    @classmethod
    def registry_findings(cls, reasons, fetched_at, claim=None,
            retention=None):
        "The text of what the registries said, one line a finding"
        lines = []
        for reason in reasons:
            values = {k: reason.get(k) or '' for k in [
                    'date', 'court', 'nature', 'url']}
            lines.append(gettext(
                    'sale_chain.msg_registry_found_%s' % reason['code'],
                    **values))
        if not reasons:
            lines.append(gettext('sale_chain.msg_registry_found_nothing',
                    date=fetched_at.date() if fetched_at else ''))
        if claim:
            lines.append(cls.registry_deadlines(claim, retention))
        return '\n'.join(lines)

    @classmethod
    def registry_deadlines(cls, claim, retention):
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        return gettext('sale_chain.msg_registry_deadlines',
            claim=lang.strftime(claim), retention=lang.strftime(retention))

    @classmethod
    def registry_watched(cls, company):
        """Return the parties worth watching for company: customers with
        open receivables or open orders"""
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        Sale = pool.get('sale.sale')
        cursor = Transaction().connection.cursor()
        company_id = getattr(company, 'id', company)
        line = MoveLine.__table__()
        account = Account.__table__()
        type_ = AccountType.__table__()
        sale = Sale.__table__()
        sale2 = Sale.__table__()
        receivables = (line
            .join(account, condition=line.account == account.id)
            .join(type_, condition=account.type == type_.id)
            .select(line.party.as_('party'),
                where=(line.reconciliation == Null)
                & (type_.receivable == True)  # noqa: E712
                & (account.company == company_id)
                & (line.party != Null)))
        orders = sale.select(sale.party.as_('party'),
            where=sale.state.in_(OPEN_SALE_STATES)
            & (sale.company == company_id))
        payers = sale2.select(sale2.invoice_party.as_('party'),
            where=sale2.state.in_(OPEN_SALE_STATES)
            & (sale2.company == company_id)
            & (sale2.invoice_party != Null))
        cursor.execute(*Union(Union(receivables, orders), payers))
        return cls.browse(sorted({r for r, in cursor}))

    @classmethod
    def watch_registries(cls, date=None):
        """Read the BODACC notices published since the last run about the
        customers with open receivables or open orders, record what a new
        one changes and notify the accountants and the salespersons

        Unreachable registries: the watch reports it and changes nothing,
        its mark included."""
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        companies = [Company(company_id)] if company_id else Company.search(
            [])
        return {c.id: cls._watch_registries(c, date) for c in companies}

    @classmethod
    def _watch_registries(cls, company, date=None):
        pool = Pool()
        Date = pool.get('ir.date')
        Configuration = pool.get('sale.configuration')
        Solvency = pool.get('party.solvency')
        settings = cls.registry_settings(company)
        if settings is None:
            return None
        with Transaction().set_context(company=company.id):
            today = date or Date.today()
        since = settings['watch_since'] or today - dt.timedelta(days=1)
        parties = {}
        for party in cls.registry_watched(company):
            siren = cls.registry_siren(party)
            if siren:
                parties.setdefault(siren, []).append(party)
        client = cls.registry_client(settings)
        report = {'since': since, 'customers': len(parties), 'notices': 0,
            'parties': [], 'requests': 0, 'outage': None}
        try:
            _, notices = client.notices(sorted(parties), since)
        except registry.RegistryUnavailable as error:
            report['requests'] = client.requests
            report['outage'] = error.reason
            cls._report_watch_outage(company, error, since)
            return report
        known = Solvency.get_known_notices(
            [p for ps in parties.values() for p in ps], company)
        new = {}
        for notice in notices:
            for siren in notice['registre']:
                for party in parties.get(siren, []):
                    if notice['id'] not in known[party.id]:
                        new.setdefault(party, []).append(notice)
        report['notices'] = len({n['id'] for ns in new.values() for n in ns})
        if new:
            # The whole history of the companies with a new notice: a
            # later closure resolves an earlier opening
            assessments = cls.lookup_registries(
                list(new), company, force=True, client=client)
            for party, notices in new.items():
                assessment = assessments.get(party.id)
                if assessment is None or assessment.status == 'unknown':
                    continue
                report['parties'].append(party.id)
                opening = [n for n in notices
                    if registry.classify_judgment(n)[1]]
                if opening:
                    cls._notify_procedure(party, company, assessment)
        report['requests'] = client.requests
        config = Configuration(1)
        with without_check_access():
            config.set_multivalue(
                'registry_watch_since', today, company=company.id)
        return report

    @classmethod
    def _company_users(cls, company, group):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        group_id = ModelData.get_id(*group.split('.'))
        return User.search([
                ('groups', '=', group_id),
                ('companies', '=', company.id),
                ])

    @classmethod
    def _notify_procedure(cls, party, company, assessment):
        """Notify the accountants and the salespersons of the open orders
        of party of the new collective procedure, once each"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        users = {u.id for u in cls._company_users(
                company, 'account.group_account')}
        sales = Sale.search([
                ('company', '=', company.id),
                ['OR',
                    ('party', '=', party.id),
                    ('invoice_party', '=', party.id),
                    ],
                ('state', 'in', ['quotation'] + OPEN_SALE_STATES),
                ])
        for sale_users in Sale.get_salesperson_users(sales).values():
            users.update(u.id for u in sale_users)
        label = gettext('sale_chain.msg_registry_watch_label',
            party=party.rec_name)
        description = ' '.join(assessment.findings.split())
        for user in sorted(users):
            cls.notify_user(
                [party], 'tryton-warning', label, description=description,
                user=user)

    @classmethod
    def _report_watch_outage(cls, company, error, since):
        logger.warning(
            "registry watch of company %s: registries unreachable (%s), "
            "nothing changed", company.id, error)
        label = gettext('sale_chain.msg_registry_watch_failed_label')
        description = gettext('sale_chain.msg_registry_watch_failed',
            reason=gettext('sale_chain.msg_registry_outage_%s'
                % error.reason), since=since)
        for user in cls._company_users(company, 'account.group_account'):
            cls.notify_user(
                [company.party], 'tryton-warning', label,
                description=description, user=user.id)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('party.party|watch_registries', "Watch the Public Registries"))
