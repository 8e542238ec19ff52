# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the clients show read-only holds on the server.

The clients honour a field's ``readonly`` (plain or in ``states``); a call
over RPC does not.  For the documents whose state carries a rule (sales and
their lines and deposits, delivery notes, invoices and credit notes), a
call from outside creates the record without the fields only the system
sets (a sale is created as draft whatever the values sent) and cannot
change a field read-only for the record; the workflow's buttons and the
system run inside ``without_check_access`` and are not concerned.
"""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Model, fields
from trytond.model.modelstorage import _record_eval_pyson
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

from .exceptions import WorkflowError


def _external():
    transaction = Transaction()
    return bool(transaction.user and transaction.check_access)


def _id(value):
    if isinstance(value, Model):
        return value.id
    return value


def _changed(record, name, field, value):
    "Tell if writing value into the field name of record changes it"
    if field._type in {'one2many', 'many2many'}:
        return bool(value)
    current = getattr(record, name, None)
    if field._type in {'many2one', 'one2one'}:
        return _id(current) != _id(value)
    if field._type == 'reference':
        if isinstance(value, (list, tuple)):
            value = '%s,%s' % tuple(value)
        return (str(current) if current else None) != (
            str(value) if value else None)
    if isinstance(current, Decimal) and isinstance(value, (int, float)):
        value = Decimal(str(value))
    return current != value


class WorkflowGuardMixin:
    "Refuse to calls from outside what the clients show read-only"
    __slots__ = ()

    # Also the fields read-only by the state of the record, not only
    # those read-only for all
    _guard_states = True

    @classmethod
    def _guard_system_fields(cls):
        "The stored fields only the system sets"
        return {
            n for n, f in cls._fields.items()
            if f.readonly is True and not isinstance(f, fields.Function)
            and n not in cls._guard_writable()}

    @classmethod
    def _guard_readonly(cls, name, field):
        "Tell if the field is read-only for every record"
        return field.readonly is True

    @classmethod
    def _guard_writable(cls):
        """The fields read-only in the clients which a call from outside
        may still write (a flow of the module writes them as the user)"""
        return {'create_uid', 'create_date', 'write_uid', 'write_date'}

    @classmethod
    def create(cls, vlist):
        if _external():
            system = cls._guard_system_fields()
            vlist = [
                {k: v for k, v in values.items() if k not in system}
                for values in vlist]
        return super().create(vlist)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'write' and external:
            cls._check_readonly_write(records, values)

    @classmethod
    def _check_readonly_write(cls, records, values):
        writable = cls._guard_writable()
        for name, value in values.items():
            field = cls._fields.get(name)
            if field is None or name in writable:
                continue
            readonly = cls._guard_readonly(name, field)
            pyson = field.states.get('readonly') if cls._guard_states else None
            for record in records:
                if not (readonly or (
                            pyson is not None
                            and _record_eval_pyson(record, pyson))):
                    continue
                if _changed(record, name, field, value):
                    raise WorkflowError(gettext(
                            'sale_chain.msg_workflow_readonly',
                            field=field.string,
                            record=record.rec_name))


class Sale(WorkflowGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def _guard_writable(cls):
        # The observation of the follow-up is written as the user, for
        # his access rights and rules to hold
        return super()._guard_writable() | {'follow_up_comment'}


class SaleLine(WorkflowGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.line'


class AdvancePaymentLine(WorkflowGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.advance_payment.line'

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        # The deposit of an order is part of what its control checked
        if mode in {'create', 'delete'} and external:
            for line in lines:
                if line.sale.state != 'draft':
                    raise WorkflowError(gettext(
                            'sale_chain.msg_workflow_deposit_line',
                            sale=line.sale.rec_name))


class ShipmentOut(WorkflowGuardMixin, metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'
    # Its form lets the warehouse edit moves and dates in most states:
    # what matters is that only the workflow sets the state
    _guard_states = False


class ShipmentOutReturn(WorkflowGuardMixin, metaclass=PoolMeta):
    __name__ = 'stock.shipment.out.return'
    _guard_states = False


class Move(WorkflowGuardMixin, metaclass=PoolMeta):
    __name__ = 'stock.move'
    # A move is done, assigned or cancelled by its shipment's workflow; the
    # rest of it the warehouse edits from the shipment
    _guard_states = False

    @classmethod
    def _guard_system_fields(cls):
        return {'state'}

    @classmethod
    def _guard_readonly(cls, name, field):
        return name == 'state'


class Invoice(WorkflowGuardMixin, metaclass=PoolMeta):
    __name__ = 'account.invoice'
    # The posted invoice is guarded by account_invoice and retention.py
    _guard_states = False
