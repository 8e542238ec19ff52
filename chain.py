# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The document chain of a sale: the quotation or order, its delivery
notes, returns, invoices and credit notes, read as one list."""
from sql import Cast, Literal, Null, Union
from sql.conditionals import Case, Coalesce
from sql.operators import Concat, Exists

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

from .exceptions import OtherCompanyError

DOCUMENT_KINDS = [
    ('quotation', "Quotation"),
    ('order', "Order"),
    ('shipment', "Delivery note"),
    ('return', "Return"),
    ('invoice', "Invoice"),
    ('credit_note', "Credit note"),
    ]
# Models of the chain, in the order they are numbered in the row ids
CHAIN_MODELS = [
    'sale.sale',
    'stock.shipment.out',
    'stock.shipment.out.return',
    'account.invoice',
    ]


class ChainDocument(ModelSQL, ModelView):
    "Document of a Sale Chain"
    __name__ = 'sale.chain.document'

    company = fields.Many2One('company.company', "Company", readonly=True)
    kind = fields.Selection(DOCUMENT_KINDS, "Kind", readonly=True)
    document = fields.Reference(
        "Document", selection='get_documents', readonly=True)
    number = fields.Char("Number", readonly=True)
    reference = fields.Char("Reference", readonly=True)
    party = fields.Many2One(
        'party.party', "Party", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends=['company'])
    date = fields.Date("Date", readonly=True)
    planned_date = fields.Date("Planned Date", readonly=True)
    effective_date = fields.Date("Effective Date", readonly=True)
    state = fields.Char("State code", readonly=True)
    state_string = fields.Function(
        fields.Char("State"), 'get_state_string')
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)

    # Sorts the chain as it happens: sale, delivery notes, returns, invoices
    sequence = fields.Integer("Sequence", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('sequence', 'ASC'),
            ('date', 'ASC NULLS LAST'),
            ('id', 'ASC'),
            ]
        cls._buttons.update({
                'open_document': {
                    'invisible': ~Eval('document'),
                    'depends': ['document'],
                    },
                })

    @classmethod
    def get_documents(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return [(None, '')] + [
            (m, Model.get_name(m)) for m in CHAIN_MODELS]

    @classmethod
    def row_id(cls, record):
        "Return the id of the row showing record"
        return record.id * len(CHAIN_MODELS) + CHAIN_MODELS.index(
            record.__name__)

    @classmethod
    def table_query(cls):
        pool = Pool()
        Sale = pool.get('sale.sale')
        ShipmentOut = pool.get('stock.shipment.out')
        ShipmentReturn = pool.get('stock.shipment.out.return')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        sale = Sale.__table__()
        shipment = ShipmentOut.__table__()
        return_ = ShipmentReturn.__table__()
        invoice = Invoice.__table__()
        invoice_line = InvoiceLine.__table__()

        def ref(table, model):
            return Concat(
                model + ',', Cast(table.id, cls.number.sql_type().base))

        def common(table, model):
            return [
                chain_row_id(table, model).as_('id'),
                table.create_uid.as_('create_uid'),
                table.create_date.as_('create_date'),
                table.write_uid.as_('write_uid'),
                table.write_date.as_('write_date'),
                table.company.as_('company'),
                ref(table, model).as_('document'),
                ]

        null_date = cls.date.sql_cast(Literal(None))
        # A draft credit note has no cached amount yet: its lines credit
        # lines of other invoices. Correlated, so that reading a few rows
        # reads only their lines
        credit_lines = Exists(invoice_line.select(
                Literal(1),
                where=(invoice_line.invoice == invoice.id)
                & invoice_line.origin.like('account.invoice.line,%')))
        queries = [
            sale.select(
                *common(sale, 'sale.sale'),
                Case(
                    (sale.state.in_(['draft', 'quotation'])
                        | ((sale.state == 'cancelled')
                            & (sale.sale_date == Null)),
                        'quotation'),
                    else_='order').as_('kind'),
                Literal(1).as_('sequence'),
                sale.number.as_('number'),
                sale.reference.as_('reference'),
                sale.party.as_('party'),
                Coalesce(sale.sale_date, sale.quotation_date).as_('date'),
                sale.shipping_date.as_('planned_date'),
                null_date.as_('effective_date'),
                sale.state.as_('state'),
                sale.total_amount_cache.as_('amount'),
                sale.currency.as_('currency'),
                ),
            shipment.select(
                *common(shipment, 'stock.shipment.out'),
                Literal('shipment').as_('kind'),
                Literal(2).as_('sequence'),
                shipment.number.as_('number'),
                shipment.reference.as_('reference'),
                shipment.customer.as_('party'),
                Coalesce(
                    shipment.effective_date,
                    shipment.planned_date).as_('date'),
                shipment.planned_date.as_('planned_date'),
                shipment.effective_date.as_('effective_date'),
                shipment.state.as_('state'),
                Literal(None).as_('amount'),
                Literal(None).as_('currency'),
                ),
            return_.select(
                *common(return_, 'stock.shipment.out.return'),
                Literal('return').as_('kind'),
                Literal(3).as_('sequence'),
                return_.number.as_('number'),
                return_.reference.as_('reference'),
                return_.customer.as_('party'),
                Coalesce(
                    return_.effective_date,
                    return_.planned_date).as_('date'),
                return_.planned_date.as_('planned_date'),
                return_.effective_date.as_('effective_date'),
                return_.state.as_('state'),
                Literal(None).as_('amount'),
                Literal(None).as_('currency'),
                ),
            invoice.select(
                *common(invoice, 'account.invoice'),
                Case(
                    ((invoice.sequence_type_cache == 'credit_note')
                        | (invoice.total_amount_cache < 0)
                        | (invoice.credited_invoice != Null)
                        | credit_lines,
                        'credit_note'),
                    else_='invoice').as_('kind'),
                Literal(4).as_('sequence'),
                invoice.number.as_('number'),
                invoice.reference.as_('reference'),
                invoice.party.as_('party'),
                invoice.invoice_date.as_('date'),
                null_date.as_('planned_date'),
                null_date.as_('effective_date'),
                invoice.state.as_('state'),
                invoice.total_amount_cache.as_('amount'),
                invoice.currency.as_('currency'),
                where=invoice.type == 'out'),
            ]
        union = Union(*queries, all_=True)
        return union.select(*[
                union.id, union.create_uid, union.create_date,
                union.write_uid, union.write_date, union.company, union.kind,
                union.sequence, union.document, union.number,
                union.reference, union.party, union.date, union.planned_date,
                union.effective_date, union.state, union.amount,
                union.currency])

    def get_state_string(self, name):
        if not self.document:
            return self.state
        field = self.document.__class__._fields.get('state')
        if field and isinstance(field, fields.Selection):
            selection = dict(self.document.__class__.fields_get(
                    ['state'])['state']['selection'])
            return selection.get(self.state, self.state)
        return self.state

    def get_kind_string(self):
        kinds = dict(self.fields_get(['kind'])['kind']['selection'])
        return kinds.get(self.kind, '')

    def get_rec_name(self, name):
        # The name of the document itself: the clients title the tab of
        # the document opened from the row with it
        if self.document:
            return self.document.rec_name
        return self.number or ''

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('number',) + tuple(clause[1:])]

    @classmethod
    @ModelView.button
    def open_document(cls, records):
        """Open the document of the first record in a tab titled by the
        document, not by the column the client opens a reference from: the
        clients add the name of the row to the name of the action"""
        pool = Pool()
        Action = pool.get('ir.action')
        ModelData = pool.get('ir.model.data')
        if not records or not records[0].document:
            return
        record = records[0]
        document = record.document
        Model = document.__class__
        action = Action.get_action_values(
            'ir.action.act_window', [ModelData.get_id(
                    'sale_chain', 'act_chain_document_open')])[0]
        view = Model.fields_view_get(view_type='form')
        action.update({
                'name': record.get_kind_string(),
                'res_model': Model.__name__,
                'res_id': [document.id],
                'views': [(view['view_id'], 'form')],
                'pyson_domain': PYSONEncoder().encode(
                    [('id', '=', document.id)]),
                })
        return action

    @classmethod
    def chain_sales(cls, records):
        "Return the sales of the chain to which records belong"
        sales = set()
        for record in records:
            if record.__name__ == 'sale.sale':
                sales.add(record)
            elif record.__name__ in {
                    'stock.shipment.out', 'stock.shipment.out.return'}:
                for move in record.moves:
                    if move.sale:
                        sales.add(move.sale)
            elif record.__name__ == 'account.invoice':
                for invoice in [record] + cls._credited_invoices(record):
                    sales.update(invoice.sales)
        return sales

    @classmethod
    def _credited_invoices(cls, invoice):
        "Return the invoices that invoice credits"
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        invoices = set()
        # A complaint's credit note has the complaint as line origin
        if invoice.credited_invoice:
            invoices.add(invoice.credited_invoice)
        for line in invoice.lines:
            if isinstance(line.origin, InvoiceLine) and line.origin.invoice:
                invoices.add(line.origin.invoice)
        return list(invoices)

    @classmethod
    def _credit_notes(cls, invoices):
        "Return the credit notes of invoices"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        if not invoices:
            return []
        ids = [i.id for i in invoices]
        lines = InvoiceLine.search([
                ('origin.invoice', 'in', ids, 'account.invoice.line'),
                ])
        notes = {l.invoice for l in lines if l.invoice}
        notes.update(Invoice.search([('credited_invoice', 'in', ids)]))
        return list(notes)

    @classmethod
    def chain_records(cls, records):
        "Return every document of the chain to which records belong"
        documents = set(records)
        sales = cls.chain_sales(records)
        invoices = set()
        for sale in sales:
            documents.add(sale)
            documents.update(sale.shipments)
            documents.update(sale.shipment_returns)
            invoices.update(sale.invoices)
        for record in records:
            if record.__name__ == 'account.invoice':
                invoices.add(record)
                invoices.update(cls._credited_invoices(record))
        invoices.update(cls._credit_notes(list(invoices)))
        documents.update(invoices)
        return documents

    @classmethod
    def chain_ids(cls, records):
        "Return the ids of the rows of the chain, in the order of the chain"
        ids = [cls.row_id(r) for r in cls.chain_records(records)]
        # The rows of the chain are those the user may read
        return [d.id for d in cls.search([('id', 'in', ids)])]


def chain_row_id(table, model):
    "Return the expression of the chain row id of the records of table"
    # Cast as the id column: PostgreSQL binds small numbers as smallint,
    # and the expression would no more match its index; the outer cast
    # makes it an expression an index may take without parentheses
    return Cast(
        table.id * Cast(len(CHAIN_MODELS), 'INTEGER')
        + Cast(CHAIN_MODELS.index(model), 'INTEGER'), 'INTEGER')


class ChainMixin:
    "Show the document chain of a record"
    __slots__ = ()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        table = cls.__table__()
        # The chain rows are read by their ids, an expression of the
        # record id: without this index each read scans the whole table
        cls._sql_indexes.add(Index(
                table, (chain_row_id(table, cls.__name__), Index.Equality())))

    chain_documents = fields.Function(fields.Many2Many(
            'sale.chain.document', None, None, "Document Chain",
            help="The quotation or order, the delivery notes, the returns, "
            "the invoices and the credit notes the document belongs to."),
        'get_chain_documents')

    @classmethod
    def get_chain_documents(cls, records, name):
        pool = Pool()
        ChainDocument = pool.get('sale.chain.document')
        return {r.id: ChainDocument.chain_ids([r]) for r in records}


class Sale(ChainMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'


class OpenChain(Wizard):
    "Open the Document Chain"
    __name__ = 'sale.chain.open'
    start_state = 'open_'
    open_ = StateAction('sale_chain.act_chain_document')

    def do_open_(self, action):
        pool = Pool()
        ChainDocument = pool.get('sale.chain.document')
        company = Transaction().context.get('company')
        for record in self.records:
            # Wizards read without record rules: keep the chain of another
            # company out of sight
            if record.company.id != company:
                raise OtherCompanyError(gettext(
                        'sale_chain.msg_chain_other_company',
                        document=record.rec_name,
                        company=record.company.rec_name))
        ids = ChainDocument.chain_ids(self.records)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', ids)])
        action['name'] += ' (%s)' % ', '.join(
            r.rec_name for r in self.records)
        return action, {}
