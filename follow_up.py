# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The follow-up of the orders (tableau de suivi): the dates, status and
observation of each confirmed order are stored on the sale, computed once at
the end of the sale's process (and of the delivery note changes that queue
no process), and projected by a read-only SQL model; a daily job reminds the
late deliveries."""
import datetime as dt
import weakref
from collections import defaultdict

from sql import Cast, Column, Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import DateTrunc, Substring
from sql.operators import Concat, Exists, Like

import trytond.config as config
from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.modules.company.company import CompanyReport
from trytond.modules.company.model import CompanyValueMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateReport, StateView, Wizard

from .document import DocumentMixin
from .exceptions import FollowUpPrintError, PreparationDateError
from .reminder import company_template, remind, send_email

# The states of a delivery note whose preparation date is history
PREPARED_DATE_LOCKED = ['done', 'cancelled']

# The background of the calendar events: Bootstrap's danger red for the
# late orders, sao's own calendar colour for the others
LATE_COLOR = '#d9534f'
ON_TIME_COLOR = '#267f82'

# The status of an order in the follow-up, from the least to the most
# advanced; see Sale._follow_up_state for the rule
FOLLOW_UP_STATES = [
    (None, ""),
    ('to_ship', "To Ship"),
    ('awaiting_deposit', "Awaiting Deposit"),
    ('awaiting_stock', "Awaiting Stock"),
    ('in_preparation', "In Preparation"),
    ('shipped', "Shipped"),
    ('exception', "Shipment Exception"),
    ('delivered', "Delivered"),
    ('invoiced', "Invoiced"),
    ('paid', "Paid"),
    ('cancelled', "Cancelled"),
    ]
# The sale states shown in the follow-up
FOLLOW_UP_SALE_STATES = ['confirmed', 'processing', 'done', 'cancelled']
# The fields of the sale which only the system writes
FOLLOW_UP_COMPUTED = {
    'follow_up_state', 'follow_up_prepared_date', 'follow_up_planned_date',
    'follow_up_open_date', 'follow_up_delivered_date', 'follow_up_on_time',
    'follow_up_remaining', 'follow_up_comment_by', 'follow_up_comment_at',
    'follow_up_reminded_at', 'follow_up_reminder_count',
    }
# What Sale.update_follow_up reads of the sale (see _follow_up_records)
FOLLOW_UP_READ = [
    'state', 'invoice_state', 'shipment_state', 'follow_up_state',
    'follow_up_prepared_date', 'follow_up_planned_date',
    'follow_up_open_date', 'follow_up_delivered_date', 'follow_up_on_time',
    'follow_up_remaining']
REMINDER_KINDS = [
    ('late_delivery', "Late Delivery"),
    ('new_date', "New Planned Date"),
    ]


# The sales whose follow-up waits for the end of the outermost running
# process, per transaction: a process changes its sales many times (moves,
# delivery notes, states) and their follow-up is computed once, at its end
_deferred = weakref.WeakKeyDictionary()
# The lines read by Sale._follow_up_records of the sales whose follow-up
# is being computed, per transaction and sale id
_read_lines = weakref.WeakKeyDictionary()


def _week(date):
    "Return the first and last days of the week of date"
    start = date - dt.timedelta(days=date.weekday())
    return start, start + dt.timedelta(days=6)


class FollowUpRow:
    """What the follow-up reads of a record, as attributes: a line, a
    delivery move or note of Sale._follow_up_records; equal to the record
    of the same model and id"""

    def __init__(self, name, values):
        self.__name__ = name
        self.__dict__.update(values)

    def __eq__(self, other):
        return (self.__name__, self.id) == (
            getattr(other, '__name__', None), getattr(other, 'id', None))

    def __hash__(self):
        return hash((self.__name__, self.id))


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'

    follow_up_reminder_template = fields.MultiValue(fields.Many2One(
            'ir.email.template', "Late Delivery E-mail",
            domain=[('model.name', '=', 'sale.sale')],
            help="The delay notice e-mailed to the customer when an order "
            "is late.\nLeave empty to remind only the salesperson."))
    follow_up_new_date_template = fields.MultiValue(fields.Many2One(
            'ir.email.template', "New Delivery Date E-mail",
            domain=[('model.name', '=', 'sale.sale')],
            help="The notice e-mailed to the customer when a late order "
            "gets a new planned delivery date.\n"
            "Leave empty to send none."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in {
                'follow_up_reminder_template',
                'follow_up_new_date_template'}:
            return pool.get('sale.configuration.follow_up')
        return super().multivalue_model(field)


class ConfigurationFollowUp(ModelSQL, CompanyValueMixin):
    "Sale Configuration Follow-up"
    __name__ = 'sale.configuration.follow_up'

    follow_up_reminder_template = fields.Many2One(
        'ir.email.template', "Late Delivery E-mail",
        domain=[('model.name', '=', 'sale.sale')])
    follow_up_new_date_template = fields.Many2One(
        'ir.email.template', "New Delivery Date E-mail",
        domain=[('model.name', '=', 'sale.sale')])


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    follow_up_state = fields.Selection(
        FOLLOW_UP_STATES, "Follow-up Status", readonly=True)
    follow_up_prepared_date = fields.Date(
        "Preparation Date", readonly=True,
        help="When the last delivery note was prepared (picked or packed).")
    follow_up_planned_date = fields.Date(
        "Planned Delivery Date", readonly=True,
        help="The earliest planned date of the deliveries still open, "
        "else the planned date of the last delivery.")
    follow_up_open_date = fields.Date(
        "Open Delivery Date", readonly=True,
        help="The earliest planned date of the deliveries still open.")
    follow_up_delivered_date = fields.Date(
        "Actual Delivery Date", readonly=True,
        help="The date of the last delivery done.")
    follow_up_on_time = fields.Boolean(
        "Delivered on Time", readonly=True,
        help="Whether the order was entirely delivered by its planned date.")
    follow_up_remaining = fields.Float(
        "Quantity to Deliver", readonly=True)
    follow_up_comment = fields.Text("Observation", readonly=True)
    follow_up_comment_by = fields.Many2One(
        'res.user', "Observation by", readonly=True)
    follow_up_comment_at = fields.DateTime(
        "Observation at", readonly=True)
    follow_up_observations = fields.One2Many(
        'sale.follow_up.observation', 'sale', "Observations", readonly=True)
    follow_up_reminders = fields.One2Many(
        'sale.follow_up.reminder', 'sale', "Reminders", readonly=True)
    follow_up_reminded_at = fields.DateTime(
        "Late Delivery Reminded at", readonly=True)
    follow_up_reminder_count = fields.Integer(
        "Late Delivery Reminders", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        follow_up = t.state.in_(FOLLOW_UP_SALE_STATES)
        cls._sql_indexes.update({
                # The default order of the follow-up
                Index(
                    t,
                    (t.company, Index.Equality()),
                    (t.sale_date, Index.Range(order='DESC')),
                    (t.id, Index.Range(order='DESC')),
                    where=follow_up),
                # The late orders are among the open ones, which alone have
                # an open date: their count by the date range as condition
                # of the index, their first page in the default order
                # (without them PostgreSQL walks the default order through
                # every delivered order). No condition on the state, which
                # SQLite cannot match with the parameters of the query.
                Index(
                    t,
                    (t.company, Index.Equality()),
                    (t.follow_up_open_date, Index.Range()),
                    where=t.follow_up_open_date != Null),
                Index(
                    t,
                    (t.company, Index.Equality()),
                    (t.sale_date, Index.Range(order='DESC')),
                    (t.id, Index.Range(order='DESC')),
                    where=t.follow_up_open_date != Null),
                # The order by planned date
                Index(
                    t,
                    (t.company, Index.Equality()),
                    (t.follow_up_planned_date, Index.Range()),
                    where=follow_up),
                Index(
                    t,
                    (t.follow_up_state, Index.Equality(cardinality='low')),
                    where=follow_up),
                })

    @classmethod
    def default_follow_up_reminder_count(cls):
        return 0

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'follow_up_state', 'follow_up_prepared_date',
                'follow_up_planned_date', 'follow_up_open_date',
                'follow_up_delivered_date', 'follow_up_on_time',
                'follow_up_remaining', 'follow_up_comment',
                'follow_up_comment_by', 'follow_up_comment_at',
                'follow_up_observations', 'follow_up_reminders',
                'follow_up_reminded_at', 'follow_up_reminder_count']:
            default.setdefault(name)
        return super().copy(sales, default=default)

    @classmethod
    def check_modification(cls, mode, sales, values=None, external=False):
        super().check_modification(
            mode, sales, values=values, external=external)
        if mode == 'write' and external:
            computed = values.keys() & FOLLOW_UP_COMPUTED
            if computed:
                raise AccessError(gettext(
                        'sale_chain.msg_follow_up_computed',
                        fields=', '.join(sorted(computed))))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # Who wrote the observation and when, whichever way it is written
        if mode == 'write' and 'follow_up_comment' in values:
            values['follow_up_comment_by'] = Transaction().user
            values['follow_up_comment_at'] = (
                dt.datetime.now().replace(microsecond=0))
        return values

    @classmethod
    def on_modification(cls, mode, sales, field_names=None):
        pool = Pool()
        Observation = pool.get('sale.follow_up.observation')
        super().on_modification(mode, sales, field_names=field_names)
        if mode == 'write' and 'follow_up_comment' in field_names:
            # The history of the observations, whoever may write them
            with without_check_access():
                Observation.create([{
                            'sale': s.id,
                            'text': s.follow_up_comment,
                            'user': s.follow_up_comment_by,
                            'date': s.follow_up_comment_at,
                            } for s in sales])

    @classmethod
    def process(cls, sales):
        transaction = Transaction()
        outermost = transaction not in _deferred
        if outermost:
            _deferred[transaction] = set()
        try:
            super().process(sales)
            # A paid deposit changes no state of the sale but its follow-up
            _deferred[transaction].update(s.id for s in sales)
        finally:
            if outermost:
                ids = _deferred.pop(transaction)
        if outermost:
            cls.update_follow_up(cls.browse(sorted(ids)))

    @classmethod
    def draft(cls, sales):
        super().draft(sales)
        # No process follows the return of an order to draft
        cls.update_follow_up(sales)

    @classmethod
    def cancel(cls, sales):
        super().cancel(sales)
        cls.update_follow_up(sales)

    @classmethod
    def update_follow_up(cls, sales):
        """Store the follow-up values of the sales, at the end of the
        running process if any"""
        ids = {s.id for s in sales}
        deferred = _deferred.get(Transaction())
        if deferred is not None:
            deferred.update(ids)
            return
        transaction = Transaction()
        # The sales of identical new values are written together
        to_write = defaultdict(list)
        for sub_ids in grouped_slice(sorted(ids), 1000):
            sales, lines = cls._follow_up_records(list(sub_ids))
            _read_lines[transaction] = lines
            try:
                for sale in sales:
                    values = sale._follow_up_values()
                    if any(getattr(sale, k) != v for k, v in values.items()):
                        to_write[tuple(sorted(values.items()))].append(
                            sale.id)
            finally:
                del _read_lines[transaction]
        if to_write:
            args = []
            for values, sale_ids in to_write.items():
                args.extend((cls.browse(sale_ids), dict(values)))
            with without_check_access():
                cls.write(*args)

    @classmethod
    def _follow_up_records(cls, ids):
        """Return the sales of ids with the fields _follow_up_values reads
        of them, and their lines by sale id with their delivery moves and
        notes, read in a few queries as plain rows (FollowUpRow). Browsing
        them loads every column of each record, its many-to-ones and the
        function fields their contexts depend on, and building a record
        takes tens of microseconds: that was most of the cost of
        recomputing a million orders"""
        pool = Pool()
        SaleLine = pool.get('sale.line')
        Move = pool.get('stock.move')
        ShipmentOut = pool.get('stock.shipment.out')
        Product = pool.get('product.product')
        Uom = pool.get('product.uom')
        Location = pool.get('stock.location')
        cursor = Transaction().connection.cursor()
        in_ = fields.SQL_OPERATORS['in']
        sale = cls.__table__()
        line = SaleLine.__table__()
        move = Move.__table__()
        shipment = ShipmentOut.__table__()

        def read(table, columns, where, order_by=None):
            cursor.execute(*table.select(
                    *(Column(table, c) for c in columns),
                    where=where, order_by=order_by))
            return [dict(zip(columns, r)) for r in cursor]

        def shared(Model, ids):
            # One record for the many rows of each product, unit and
            # location, loaded once; browsed by 100 as each record checks
            # the list of ids it is browsed with
            records = {}
            for sub_ids in grouped_slice(sorted(set(filter(None, ids))), 100):
                records.update((r.id, r) for r in Model.browse(sub_ids))
            return records

        def reference(value):
            # As the ORM reads a reference: a model and the id of a saved
            # record, else nothing
            if value:
                name, id_ = value.split(',', 1)
                try:
                    id_ = int(id_)
                except ValueError:
                    pass
                else:
                    if id_ >= 0:
                        return name, id_
            return None, None

        sales, lines = [], []
        for sub_ids in grouped_slice(ids, MAX_QUERY_PARAMS):
            sub_ids = list(sub_ids)
            sales.extend(read(
                    sale, ['id'] + FOLLOW_UP_READ, in_(sale.id, sub_ids)))
            # In the orders of the one-to-manys as the ORM reads them:
            # the quantities are summed in that order
            lines.extend(read(line,
                    ['id', 'sale', 'type', 'quantity', 'product', 'unit'],
                    in_(line.sale, sub_ids),
                    order_by=[line.sale,
                        Case((line.sequence == Null, 0), else_=1),
                        line.sequence.asc, line.id.asc]))
        origins = ['%s,%s' % (SaleLine.__name__, l['id']) for l in lines]
        moves = []
        for sub_origins in grouped_slice(origins, MAX_QUERY_PARAMS):
            moves.extend(read(move, [
                        'id', 'origin', 'state', 'effective_date',
                        'planned_date', 'unit', 'quantity', 'to_location',
                        'shipment'],
                    in_(move.origin, list(sub_origins)),
                    order_by=[move.id.desc]))
        skipped = defaultdict(list)
        for name in ['moves_ignored', 'moves_recreated']:
            relation = pool.get(
                SaleLine._fields[name].relation_name).__table__()
            for sub_lines in grouped_slice(lines, MAX_QUERY_PARAMS):
                cursor.execute(*relation.select(
                        relation.sale_line, relation.move,
                        where=in_(relation.sale_line,
                            [l['id'] for l in sub_lines])))
                for line_id, move_id in cursor:
                    skipped[line_id, name].append(move_id)
        shipment_ids = sorted({id_
                for name, id_ in (reference(m['shipment']) for m in moves)
                if name == ShipmentOut.__name__})
        shipments = {}
        for sub_ids in grouped_slice(shipment_ids, MAX_QUERY_PARAMS):
            for values in read(shipment,
                    ['id', 'state', 'planned_date', 'prepared_date'],
                    in_(shipment.id, list(sub_ids))):
                shipments[values['id']] = FollowUpRow(
                    ShipmentOut.__name__, values)

        def delivery(value):
            # The delivery notes of other kinds are records
            name, id_ = reference(value)
            if name is None:
                return value or None
            elif name == ShipmentOut.__name__ and id_ in shipments:
                return shipments[id_]
            try:
                return pool.get(name)(id_)
            except KeyError:
                return value

        products = shared(Product, [l['product'] for l in lines])
        units = shared(
            Uom, [l['unit'] for l in lines] + [m['unit'] for m in moves])
        locations = shared(Location, [m['to_location'] for m in moves])
        line_moves = defaultdict(list)
        for values in moves:
            line_id = int(values.pop('origin').split(',')[1])
            values['shipment'] = delivery(values['shipment'])
            values['unit'] = units.get(values['unit'])
            values['to_location'] = locations.get(values['to_location'])
            line_moves[line_id].append(FollowUpRow(Move.__name__, values))
        sale_lines = defaultdict(list)
        for values in lines:
            values['moves'] = moves = line_moves[values['id']]
            by_id = {m.id: m for m in moves}
            for name in ['moves_ignored', 'moves_recreated']:
                values[name] = [
                    by_id.get(i, i) for i in skipped[values['id'], name]]
            values['product'] = products.get(values['product'])
            values['unit'] = units.get(values['unit'])
            sale_lines[values.pop('sale')].append(
                FollowUpRow(SaleLine.__name__, values))
        records = []
        for values in sales:
            record = cls(values.pop('id'))
            for name, value in values.items():
                setattr(record, name, value)
            records.append(record)
        with without_check_access():
            deposit_states = cls.get_deposit_state(records, 'deposit_state')
        for record in records:
            record.deposit_state = deposit_states[record.id]
        return records, {r.id: sale_lines[r.id] for r in records}

    @classmethod
    def refresh_follow_up(cls, batch_size=1000):
        """Repair the follow-up values of the orders which have none (those
        confirmed before the module was installed) and of the open orders
        whose deliveries changed since the sale was last written; by
        batches of ids, each committed"""
        transaction = Transaction()
        last_id = 0
        while True:
            ids = cls._follow_up_stale_ids(last_id, batch_size)
            if not ids:
                break
            last_id = ids[-1]
            # Not browse: each of its instances checks the list of ids
            cls.update_follow_up([cls(i) for i in ids])
            transaction.commit()

    @classmethod
    def _follow_up_stale_ids(cls, last_id, limit):
        """Return the ids after last_id of at most limit orders whose
        follow-up may be wrong, in ascending order"""
        pool = Pool()
        SaleLine = pool.get('sale.line')
        Move = pool.get('stock.move')
        ShipmentOut = pool.get('stock.shipment.out')
        sale = cls.__table__()
        line = SaleLine.__table__()
        move = Move.__table__()
        shipment = ShipmentOut.__table__()
        cursor = Transaction().connection.cursor()

        def stamp(table):
            return Coalesce(table.write_date, table.create_date)
        prefix = ShipmentOut.__name__ + ','
        shipment_id = Case(
            (Like(move.shipment, prefix + '%'),
                Cast(Substring(move.shipment, len(prefix) + 1),
                    ShipmentOut.id.sql_type().base)),
            else_=Null)
        # An update of the follow-up writes the sale after the changes of
        # its moves and delivery notes, except when it is missed
        changed = (line
            .join(move, condition=move.origin == Concat(
                    SaleLine.__name__ + ',',
                    Cast(line.id, Move.origin.sql_type().base)))
            .join(shipment, 'LEFT', condition=shipment.id == shipment_id)
            .select(line.id,
                where=(line.sale == sale.id)
                & ((stamp(move) > stamp(sale))
                    | (stamp(shipment) > stamp(sale)))))
        where = (sale.id > last_id) & (
            (sale.state.in_(['confirmed', 'processing', 'done'])
                & (sale.follow_up_state == Null))
            | (sale.state.in_(['confirmed', 'processing'])
                & Exists(changed)))
        cursor.execute(*sale.select(
                sale.id, where=where, order_by=[sale.id.asc], limit=limit))
        return [i for i, in cursor]

    def _follow_up_lines(self):
        """Return the lines of the sale: the rows read by
        _follow_up_records while update_follow_up computes it"""
        rows = _read_lines.get(Transaction(), {}).get(self.id)
        return self.lines if rows is None else rows

    def _follow_up_moves(self):
        "Yield the delivery moves of the sale with their line"
        for line in self._follow_up_lines():
            # A returned line is no delivery to follow
            if line.type != 'line' or (line.quantity or 0) <= 0:
                continue
            skips = set(line.moves_ignored) | set(line.moves_recreated)
            for move in line.moves:
                if move in skips:
                    continue
                if move.to_location.type == 'customer':
                    yield line, move

    def _follow_up_values(self):
        "Return the follow-up values computed from the sale's moves"
        pool = Pool()
        Uom = pool.get('product.uom')
        ShipmentOut = pool.get('stock.shipment.out')

        def planned(move):
            shipment = move.shipment
            if shipment and getattr(shipment, 'planned_date', None):
                return shipment.planned_date
            return move.planned_date

        open_dates, done_planned, delivered, prepared = [], [], [], []
        remaining = 0
        delivered_by_line = {}
        for line, move in self._follow_up_moves():
            if move.state == 'cancelled':
                continue
            if move.state == 'done':
                if move.effective_date:
                    delivered.append(move.effective_date)
                if planned(move):
                    done_planned.append(planned(move))
                delivered_by_line[line] = delivered_by_line.get(line, 0) + (
                    Uom.compute_qty(
                        move.unit, move.quantity, line.unit, round=False))
            elif planned(move):
                open_dates.append(planned(move))
            shipment = move.shipment
            if (getattr(shipment, '__name__', None) == ShipmentOut.__name__
                    and shipment.state != 'cancelled'
                    and shipment.prepared_date):
                prepared.append(shipment.prepared_date)
        for line in self._follow_up_lines():
            if (line.type != 'line' or not line.product
                    or line.product.type == 'service'
                    or (line.quantity or 0) <= 0):
                continue
            left = line.quantity - delivered_by_line.get(line, 0)
            if line.moves:
                # A line whose rest was ignored is complete
                if line.moves_ignored and not any(
                        m.state not in {'done', 'cancelled'}
                        for m in line.moves):
                    left = 0
            remaining += max(line.unit.round(left), 0)
        open_date = min(open_dates) if open_dates else None
        delivered_date = max(delivered) if delivered else None
        values = {
            'follow_up_open_date': open_date,
            'follow_up_planned_date': open_date or (
                max(done_planned) if done_planned else None),
            'follow_up_delivered_date': delivered_date,
            'follow_up_prepared_date': max(prepared) if prepared else None,
            'follow_up_remaining': remaining,
            }
        values['follow_up_state'] = self._follow_up_state(values)
        complete = values['follow_up_state'] in {
            'delivered', 'invoiced', 'paid'}
        values['follow_up_on_time'] = bool(
            complete and delivered_date and done_planned
            and delivered_date <= max(done_planned))
        return values

    def _follow_up_state(self, values):
        """Return the follow-up status:
        cancelled if the sale is cancelled; once nothing is left to deliver:
        paid, invoiced (posted invoices) or delivered; else shipment
        exception (a cancelled delivery to handle), awaiting deposit,
        then the least advanced open delivery note: awaiting stock (draft
        or waiting), in preparation (assigned, picked or packed), shipped;
        to ship when no delivery note is open yet"""
        pool = Pool()
        ShipmentOut = pool.get('stock.shipment.out')
        if self.state not in FOLLOW_UP_SALE_STATES:
            return None
        if self.state == 'cancelled':
            return 'cancelled'
        if (not values['follow_up_open_date']
                and not values['follow_up_remaining']
                and self.state in {'processing', 'done'}):
            if self.invoice_state == 'paid':
                return 'paid'
            elif self.invoice_state in {'awaiting payment', 'partially paid'}:
                return 'invoiced'
            return 'delivered'
        if self.shipment_state == 'exception':
            return 'exception'
        if getattr(self, 'deposit_state', None) == 'awaiting':
            return 'awaiting_deposit'
        states = set()
        for _, move in self._follow_up_moves():
            if move.state in {'done', 'cancelled'}:
                continue
            shipment = move.shipment
            if getattr(shipment, '__name__', None) == ShipmentOut.__name__:
                states.add(shipment.state)
            else:
                states.add(move.state)
        if states & {'draft', 'waiting', 'staging'}:
            return 'awaiting_stock'
        if states & {'assigned', 'picked', 'packed'}:
            return 'in_preparation'
        if 'shipped' in states:
            return 'shipped'
        return 'to_ship'

    @classmethod
    def set_follow_up_comment(cls, sales, comment):
        """Set the observation of sales, under the access rights of the
        user, and keep it in their history"""
        cls.write(list(sales), {'follow_up_comment': comment})

    @classmethod
    def remind_late_deliveries(cls, date=None):
        """Remind the salesperson, and the customer when a template is
        configured, of the orders whose planned delivery date has passed;
        once per planned date"""
        pool = Pool()
        Date = pool.get('ir.date')
        Reminder = pool.get('sale.follow_up.reminder')
        Lang = pool.get('ir.lang')
        if date is None:
            date = Date.today()
        company = Transaction().context.get('company')
        domain = [
            ('state', 'in', ['confirmed', 'processing']),
            ('follow_up_open_date', '<', date),
            ]
        if company:
            domain.append(('company', '=', company))
        sales = cls.search(domain, order=[('id', 'ASC')])
        # A moved planned date is reminded again once it has passed
        reminded = _reminded(sales, 'late_delivery')
        sales = [
            s for s in sales
            if (s.id, s.follow_up_open_date) not in reminded]
        lang = Lang.get()
        users, recipients = remind([
                (sale,
                    gettext('sale_chain.msg_late_delivery_label',
                        sale=sale.rec_name),
                    gettext('sale_chain.msg_late_delivery_description',
                        sale=sale.rec_name, party=sale.party.rec_name,
                        date=lang.strftime(sale.follow_up_open_date),
                        days=(date - sale.follow_up_open_date).days))
                for sale in sales],
            company_template('follow_up_reminder_template'),
            'follow_up_reminded_at', 'follow_up_reminder_count')
        now = dt.datetime.now().replace(microsecond=0)
        Reminder.create([{
                    'sale': s.id,
                    'kind': 'late_delivery',
                    'date': now,
                    'planned_date': s.follow_up_open_date,
                    'delay': (date - s.follow_up_open_date).days,
                    'users': [('add', [u.id for u in users[s]])],
                    'email_to': recipients[s],
                    } for s in sales])
        cls._notify_new_dates(date, company)
        return sales

    @classmethod
    def _notify_new_dates(cls, date, company):
        """E-mail the customer the new planned date of the orders reminded
        late whose delivery has been planned again, once per new date"""
        pool = Pool()
        Reminder = pool.get('sale.follow_up.reminder')
        template = company_template('follow_up_new_date_template')
        if not template:
            return []
        domain = [
            ('state', 'in', ['confirmed', 'processing']),
            ('follow_up_open_date', '>=', date),
            ('follow_up_reminders.kind', '=', 'late_delivery'),
            ]
        if company:
            domain.append(('company', '=', company))
        now = dt.datetime.now().replace(microsecond=0)
        sales = cls.search(domain, order=[('id', 'ASC')])
        notified = _reminded(sales, 'new_date')
        reminders = []
        for sale in sales:
            planned_date = sale.follow_up_open_date
            if (sale.id, planned_date) in notified:
                continue
            to = send_email(sale, template)
            if to:
                reminders.append({
                        'sale': sale.id,
                        'kind': 'new_date',
                        'date': now,
                        'planned_date': planned_date,
                        'email_to': to,
                        })
        Reminder.create(reminders)
        return cls.browse([r['sale'] for r in reminders])


def _reminded(sales, kind):
    "Return the (sale id, planned date) already reminded of kind"
    pool = Pool()
    Reminder = pool.get('sale.follow_up.reminder')
    reminded = set()
    for sub_sales in grouped_slice(sales, MAX_QUERY_PARAMS):
        for reminder in Reminder.search_read([
                    ('sale', 'in', [s.id for s in sub_sales]),
                    ('kind', '=', kind),
                    ], fields_names=['sale', 'planned_date']):
            reminded.add((reminder['sale'], reminder['planned_date']))
    return reminded


class Observation(ModelSQL, ModelView):
    "Sale Follow-up Observation"
    __name__ = 'sale.follow_up.observation'

    sale = fields.Many2One(
        'sale.sale', "Sale", required=True, ondelete='CASCADE',
        readonly=True)
    text = fields.Text("Observation", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('sale')
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def check_modification(
            cls, mode, observations, values=None, external=False):
        super().check_modification(
            mode, observations, values=values, external=external)
        # The history is evidence of what was said and when
        if mode in {'write', 'delete'}:
            raise AccessError(gettext(
                    'sale_chain.msg_follow_up_observation_modify'))


class Reminder(ModelSQL, ModelView):
    "Sale Follow-up Reminder"
    __name__ = 'sale.follow_up.reminder'

    sale = fields.Many2One(
        'sale.sale', "Sale", required=True, ondelete='CASCADE',
        readonly=True)
    kind = fields.Selection(REMINDER_KINDS, "Kind", readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    planned_date = fields.Date(
        "Planned Date", readonly=True,
        help="The planned delivery date that had passed.")
    delay = fields.Integer("Delay", readonly=True, help="In days.")
    users = fields.Many2Many(
        'sale.follow_up.reminder-res.user', 'reminder', 'user',
        "Notified Users", readonly=True)
    email_to = fields.Char("E-mailed to", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('sale')
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(
                t,
                (t.sale, Index.Equality()),
                (t.planned_date, Index.Range())))


class ReminderUser(ModelSQL):
    "Sale Follow-up Reminder - User"
    __name__ = 'sale.follow_up.reminder-res.user'

    reminder = fields.Many2One(
        'sale.follow_up.reminder', "Reminder", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class FollowUpContext(ModelView):
    "Sale Follow-up Context"
    __name__ = 'sale.follow_up.context'

    company = fields.Many2One('company.company', "Company", required=True)
    warehouse = fields.Many2One(
        'stock.location', "Warehouse",
        domain=[('type', '=', 'warehouse')])
    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ],
        help="The first order date shown.")
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ],
        help="The last order date shown.")
    customer = fields.Many2One(
        'party.party', "Customer",
        context={
            'company': Eval('company', -1),
            },
        depends=['company'])
    salesperson = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[('company', '=', Eval('company', -1))])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_warehouse(cls):
        return Transaction().context.get('warehouse')

    @classmethod
    def default_from_date(cls):
        return Transaction().context.get('from_date')

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date')

    @classmethod
    def default_customer(cls):
        return Transaction().context.get('customer')

    @classmethod
    def default_salesperson(cls):
        return Transaction().context.get('salesperson')


def _context_where(sale):
    "Return the condition on sale of the follow-up context"
    context = Transaction().context
    where = sale.company == context.get('company', -1)
    if context.get('warehouse'):
        where &= sale.warehouse == context['warehouse']
    if context.get('from_date'):
        where &= sale.sale_date >= context['from_date']
    if context.get('to_date'):
        where &= sale.sale_date <= context['to_date']
    if context.get('customer'):
        where &= sale.party == context['customer']
    if context.get('salesperson'):
        where &= sale.quoted_by == context['salesperson']
    return where


class FollowUp(ModelSQL, ModelView):
    "Sale Follow-up"
    __name__ = 'sale.follow_up'

    sale = fields.Many2One('sale.sale', "Sale", required=True, readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    number = fields.Char("Order Number", readonly=True)
    sale_date = fields.Date("Date", readonly=True)
    customer = fields.Many2One(
        'party.party', "Customer", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends=['company'])
    prepared_date = fields.Date("Preparation Date", readonly=True)
    planned_date = fields.Date("Planned Delivery Date", readonly=True)
    open_date = fields.Date("Open Delivery Date", readonly=True)
    delivered_date = fields.Date("Actual Delivery Date", readonly=True)
    comment = fields.Function(
        fields.Text("Observation"), 'get_comment', setter='set_comment')
    comment_by = fields.Many2One('res.user', "Observation by", readonly=True)
    comment_at = fields.DateTime("Observation at", readonly=True)
    state = fields.Selection(FOLLOW_UP_STATES, "Status", readonly=True)
    state_string = state.translated('state')
    late = fields.Function(
        fields.Boolean("Late"), 'get_late', searcher='search_late')
    due_this_week = fields.Function(
        fields.Boolean("Due this Week"), 'get_due_this_week',
        searcher='search_due_this_week')
    delay = fields.Function(
        fields.Integer("Delay", help="In days."), 'get_late')
    # A calendar shows its fields as text: it marks the late orders by
    # the colour of their event
    color = fields.Function(fields.Char("Color"), 'get_late')
    remaining_quantity = fields.Float("Quantity to Deliver", readonly=True)
    salesperson = fields.Many2One(
        'company.employee', "Salesperson", readonly=True)
    warehouse = fields.Many2One('stock.location', "Warehouse", readonly=True)
    reminded_at = fields.DateTime("Last Reminder", readonly=True)
    reminder_count = fields.Integer("Reminders", readonly=True)
    shipments = fields.Function(
        fields.Many2Many(
            'stock.shipment.out', None, None, "Delivery Notes",
            readonly=True),
        'get_shipments')
    observations = fields.Function(
        fields.Many2Many(
            'sale.follow_up.observation', None, None, "Observations",
            readonly=True),
        'get_observations')
    reminders = fields.Function(
        fields.Many2Many(
            'sale.follow_up.reminder', None, None, "Reminders",
            readonly=True),
        'get_reminders')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # No __access__ on the sale: its create and delete permissions
        # would let the clients offer to create rows
        cls._order = [
            ('sale_date', 'DESC'),
            ('id', 'DESC'),
            ]

    def get_rec_name(self, name):
        return self.number or self.sale.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('number',) + tuple(clause[1:])]

    @classmethod
    def view_attributes(cls):
        # The clients read visual as encoded PYSON, which a view's XML
        # cannot hold
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('late', False), 'danger',
                    If(Eval('state') == 'cancelled', 'muted', ''))),
            ]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        where = sale.state.in_(FOLLOW_UP_SALE_STATES)
        # A quotation cancelled before confirmation is no order
        where &= (sale.state != 'cancelled') | (sale.sale_date != Null)
        where &= _context_where(sale)
        return sale.select(
            sale.id.as_('id'),
            sale.create_uid.as_('create_uid'),
            sale.create_date.as_('create_date'),
            sale.write_uid.as_('write_uid'),
            sale.write_date.as_('write_date'),
            sale.id.as_('sale'),
            sale.company.as_('company'),
            sale.number.as_('number'),
            sale.sale_date.as_('sale_date'),
            sale.party.as_('customer'),
            sale.follow_up_prepared_date.as_('prepared_date'),
            sale.follow_up_planned_date.as_('planned_date'),
            sale.follow_up_open_date.as_('open_date'),
            sale.follow_up_delivered_date.as_('delivered_date'),
            sale.follow_up_comment_by.as_('comment_by'),
            sale.follow_up_comment_at.as_('comment_at'),
            sale.follow_up_state.as_('state'),
            sale.follow_up_remaining.as_('remaining_quantity'),
            sale.quoted_by.as_('salesperson'),
            sale.warehouse.as_('warehouse'),
            sale.follow_up_reminded_at.as_('reminded_at'),
            sale.follow_up_reminder_count.as_('reminder_count'),
            where=where)

    @classmethod
    def _today(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def get_late(cls, records, names):
        today = cls._today()
        result = {n: {} for n in names}
        for record in records:
            late = bool(record.open_date and record.open_date < today)
            if 'late' in names:
                result['late'][record.id] = late
            if 'delay' in names:
                result['delay'][record.id] = (
                    (today - record.open_date).days if late else None)
            if 'color' in names:
                result['color'][record.id] = (
                    LATE_COLOR if late else ON_TIME_COLOR)
        return result

    @classmethod
    def search_late(cls, name, clause):
        _, operator, value = clause[:3]
        today = cls._today()
        late = [('open_date', '<', today)]
        not_late = ['OR',
            ('open_date', '=', None),
            ('open_date', '>=', today),
            ]
        if (operator, value) in {('=', True), ('!=', False)}:
            return late
        return not_late

    def get_due_this_week(self, name):
        start, end = _week(self._today())
        return bool(self.open_date and start <= self.open_date <= end)

    @classmethod
    def search_due_this_week(cls, name, clause):
        _, operator, value = clause[:3]
        start, end = _week(cls._today())
        due = [('open_date', '>=', start), ('open_date', '<=', end)]
        if (operator, value) in {('=', True), ('!=', False)}:
            return due
        return ['OR',
            ('open_date', '=', None),
            ('open_date', '<', start),
            ('open_date', '>', end),
            ]

    @classmethod
    def get_comment(cls, records, name):
        pool = Pool()
        Sale = pool.get('sale.sale')
        # Read, not browse: the report asks for thousands of rows
        return {
            s['id']: s['follow_up_comment'] for s in Sale.read(
                [r.id for r in records], ['follow_up_comment'])}

    @classmethod
    def set_comment(cls, records, name, value):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Sale.set_follow_up_comment(Sale.browse([r.id for r in records]), value)

    def get_shipments(self, name):
        return [s.id for s in self.sale.shipments]

    def get_observations(self, name):
        return [o.id for o in self.sale.follow_up_observations]

    def get_reminders(self, name):
        return [r.id for r in self.sale.follow_up_reminders]

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        # The rows are the sales: only their observation may be written
        if mode == 'write':
            readonly = set(values) - {'comment'}
            if readonly:
                raise AccessError(gettext(
                        'sale_chain.msg_follow_up_write',
                        fields=', '.join(sorted(readonly))))

    @classmethod
    def write(cls, *args):
        # A table query has no table to update: the standard checks of the
        # follow-up, then the observation is written on the sales under the
        # access rights and rules of the sales (Function.set would drop
        # them)
        all_ids, field_names, on_write, trigger_eligibles, *args = (
            cls._before_write(*args))
        actions = iter(args)
        for records, values in zip(actions, actions):
            if 'comment' in values:
                cls.set_comment(records, 'comment', values['comment'])
        cls._after_write(all_ids, field_names, on_write, trigger_eligibles)


class FollowUpReport(DocumentMixin, CompanyReport):
    "Order follow-up (tableau de suivi des commandes), A4 landscape PDF"
    __name__ = 'sale_chain.follow_up'

    @classmethod
    def execute(cls, ids, data):
        data = dict(data or {})
        cls.check_size(len(ids))
        # The rows exist only in the context of their company and period,
        # which the print wizard sends with the data
        context = {
            k: data[k] for k in ['company', 'from_date', 'to_date']
            if data.get(k)}
        with Transaction().set_context(**context):
            return super().execute(ids, data)

    @classmethod
    def check_size(cls, count):
        "Refuse to print more rows than follow_up_print_max_rows"
        # WeasyPrint lays out the whole table in memory: some 5 ms and
        # 150 kB a row (doc/performance.md §4), so a limit keeps one print
        # from taking the memory of the server
        maximum = config.getint(
            'sale_chain', 'follow_up_print_max_rows', default=2000)
        if maximum and count > maximum:
            raise FollowUpPrintError(gettext(
                    'sale_chain.msg_follow_up_print_too_long',
                    count=count, maximum=maximum))

    @classmethod
    def _get_records(cls, ids, model, data):
        pool = Pool()
        Model = pool.get(model)
        # The standard browses every row at once, which costs in the square
        # of their number; the template sets no language per row
        records = []
        for sub_ids in grouped_slice(ids, cls._records_slice):
            records.extend(Model.browse(list(sub_ids)))
        return records

    _records_slice = 1000

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        context = super().get_context(records, header, data)
        context['today'] = Date.today()
        context['late_count'] = cls.late_count
        # An office document: in the language of the user who prints it
        context['user_lang'] = Lang.get
        return context

    @staticmethod
    def late_count(records):
        return sum(1 for r in records if r.late)


class FollowUpPrintStart(ModelView):
    "Print Order Follow-up"
    __name__ = 'sale.follow_up.print.start'

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date", required=True,
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ],
        help="The first order date printed.")
    to_date = fields.Date(
        "To Date", required=True,
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ],
        help="The last order date printed.")
    state = fields.Selection(
        FOLLOW_UP_STATES, "Status",
        help="Print only the orders of this status.")
    late = fields.Boolean("Late Only", help="Print only the late orders.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        return (Transaction().context.get('from_date')
            or Date.today().replace(day=1))

    @classmethod
    def default_to_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        return Transaction().context.get('to_date') or Date.today()

    @classmethod
    def default_late(cls):
        return False


class FollowUpPrint(Wizard):
    "Print the order follow-up of a period"
    __name__ = 'sale.follow_up.print'
    start = StateView(
        'sale.follow_up.print.start',
        'sale_chain.follow_up_print_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Print", 'print_', 'tryton-print', default=True),
            ])
    print_ = StateReport('sale_chain.follow_up')

    def do_print_(self, action):
        pool = Pool()
        FollowUp = pool.get('sale.follow_up')
        data = {
            'model': FollowUp.__name__,
            'company': self.start.company.id,
            'from_date': self.start.from_date,
            'to_date': self.start.to_date,
            }
        domain = []
        if self.start.state:
            domain.append(('state', '=', self.start.state))
        if self.start.late:
            domain.append(('late', '=', True))
        with Transaction().set_context(
                company=data['company'], from_date=data['from_date'],
                to_date=data['to_date']):
            rows = FollowUp.search(domain, order=[
                    ('sale_date', 'ASC'), ('number', 'ASC'), ('id', 'ASC')])
        data['ids'] = [r.id for r in rows]
        # Refused before the client asks for a report it cannot have
        pool.get('sale_chain.follow_up', type='report').check_size(
            len(data['ids']))
        return action, data


class FollowUpMonth(ModelSQL, ModelView):
    "Sale Follow-up per Month"
    __name__ = 'sale.follow_up.month'

    company = fields.Many2One('company.company', "Company", readonly=True)
    month = fields.Date("Month", readonly=True)
    delivered = fields.Integer("Delivered Orders", readonly=True)
    on_time = fields.Integer("On Time", readonly=True)
    rate = fields.Function(
        fields.Float("On-time Rate", digits=(3, 1), help="In %."),
        'get_rate')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        where = sale.follow_up_state.in_(['delivered', 'invoiced', 'paid'])
        where &= sale.follow_up_delivered_date != Null
        where &= _context_where(sale)
        # PostgreSQL does not match the month of the select with the one
        # of the group by as their parameters differ: group a subquery
        delivered = sale.select(
            sale.id, sale.company, sale.create_date, sale.follow_up_on_time,
            cls.month.sql_cast(
                DateTrunc('month', sale.follow_up_delivered_date)
                ).as_('month'),
            where=where)
        return delivered.select(
            Min(delivered.id).as_('id'),
            Literal(0).as_('create_uid'),
            Min(delivered.create_date).as_('create_date'),
            cls.write_uid.sql_cast(Literal(None)).as_('write_uid'),
            cls.write_date.sql_cast(Literal(None)).as_('write_date'),
            delivered.company.as_('company'),
            delivered.month.as_('month'),
            Count(delivered.id).as_('delivered'),
            Sum(Case((delivered.follow_up_on_time == Literal(True), 1),
                    else_=0)).as_('on_time'),
            group_by=[delivered.company, delivered.month])

    def get_rate(self, name):
        if self.delivered:
            return round(100.0 * (self.on_time or 0) / self.delivered, 1)


class ShipmentOut(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    # Editable until the delivery: a picking entered late is corrected
    prepared_date = fields.Date(
        "Preparation Date",
        states={
            'readonly': Eval('state').in_(PREPARED_DATE_LOCKED),
            },
        depends=['state'],
        help="When the goods were picked, or packed without picking.\n"
        "Set to the picking day, it can be corrected until the delivery "
        "note is done.")

    @classmethod
    def copy(cls, shipments, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('prepared_date')
        return super().copy(shipments, default=default)

    @classmethod
    def _set_prepared_date(cls, shipments):
        """Set the preparation date of the prepared shipments which have
        none and return them: writing it updates their follow-up"""
        pool = Pool()
        Date = pool.get('ir.date')
        shipments = [
            s for s in shipments
            if s.state in {'picked', 'packed'} and not s.prepared_date]
        for shipment in shipments:
            with Transaction().set_context(company=shipment.company.id):
                shipment.prepared_date = Date.today()
        cls.save(shipments)
        return shipments

    @classmethod
    def wait(cls, shipments, moves=None):
        super().wait(shipments, moves=moves)
        cls._update_follow_up(shipments)

    @classmethod
    def assign(cls, shipments):
        super().assign(shipments)
        cls._update_follow_up(shipments)

    @classmethod
    def pick(cls, shipments):
        super().pick(shipments)
        prepared = cls._set_prepared_date(shipments)
        cls._update_follow_up([s for s in shipments if s not in prepared])

    @classmethod
    def pack(cls, shipments):
        super().pack(shipments)
        prepared = cls._set_prepared_date(shipments)
        cls._update_follow_up([s for s in shipments if s not in prepared])

    @classmethod
    def draft(cls, shipments):
        super().draft(shipments)
        # Writing the preparation date updates the follow-up
        prepared = [s for s in shipments if s.prepared_date]
        if prepared:
            cls.write(prepared, {'prepared_date': None})
        cls._update_follow_up([s for s in shipments if s not in prepared])

    @classmethod
    def check_modification(
            cls, mode, shipments, values=None, external=False):
        super().check_modification(
            mode, shipments, values=values, external=external)
        if mode == 'write' and 'prepared_date' in values:
            for shipment in shipments:
                if shipment.state in PREPARED_DATE_LOCKED:
                    raise PreparationDateError(gettext(
                            'sale_chain.msg_shipment_prepared_date_locked',
                            shipment=shipment.rec_name))

    @classmethod
    def on_modification(cls, mode, shipments, field_names=None):
        super().on_modification(mode, shipments, field_names=field_names)
        if mode == 'write' and any(
                f in field_names for f in ['planned_date', 'prepared_date']):
            cls._update_follow_up(shipments)

    @classmethod
    def _update_follow_up(cls, shipments):
        """Update the follow-up of the sales of the shipments after a change
        that queues no process of the sales (core queues one when they are
        shipped, done or cancelled)"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        sales = {
            m.origin.sale for s in shipments for m in s.outgoing_moves
            if isinstance(m.origin, SaleLine)}
        if sales:
            Sale.update_follow_up(sales)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('sale.sale|remind_late_deliveries',
                    "Remind Late Deliveries"),
                ('sale.sale|refresh_follow_up', "Refresh Order Follow-Up"),
                ])
