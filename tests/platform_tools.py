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
