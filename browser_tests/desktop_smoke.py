# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Open screens of sale_chain in the Tryton desktop client and report what
went wrong: run by test_sao.py under Xvfb with the Python of the client.

    desktop_smoke.py host:port database login password

Prints one line per screen, then "ERRORS: " and the error dialogs and
exceptions met, as JSON.
"""
import datetime as dt
import json
import sys
import time
import traceback

import gi

gi.require_version('Gtk', '3.0')
from gi.repository import Gtk  # noqa: E402

LATE_COLOR = '#d9534f'
errors = []


def recorder(kind):
    "Return a stand-in of the client's dialog of kind which records it"
    def record(*args, **kwargs):
        errors.append('%s: %s' % (
                kind, ' | '.join(str(a)[:500] for a in args)))
    return record


def excepthook(type_, value, tb):
    # An exception in a callback of GTK reaches no caller
    text = ''.join(traceback.format_exception(type_, value, tb))
    print(text, file=sys.stderr, flush=True)
    errors.append('exception: %s' % text[-1500:])


def iterate(seconds):
    "Let the client draw and read for seconds"
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while Gtk.events_pending():
            Gtk.main_iteration_do(False)
        time.sleep(0.02)


def walk(widget):
    yield widget
    if isinstance(widget, Gtk.Container):
        for child in widget.get_children():
            yield from walk(child)


def login(host, database, user, password):
    from tryton import common, rpc, translate
    from tryton.config import CONFIG
    translate.set_language_direction('ltr')
    # The dialogs would wait for a click
    for name in ['error', 'warning', 'message', 'process_exception']:
        setattr(common, name, recorder(name))
        setattr(common.common, name, recorder(name))
    CONFIG['login.host'] = host
    CONFIG['login.db'] = database
    CONFIG['login.login'] = user
    CONFIG['client.lang'] = 'fr'
    CONFIG['thread'] = False
    rpc.login({'password': password})
    common.RPCContextReload()
    translate.setlang('fr')
    # What the client loads after its login
    for load in [
            common.IconFactory.load_icons,
            common.MODELACCESS.load_models,
            common.MODELHISTORY.load_history,
            common.MODELNOTIFICATION.load_names,
            common.VIEW_SEARCH.load_searches]:
        load()


def main(host, database, user, password):
    sys.excepthook = excepthook
    login(host, database, user, password)
    from tryton import rpc
    from tryton.common import RPCExecute
    from tryton.gui import Main
    from tryton.gui.window.form import Form

    # The screens ask the main window for its monitor and accelerators
    main = Main()
    main.window = Gtk.Window()
    main.window.set_default_size(1366, 768)
    main.window.show_all()
    main.accel_group = Gtk.AccelGroup()

    def show(name, form, check=None):
        main.window.add(form.widget)
        main.window.show_all()
        iterate(3)
        if check:
            check(form)
            iterate(2)
        print(name, 'opened', flush=True)
        main.window.remove(form.widget)
        iterate(0.5)

    def rows(name):
        def check(form):
            if not len(form.screen.group):
                errors.append('%s: no row' % name)
        return check

    def pages(form):
        # Every tab of the sale, the chain among them
        notebook = next(
            w for w in walk(form.widget) if isinstance(w, Gtk.Notebook))
        for index in range(notebook.get_n_pages()):
            notebook.set_current_page(index)
            iterate(1)

    def events(form):
        calendar = form.screen.current_view.widgets['goocalendar']
        today = dt.date.today()
        shown = [
            (e.caption, e.start.date(), e.bg_color)
            for e in calendar.event_store.get_events()]
        print('calendar events:', shown, flush=True)
        if not shown:
            errors.append('calendar: no event')
        for caption, start, color in shown:
            if 'False' in caption or 'True' in caption:
                errors.append('calendar: event %r' % caption)
            # An open delivery planned in the past is late
            if (start < today) != (color == LATE_COLOR):
                errors.append('calendar: %r in %s' % (caption, color))

    sale_id, = RPCExecute('model', 'sale.sale', 'search', [
            ('shipments', '!=', None), ('state', '=', 'processing')],
        0, 1, [('id', 'ASC')])
    show('sale form', Form('sale.sale', res_id=[sale_id], mode=['form']),
        pages)
    chain, = RPCExecute(
        'model', 'sale.sale', 'read', [sale_id], ['chain_documents'])
    chain = chain['chain_documents']
    show('document chain', Form(
            'sale.chain.document', res_id=chain, mode=['tree', 'form'],
            domain=[('id', 'in', chain)]), rows('document chain'))
    show('follow-up list', Form(
            'sale.follow_up', mode=['tree', 'form'],
            context_model='sale.follow_up.context'), rows('follow-up'))
    calendar, = RPCExecute('model', 'ir.ui.view', 'search', [
            ('model', '=', 'sale.follow_up'), ('type', '=', 'calendar'),
            ('module', '=', 'sale_chain')])
    show('planned deliveries', Form(
            'sale.follow_up', mode=['calendar'], view_ids=[calendar],
            context_model='sale.follow_up.context',
            domain=[('open_date', '!=', None)]), events)
    rpc.logout()
    print('ERRORS:', json.dumps(errors), flush=True)


if __name__ == '__main__':
    main(*sys.argv[1:])
