# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from sql import Null
from sql.conditionals import Coalesce
from stdnum.fr import siren as stdnum_siren

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, sqlite_apply_types
from trytond.transaction import Transaction

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
# The age buckets of overdue receivables, in days after the maturity date
AGE_BUCKETS = [
    ('1-30', 1, 30),
    ('31-60', 31, 60),
    ('61-90', 61, 90),
    ('>90', 91, None),
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
                raise ValidationError(gettext(
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
                raise AccessError(gettext(
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
                        raise AccessError(gettext(
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

    @classmethod
    def get_overdue_receivables(cls, parties, company, date):
        """Return a dictionary party id: overdue receivables of company

        The values are dictionaries with the 'total', the amounts by age
        ('1-30', '31-60', '61-90', '>90' days after maturity), the
        'oldest_maturity' date (or None) and the ids of the move 'lines'.
        Counted are the unreconciled receivable lines whose maturity date
        (or move date) is strictly before date, as debit - credit in the
        currency of the company (so an unreconciled payment reduces the
        bucket of its date).  One query per slice of parties."""
        pool = Pool()
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        Company = pool.get('company.company')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')

        cursor = Transaction().connection.cursor()
        if not isinstance(company, Company):
            company = Company(company)
        currency = company.currency
        account = Account.__table__()
        account_type = AccountType.__table__()
        move = Move.__table__()
        line = MoveLine.__table__()

        party_ids = [getattr(p, 'id', p) for p in parties]
        result = {p: cls._overdue_receivables_empty() for p in party_ids}
        maturity = Coalesce(line.maturity_date, move.date)
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            query = (line
                .join(move, condition=line.move == move.id)
                .join(account, condition=line.account == account.id)
                .join(account_type, condition=account.type == account_type.id)
                .select(
                    line.id.as_('id'),
                    line.party.as_('party'),
                    (line.debit - line.credit).as_('amount'),
                    maturity.as_('maturity'),
                    where=(
                        account_type.receivable
                        & (line.reconciliation == Null)
                        & (account.company == company.id)
                        & line.party.in_(list(sub_ids))
                        & (maturity < date)),
                    order_by=[line.party, maturity, line.id]))
            if backend.name == 'sqlite':
                sqlite_apply_types(query, [None, None, 'NUMERIC', 'DATE'])
            cursor.execute(*query)
            for line_id, party_id, amount, maturity_date in cursor:
                values = result[party_id]
                age = (date - maturity_date).days
                for bucket, start, end in AGE_BUCKETS:
                    if age >= start and (end is None or age <= end):
                        values[bucket] += amount
                        break
                values['total'] += amount
                if (values['oldest_maturity'] is None
                        or maturity_date < values['oldest_maturity']):
                    values['oldest_maturity'] = maturity_date
                values['lines'].append(line_id)
        for values in result.values():
            for key in ['total'] + [b for b, _, _ in AGE_BUCKETS]:
                values[key] = currency.round(values[key])
        return result

    @classmethod
    def get_overdue_to_remind(cls, parties, company, date):
        "Return the overdue receivable lines of parties not dunned yet"
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        overdue = cls.get_overdue_receivables(parties, company, date)
        lines = MoveLine.browse(
            [i for v in overdue.values() for i in v['lines']])
        # A payment or a line already dunned is not reminded again
        return [l for l in lines
            if l.debit - l.credit > 0 and not l.dunnings]

    @classmethod
    def remind_overdue(cls, parties, company, date):
        """Create the dunnings of the overdue receivables of parties which
        are not dunned yet and return them

        Each line gets the level its procedure reaches at date, or the
        first level: the user asks to remind the customer now."""
        pool = Pool()
        Dunning = pool.get('account.dunning')
        dunnings = []
        for line in cls.get_overdue_to_remind(parties, company, date):
            procedure = line.dunning_procedure
            if not procedure or not procedure.levels:
                raise AccessError(gettext(
                        'sale_chain.msg_remind_no_procedure',
                        party=line.party.rec_name))
            dunning = None
            if line.maturity_date:
                dunning = Dunning._get_dunning(line, date)
            if not dunning:
                dunning = Dunning(
                    company=line.account.company, line=line,
                    procedure=procedure, level=procedure.levels[0])
            dunnings.append(dunning)
        Dunning.save(dunnings)
        return dunnings

    @classmethod
    def _overdue_receivables_empty(cls):
        values = {b: Decimal(0) for b, _, _ in AGE_BUCKETS}
        values.update({
                'total': Decimal(0),
                'oldest_maturity': None,
                'lines': [],
                })
        return values

    @classmethod
    def get_dunning_levels(cls, parties, company):
        """Return a dictionary party id: the highest level of the active
        dunnings of company (those of unreconciled lines) or None

        The levels rank in the order of their procedure (sequence, id).
        One query per slice of parties."""
        pool = Pool()
        Dunning = pool.get('account.dunning')
        Level = pool.get('account.dunning.level')
        MoveLine = pool.get('account.move.line')

        cursor = Transaction().connection.cursor()
        company_id = getattr(company, 'id', company)
        dunning = Dunning.__table__()
        level = Level.__table__()
        line = MoveLine.__table__()

        party_ids = [getattr(p, 'id', p) for p in parties]
        highest = {}
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*dunning
                .join(line, condition=dunning.line == line.id)
                .join(level, condition=dunning.level == level.id)
                .select(
                    line.party, level.id, level.sequence,
                    where=(
                        (dunning.company == company_id)
                        & (line.reconciliation == Null)
                        & line.party.in_(list(sub_ids)))))
            for party_id, level_id, sequence in cursor:
                # NULLS FIRST as sequence_ordered
                key = (sequence is not None, sequence or 0, level_id)
                if party_id not in highest or key > highest[party_id]:
                    highest[party_id] = key
        levels = Level.browse([k[-1] for k in highest.values()])
        levels = {l.id: l for l in levels}
        return {
            p: levels[highest[p][-1]] if p in highest else None
            for p in party_ids}

    @classmethod
    def get_credit_situation(cls, parties, company):
        """Return a dictionary party id: {'limit': the credit limit amount
        or None, 'amount': the credit amount} for company

        Both come from account_credit_limit and sale_credit_limit: the
        limit is the company value of the party (or the default of the
        accounting configuration), the amount is computed by the getter of
        credit_amount for all the parties at once in the context of
        company."""
        company_id = getattr(company, 'id', company)
        party_ids = [getattr(p, 'id', p) for p in parties]
        limits = cls._get_credit_limits(party_ids, company_id)
        result = {}
        with Transaction().set_context(company=company_id):
            for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
                sub_parties = cls.browse(list(sub_ids))
                amounts = cls.get_credit_amount(sub_parties, 'credit_amount')
                for party in sub_parties:
                    result[party.id] = {
                        'limit': limits[party.id],
                        'amount': amounts.get(party.id, Decimal(0)),
                        }
        return result

    @classmethod
    def _get_credit_limits(cls, party_ids, company_id):
        "Return the credit limit amount of company for each party id"
        pool = Pool()
        CreditLimit = pool.get('party.party.credit_limit_amount')
        default = cls.default_credit_limit_amount(company=company_id)
        limits = dict.fromkeys(party_ids, default)
        found = set()
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            # As get_multivalue: the first value of the company
            for value in CreditLimit.search([
                        ('party', 'in', list(sub_ids)),
                        ('company', '=', company_id),
                        ],
                    order=[('id', 'ASC')]):
                if value.party.id not in found:
                    found.add(value.party.id)
                    limits[value.party.id] = value.credit_limit_amount
        return limits
