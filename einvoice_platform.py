# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The company's approved platform (PA) and the HTTP client of the AFNOR
XP Z12-013 Flow and Directory Services it offers: OAuth2 client
credentials, timeouts on every call, retries with back-off on timeouts and
5xx, a new token on 401.  The client secret never leaves the server: not
in a log line, not in an error message, not to a user who is no account
administrator.  The same for the signing key of the webhook the platform
calls back."""
import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.parse
import uuid

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction
from trytond.url import http_base

from .exceptions import PlatformError, WebhookError

logger = logging.getLogger(__name__)

# What a server error or a lost connection gets before giving up; the
# delays double from the back-off
RETRIES = 3
# The directory lines of one SIREN asked at once: a company has one per
# establishment or service that receives invoices, seldom more
DIRECTORY_LIMIT = 100
# How long the answer of the directory serves the restarts of the same
# posting: Tryton starts a transaction again to take its locks, and the
# directory is not asked (nor waited for) each time
DIRECTORY_MEMO = 60
# The age of a webhook call beyond which it is taken for a replay
WEBHOOK_MAX_AGE = 5 * 60
# The route of the webhook, under the database name (see routes.py)
WEBHOOK_PATH = '/sale_chain/einvoice/platform/%s/notify'


def _backoff():
    return config.getfloat('sale_chain', 'platform_backoff', default=1.)


def _timeout():
    "(connect, read) seconds of every call"
    return (
        config.getfloat('sale_chain', 'platform_connect_timeout', default=5.),
        config.getfloat('sale_chain', 'platform_read_timeout', default=30.))


class PlatformUnavailable(Exception):
    "The platform did not answer, or answered a server error, every time"


class PlatformRefused(Exception):
    "The platform refused the request (4xx): sending it again will not do"

    def __init__(self, status, code, message):
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message


class Platform(ModelSQL, ModelView):
    "E-Invoicing Platform"
    __name__ = 'account.einvoice.platform'
    __string__ = "E-Invoicing Platform"

    company = fields.Many2One('company.company', "Company", required=True)
    name = fields.Char("Name", required=True,
        help="The approved platform (PA) the company chose.")
    url = fields.Char("Flow Service URL", required=True,
        help="The base URL of the platform's AFNOR XP Z12-013 Flow Service, "
        "without /v1.")
    directory_url = fields.Char("Directory Service URL",
        help="The base URL of its Directory Service; empty, routing "
        "addresses are not looked up.")
    token_url = fields.Char("Token URL", required=True,
        help="The OAuth2 token endpoint (client credentials).")
    client_id = fields.Char("Client ID", required=True)
    client_secret = fields.Char("Client Secret", required=True,
        strip=False,
        help="Given by the platform; never shown back.")
    organization_id = fields.Char("Organization ID",
        help="The Organization-Id header, when the platform serves "
        "several organizations from one account.")
    test_mode = fields.Boolean("Test Mode",
        help="The flows are sent as archive only: the platform checks "
        "them and transmits nothing to the buyers.")
    active = fields.Boolean("Active")
    lifecycle_polled_until = fields.Timestamp(
        "Statuses Polled Until", readonly=True,
        help="The platform's time of the last lifecycle flow read: the "
        "next poll asks for the flows changed after it.")
    webhook_url = fields.Char("Notification URL",
        states={
            'readonly': Bool(Eval('webhook_id')),
            },
        help="The URL of this Tryton server the platform calls when a "
        "status arrives; empty, it is made from the [web] hostname of the "
        "server configuration (or the address the client is connected "
        "to) at the subscription.")
    webhook_id = fields.Char("Webhook", readonly=True,
        help="The platform's identifier of the subscription to the status "
        "notifications; empty, the statuses are polled only.")
    webhook_signing_key = fields.Char("Webhook Signing Key", readonly=True,
        strip=False,
        help="Given by the platform at the subscription; never shown.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'test_connection': {},
                'webhook_subscribe': {
                    'invisible': Bool(Eval('webhook_id')),
                    'depends': ['webhook_id'],
                    },
                'webhook_unsubscribe': {
                    'invisible': ~Bool(Eval('webhook_id')),
                    'depends': ['webhook_id'],
                    },
                })

    @staticmethod
    def default_active():
        return True

    @staticmethod
    def default_test_mode():
        return False

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def copy(cls, platforms, default=None):
        default = default.copy() if default is not None else {}
        # A subscription is of one account
        default.setdefault('webhook_id', None)
        default.setdefault('webhook_signing_key', None)
        default.setdefault('webhook_url', None)
        return super().copy(platforms, default=default)

    @classmethod
    def write(cls, *args):
        super().write(*args)
        actions = iter(args)
        for platforms, values in zip(actions, actions):
            # New credentials or URL: the token of the old ones is void
            if values.keys() - {'lifecycle_polled_until'}:
                for platform in platforms:
                    Client.forget(platform.id)

    @classmethod
    def copy(cls, platforms, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('lifecycle_polled_until', None)
        return super().copy(platforms, default=default)

    @classmethod
    @ModelView.button
    def test_connection(cls, platforms):
        "Call the healthcheck and take a token"
        for platform in platforms:
            client = platform.client()
            try:
                client.healthcheck()
                client.token(renew=True)
                if client.directory_url:
                    client.directory_healthcheck()
            except PlatformRefused as exception:
                raise PlatformError(gettext(
                        'sale_chain.msg_platform_refused',
                        platform=platform.rec_name,
                        status=exception.status,
                        code=exception.code or '')) from None
            except PlatformUnavailable as exception:
                raise PlatformError(gettext(
                        'sale_chain.msg_platform_unavailable',
                        platform=platform.rec_name,
                        error=str(exception))) from None

    def webhook_default_url(self):
        "The URL of the route of the webhook on this server"
        path = '/%s%s' % (
            Transaction().database.name, WEBHOOK_PATH % self.id)
        return http_base().rstrip('/') + urllib.parse.quote(path)

    @classmethod
    @ModelView.button
    def webhook_subscribe(cls, platforms):
        "Ask the platform to call back at each lifecycle status"
        for platform in platforms:
            if platform.webhook_id:
                continue
            url = platform.webhook_url or platform.webhook_default_url()
            try:
                data = platform.client().webhook_create(url)
            except PlatformRefused as exception:
                if exception.status in {404, 405}:
                    raise WebhookError(gettext(
                            'sale_chain.msg_webhook_not_offered',
                            platform=platform.rec_name)) from None
                raise platform._webhook_error(exception) from None
            except PlatformUnavailable as exception:
                raise platform._webhook_error(exception) from None
            if not data.get('webhookId') or not data.get('signingKey'):
                raise WebhookError(gettext(
                        'sale_chain.msg_webhook_no_key',
                        platform=platform.rec_name))
            cls.write([platform], {
                    'webhook_url': url,
                    'webhook_id': data['webhookId'],
                    'webhook_signing_key': data['signingKey'],
                    })

    @classmethod
    @ModelView.button
    def webhook_unsubscribe(cls, platforms):
        "Cancel the subscription: the statuses are polled only"
        for platform in platforms:
            if not platform.webhook_id:
                continue
            try:
                platform.client().webhook_delete(platform.webhook_id)
            except PlatformRefused as exception:
                # Already gone at the platform: forget it here too
                if exception.status != 404:
                    raise platform._webhook_error(exception) from None
            except PlatformUnavailable as exception:
                raise platform._webhook_error(exception) from None
            cls.write([platform], {
                    'webhook_id': None,
                    'webhook_signing_key': None,
                    })

    def _webhook_error(self, exception):
        "The user error of a webhook call the platform refused or missed"
        if isinstance(exception, PlatformUnavailable):
            return PlatformError(gettext(
                    'sale_chain.msg_platform_unavailable',
                    platform=self.rec_name, error=str(exception)))
        return WebhookError(gettext(
                'sale_chain.msg_webhook_refused',
                platform=self.rec_name,
                status=exception.status,
                code=exception.code or '',
                message=exception.message or ''))

    def webhook_verify(self, payload, timestamp, signature, now=None):
        """Tell if signature is the platform's of payload at timestamp:
        'ok', 'signature' (wrong) or 'expired' (too old or ahead)"""
        if not self.webhook_signing_key or not signature:
            return 'signature'
        if not webhook_signature_valid(
                self.webhook_signing_key, payload, timestamp, signature):
            return 'signature'
        now = time.time() if now is None else now
        if abs(now - timestamp) > WEBHOOK_MAX_AGE:
            return 'expired'
        return 'ok'

    @classmethod
    def einvoice_fetch_flow(cls, platforms, flow_id):
        "Fetch the lifecycle flow a webhook told of (the queued task)"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        for platform in platforms:
            Invoice._einvoice_fetch_flows(platform, [flow_id])

    @classmethod
    def get_for(cls, company):
        "The active platform of company, or None"
        with Transaction().set_context(active_test=True):
            platforms = cls.search([
                    ('company', '=', company.id),
                    ], limit=1, order=[('id', 'ASC')])
        return platforms[0] if platforms else None

    def client(self):
        return Client.get(self)


class Client:
    """The HTTP side of a platform account: one requests session and one
    token per platform and process"""
    _lock = threading.Lock()
    _clients = {}

    def __init__(self, platform):
        import requests
        self.platform_id = platform.id
        self.url = platform.url.rstrip('/')
        self.directory_url = (platform.directory_url or '').rstrip('/')
        self.token_url = platform.token_url
        self.client_id = platform.client_id
        self._secret = platform.client_secret
        self.organization_id = platform.organization_id
        self.test_mode = platform.test_mode
        self.session = requests.Session()
        self._token = None
        self._token_expiry = 0
        self._token_lock = threading.Lock()
        self._directory_memo = {}
        # The count of the HTTP requests made, for the benchmark
        self.requests = 0

    def __repr__(self):
        # Never the secret
        return '<Client %s %s>' % (self.platform_id, self.url)

    @classmethod
    def key(cls, platform):
        return (Transaction().database.name, platform.id)

    @classmethod
    def get(cls, platform):
        key = cls.key(platform)
        with cls._lock:
            client = cls._clients.get(key)
            if client is None or (client.url, client.directory_url,
                    client.token_url, client.client_id, client._secret,
                    client.organization_id, client.test_mode) != (
                    platform.url.rstrip('/'),
                    (platform.directory_url or '').rstrip('/'),
                    platform.token_url, platform.client_id,
                    platform.client_secret, platform.organization_id,
                    platform.test_mode):
                client = cls._clients[key] = cls(platform)
            return client

    @classmethod
    def forget(cls, platform_id):
        with cls._lock:
            for key in list(cls._clients):
                if key[1] == platform_id:
                    del cls._clients[key]

    def token(self, renew=False):
        "The bearer token, a new one when renew or expired"
        import requests
        with self._token_lock:
            if (not renew and self._token
                    and time.monotonic() < self._token_expiry):
                return self._token
            # Basic authentication: the secret is never in a URL nor in a
            # body a proxy might log
            try:
                self.requests += 1
                response = self.session.post(self.token_url,
                    data={'grant_type': 'client_credentials'},
                    auth=(self.client_id, self._secret),
                    timeout=_timeout())
            except requests.RequestException as exception:
                raise PlatformUnavailable(
                    exception.__class__.__name__) from None
            if response.status_code >= 500:
                raise PlatformUnavailable('HTTP %s' % response.status_code)
            if response.status_code != 200:
                raise PlatformRefused(
                    response.status_code, _error_code(response), None)
            data = response.json()
            self._token = data['access_token']
            # A margin, so that a token is never sent as it expires
            self._token_expiry = time.monotonic() + max(
                int(data.get('expires_in', 300)) - 30, 1)
            return self._token

    def request(self, method, path, base=None, retries=RETRIES, **kwargs):
        """Call the platform: retried with back-off on timeouts, lost
        connections and 5xx; a new token once on 401"""
        import requests
        url = (base or self.url) + path
        delay = _backoff()
        renewed = False
        attempt = 0
        while True:
            headers = dict(kwargs.pop('headers', None) or {})
            headers['Authorization'] = 'Bearer %s' % self.token()
            headers.setdefault('Request-Id', str(uuid.uuid4()))
            if self.organization_id:
                headers['Organization-Id'] = self.organization_id
            kwargs['headers'] = headers
            error = None
            try:
                self.requests += 1
                response = self.session.request(
                    method, url, timeout=_timeout(), **kwargs)
            except requests.RequestException as exception:
                error = exception.__class__.__name__
            else:
                if response.status_code == 401 and not renewed:
                    renewed = True
                    self.token(renew=True)
                    continue
                if response.status_code >= 500:
                    error = 'HTTP %s' % response.status_code
                elif response.status_code >= 400:
                    raise PlatformRefused(response.status_code,
                        _error_code(response), _error_message(response))
                else:
                    return response
            attempt += 1
            logger.info("%s %s: %s (attempt %s)", method, path, error,
                attempt)
            if attempt > retries:
                raise PlatformUnavailable(error)
            time.sleep(delay)
            delay *= 2

    def healthcheck(self):
        import requests
        try:
            self.requests += 1
            response = self.session.get(
                self.url + '/v1/healthcheck', timeout=_timeout())
        except requests.RequestException as exception:
            raise PlatformUnavailable(
                exception.__class__.__name__) from None
        if response.status_code != 200:
            raise PlatformUnavailable('HTTP %s' % response.status_code)

    def upload(self, content, flow_info, filename, content_type):
        "POST /v1/flows: the flow's FullFlowInfo"
        if self.test_mode:
            flow_info = dict(flow_info, processingRule='ArchiveOnly')
        files = {
            'flowInfo': (None, json.dumps(flow_info), 'application/json'),
            'file': (filename, content, content_type),
            }
        return self.request('POST', '/v1/flows', files=files).json()

    def search(self, where, cursor=None, limit=100):
        "POST /v1/flows/search: one page as (results, next cursor)"
        body = {'where': where, 'limit': limit}
        if cursor:
            body['cursor'] = cursor
        data = self.request('POST', '/v1/flows/search', json=body).json()
        return data.get('results', []), data.get('nextCursor')

    def download(self, flow_id):
        "GET /v1/flows/{flowId}: the original file"
        return self.request('GET', '/v1/flows/%s' % flow_id,
            params={'docType': 'Original'}).content

    def webhook_create(self, callback_url):
        """POST /v1/webhooks for the lifecycle flows received: the
        webhookId and the signingKey"""
        body = {
            'callbackUrl': callback_url,
            'flowTypes': ['CustomerInvoiceLC'],
            'flowDirection': 'In',
            }
        return self.request('POST', '/v1/webhooks', json=body).json()

    def webhook_delete(self, webhook_id):
        "DELETE /v1/webhooks/{webhookUid}"
        self.request('DELETE', '/v1/webhooks/%s' % webhook_id)

    def webhooks(self):
        "GET /v1/webhooks: the subscriptions of the account"
        return self.request('GET', '/v1/webhooks').json().get(
            'webhooks', [])

    def directory_healthcheck(self):
        "GET /v1/healthcheck of the Directory Service, which wants a token"
        self.request('GET', '/v1/healthcheck', base=self.directory_url)

    def directory_lines(self, siren, retries=RETRIES, memo=False):
        """POST /v1/directory-line/search: the directory lines of a SIREN
        as dictionaries with the keys address (the addressing identifier:
        SIREN, SIREN_SIRET, SIREN_SIRET_ROUTINGCODE or SIREN_SUFFIX),
        siren, siret, routing, suffix and status (Enabled, Disabled,
        Upcoming); None without a Directory Service

        With memo, an answer (or a failure) of the last DIRECTORY_MEMO
        seconds serves again."""
        if not self.directory_url:
            return None
        now = time.monotonic()
        if memo:
            found = self._directory_memo.get(siren)
            if found and now - found[0] < DIRECTORY_MEMO:
                if isinstance(found[1], Exception):
                    raise found[1]
                return [dict(l) for l in found[1]]
        try:
            lines = self._directory_lines(siren, retries)
        except (PlatformUnavailable, PlatformRefused) as exception:
            self._directory_memo[siren] = (now, exception)
            raise
        self._directory_memo[siren] = (now, lines)
        return [dict(l) for l in lines]

    def _directory_lines(self, siren, retries):
        body = {
            'filters': {
                'siren': {'op': 'strict', 'value': siren},
                },
            'sorting': [
                {'field': 'addressingIdentifier', 'order': 'ascending'},
                ],
            'limit': DIRECTORY_LIMIT,
            'ignore': 0,
            }
        try:
            data = self.request('POST', '/v1/directory-line/search',
                base=self.directory_url, retries=retries, json=body).json()
        except PlatformRefused as exception:
            # Some directories answer "not found" rather than no result
            if exception.status == 404:
                return []
            raise
        lines = []
        for result in data.get('results') or []:
            address = result.get('addressingIdentifier')
            # A search by SIREN gives only its lines: a line of another is
            # a directory's error, never a routing address of the party
            if not address or result.get('siren', siren) != siren:
                continue
            lines.append({
                    'address': address,
                    'siren': result.get('siren', siren),
                    'siret': result.get('siret'),
                    'routing': result.get('routingIdentifier'),
                    'suffix': result.get('addressingSuffix'),
                    'status': result.get('directoryLineStatus'),
                    })
        return lines


def _error_code(response):
    try:
        return response.json().get('errorCode')
    except ValueError:
        return None


def _error_message(response):
    try:
        return response.json().get('errorMessage')
    except ValueError:
        return None


def webhook_signature_valid(signing_key, payload, timestamp, signature):
    """Tell if signature (base64) is the HMAC-SHA-256 with signing_key
    (base64) of the SHA-256 fingerprint of payload + '@' + timestamp, as
    the createWebhook operation of the Flow Service describes"""
    try:
        key = base64.b64decode(signing_key, validate=True)
        given = base64.b64decode(signature, validate=True)
    except ValueError:
        return False
    fingerprint = hashlib.sha256(
        payload + b'@' + str(int(timestamp)).encode('ascii'))
    # The specification does not say whether the fingerprint is signed as
    # its bytes or as its hexadecimal text: both are taken
    return any(
        hmac.compare_digest(
            hmac.new(key, message, hashlib.sha256).digest(), given)
        for message in [
            fingerprint.digest(), fingerprint.hexdigest().encode('ascii')])


def client_of(company):
    "The client of the active platform of company, or None"
    Platform = Pool().get('account.einvoice.platform')
    platform = Platform.get_for(company)
    return platform.client() if platform else None

