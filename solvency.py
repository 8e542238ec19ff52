# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from stdnum.fr import siren as stdnum_siren

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import HistoryLocked, SolvencyError

STATUSES = [
    ('sound', "Sound"),
    ('watch', "Under watch"),
    ('prepayment', "Prepayment only"),
    ('blocked', "Blocked"),
    ]
SOURCES = [
    ('internal', "Internal analysis"),
    ('insurer', "Credit insurer"),
    ('banque_de_france', "Banque de France"),
    ('rating_agency', "Credit rating agency"),
    ('bank', "Bank"),
    ('other', "Other"),
    ]

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
    def get_current(cls, parties, company, date):
        """Return a dictionary party id: the latest assessment of company
        valid on date (date <= date <= valid_until) or None

        One query per slice of parties."""
        company_id = getattr(company, 'id', company)
        party_ids = [getattr(p, 'id', p) for p in parties]
        result = dict.fromkeys(party_ids)
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            # The order of the model: the most recent first
            for assessment in cls.search([
                        ('company', '=', company_id),
                        ('party', 'in', list(sub_ids)),
                        ('date', '<=', date),
                        ('valid_until', '>=', date),
                        ]):
                party_id = assessment.party.id
                if result.get(party_id) is None:
                    result[party_id] = assessment
        return result


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
    def get_solvency_status(cls, parties, name):
        pool = Pool()
        Date = pool.get('ir.date')
        Solvency = pool.get('party.solvency')
        company_id = Transaction().context.get('company')
        if not company_id or company_id < 0:
            return {p.id: None for p in parties}
        with Transaction().set_context(company=company_id):
            today = Date.today()
        current = Solvency.get_current(parties, company_id, today)
        return {
            p: a.status if a else None for p, a in current.items()}

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('solvency_assessments', None)
        return super().copy(parties, default=default)
