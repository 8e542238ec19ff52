# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Helpers of the platform scenarios: the local platform and short waits"
import logging
import sys

import trytond.config as config

from .platform_server import CDAR_XSLT, PlatformServer


def quick_retries():
    "Back-off and timeouts of a few hundredths of a second"
    if not config.has_section('sale_chain'):
        config.add_section('sale_chain')
    config.set('sale_chain', 'platform_backoff', '0.01')
    config.set('sale_chain', 'platform_read_timeout', '0.5')
    config.set('sale_chain', 'platform_connect_timeout', '0.5')
    config.set('sale_chain', 'platform_retry_minutes', '0')
    config.set('sale_chain', 'platform_poll_margin', '0')
    config.set('sale_chain', 'cdar_xslt', CDAR_XSLT)


def start_platform(**kwargs):
    server = PlatformServer(**kwargs).start()
    if server.openapi_missing:
        sys.stderr.write('SKIPPED: no OpenAPI validation of the local '
            'platform: %s\n' % server.openapi_missing)
    return server


def create_platform(server, company, **values):
    from proteus import Model
    Platform = Model.get('account.einvoice.platform')
    platform = Platform(
        company=company, name="PA locale", url=server.url,
        token_url=server.token_url, client_id=server.client_id,
        client_secret=server.client_secret, **values)
    platform.save()
    return platform


class Capture(logging.Handler):
    """Every log record of every logger at INFO, and of the module and the
    HTTP libraries at DEBUG (at DEBUG the PostgreSQL backend logs every
    query, the secret's UPDATE included: never run production at DEBUG)"""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.lines.append(str(record.msg))

    def __enter__(self):
        root = logging.getLogger()
        self._levels = {None: root.level}
        root.setLevel(logging.INFO)
        for name in ['urllib3', 'requests', 'trytond.modules.sale_chain']:
            logger = logging.getLogger(name)
            self._levels[name] = logger.level
            logger.setLevel(logging.DEBUG)
        root.addHandler(self)
        return self

    def __exit__(self, *args):
        logging.getLogger().removeHandler(self)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)


class TrytondServer:
    """The trytond WSGI application (trytond.wsgi.app) serving the module's
    webhook route to the local platform

    A real werkzeug server on the loopback in a thread; on an in-memory
    SQLite database, which is of one thread, the application is called in
    the thread of the callback by werkzeug.test.Client instead."""

    def __init__(self):
        from trytond import backend
        from trytond.tests.test_tryton import DB_NAME
        from trytond.wsgi import app
        self.database = DB_NAME
        self.in_process = (
            backend.name == 'sqlite' and DB_NAME == ':memory:')
        if self.in_process:
            from werkzeug.test import Client
            self._client = Client(app)
            # Never connected to: the transport calls the application
            self.base = 'http://127.0.0.1:9'
        else:
            import threading

            from werkzeug.serving import make_server
            self._server = make_server('127.0.0.1', 0, app, threaded=True)
            self.base = 'http://127.0.0.1:%s' % self._server.server_port
            threading.Thread(
                target=self._server.serve_forever, daemon=True).start()

    def webhook_url(self, platform):
        import urllib.parse

        from trytond.modules.sale_chain.einvoice_platform import (
            WEBHOOK_PATH)
        return self.base + urllib.parse.quote(
            '/%s%s' % (self.database, WEBHOOK_PATH % platform.id))

    def transport(self, url, data, headers, timeout):
        "Call the route: its HTTP status"
        if self.in_process:
            path = url[len(self.base):]
            return self._client.post(
                path, data=data, headers=headers).status_code
        import requests
        return requests.post(
            url, data=data, headers=headers, timeout=timeout).status_code

    def connect(self, platform_server):
        "Make the callbacks of platform_server to this application"
        platform_server.transport = self.transport
        # The callbacks are made by the scenario's thread: one database
        # transaction at a time, on SQLite too
        platform_server.hold_deliveries()

    def stop(self):
        if not self.in_process:
            self._server.shutdown()
            self._server.server_close()
