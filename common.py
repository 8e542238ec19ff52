# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Column, Null

from trytond.model import DeactivableMixin, fields
from trytond.modules.company.model import employee_field
from trytond.pool import Pool
from trytond.transaction import Transaction


class CodedReasonMixin(DeactivableMixin):
    "A configurable reason, listed and named by its code"
    __slots__ = ()

    code = fields.Char("Code", required=True)
    name = fields.Char("Name", required=True, translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('code', 'ASC'))

    def get_rec_name(self, name):
        return '%s - %s' % (self.code, self.name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') else 'OR'
        return [bool_op,
            ('code', operator, value),
            ('name', operator, value),
            ]


def employee_stamp(string, help=''):
    """An employee_field of the company set by the system only: read-only
    for all, so that workflow.py also drops it from a creation and refuses
    it in a write from outside"""
    field = employee_field(string)
    field.readonly = True
    field.help = help
    return field


def user_employee(company):
    """Return the employee of the user for company, as set_employee takes
    it, or None"""
    pool = Pool()
    User = pool.get('res.user')
    employee = User(Transaction().user).employee
    if employee and employee.company == company:
        return employee


def migrate_user_stamps(Model, module_name, names):
    """Make the columns names of Model, which stored a res.user, store the
    employee of that user in the company of the record, or NULL

    To call before super().__register__: the fields of ir.model.field still
    tell their old relation."""
    pool = Pool()
    ModelField = pool.get('ir.model.field')
    User = pool.get('res.user')
    Employee = pool.get('company.employee')
    cursor = Transaction().connection.cursor()
    table_h = Model.__table_handler__(module_name)
    table = Model.__table__()
    field = ModelField.__table__()
    user = User.__table__()
    employee = Employee.__table__()
    for name in names:
        if not table_h.column_exist(name):
            continue
        # The schema cannot tell it on SQLite, which has no foreign keys
        cursor.execute(*field.select(field.id,
                where=(field.model == Model.__name__)
                & (field.name == name)
                & (field.relation == 'res.user')))
        if not cursor.fetchone():
            continue
        # The constraint on res_user has the name of the one on
        # company_employee, so add_fk would keep it
        table_h.drop_fk(name)
        column = Column(table, name)
        cursor.execute(*table.update(
                [column],
                [user.join(employee,
                        condition=user.employee == employee.id
                        ).select(employee.id,
                        where=(user.id == column)
                        & (employee.company == table.company))],
                where=column != Null))
