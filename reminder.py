# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The skeleton of the daily jobs which remind what waits on a sale (an
unpaid deposit, a late delivery): the e-mail template of the company, a
notification to the salespersons, an e-mail to the customer and one batched
write of when and how many times the sale was reminded."""
import datetime as dt
from collections import defaultdict

from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access


def company_template(field):
    "Return the e-mail template of the sale configuration for the company"
    pool = Pool()
    Configuration = pool.get('sale.configuration')
    return Configuration(1).get_multivalue(
        field, company=Transaction().context.get('company'))


def send_email(record, template):
    "Send template about the record and return its recipients"
    pool = Pool()
    Email = pool.get('ir.email')
    if not template:
        return ''
    values = template.get(record)
    if not values.get('to'):
        return ''
    to = ', '.join(values['to'])
    Email.send(
        to=to,
        cc=', '.join(values.get('cc', [])),
        bcc=', '.join(values.get('bcc', [])),
        subject=values.get('subject', ''),
        body=values.get('body', ''),
        record=[record.__name__, record.id],
        reports=[r.id for r in template.reports])
    return to


def remind(reminders, template, date_field, count_field):
    """Notify the salespersons of the sales, e-mail their customer with
    template and store when and how many times each sale was reminded in
    date_field and count_field.
    reminders is a list of (sale, label, description).
    Return the notified users and the e-mail recipients of each sale."""
    if not reminders:
        return {}, {}
    Sale = reminders[0][0].__class__
    now = dt.datetime.now().replace(microsecond=0)
    users = Sale.get_salesperson_users([s for s, _, _ in reminders])
    recipients = {}
    by_count = defaultdict(list)
    for sale, label, description in reminders:
        for user in users[sale]:
            Sale.notify_user(
                [sale], 'tryton-notification', label,
                description=description, user=user.id)
        recipients[sale] = send_email(sale, template)
        by_count[(getattr(sale, count_field) or 0) + 1].append(sale)
    to_write = []
    for count, sales in by_count.items():
        to_write.extend((sales, {date_field: now, count_field: count}))
    with without_check_access():
        Sale.write(*to_write)
    return users, recipients
