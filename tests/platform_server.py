# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A local approved platform (PA) for the tests, the benchmark and the demo

It serves, on the loopback only, the AFNOR XP Z12-013 Flow Service
endpoints the module uses, those of the Directory Service under
/directory-service and an OAuth2 token endpoint; every request and
response is validated against the OpenAPI of ../shared/einvoice/ by
openapi-core when both are there.  Uploaded invoices are checked with the
module's own validator and answered by a "déposée" or "rejetée" lifecycle
flow; more statuses are scripted; faults are on demand."""
import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import threading
import time
import uuid

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SHARED = os.path.normpath(os.path.join(
        os.path.dirname(__file__), '..', '..', 'shared', 'einvoice'))
OPENAPI = os.path.join(SHARED, 'afnor-xp-z12-013', 'flow-service-1.3.0.json')
DIRECTORY_OPENAPI = os.path.join(
    SHARED, 'afnor-xp-z12-013', 'directory-service-1.3.0.json')
# Where the Directory Service is served, as the base path of its OpenAPI
DIRECTORY_PATH = '/directory-service'
CDAR_XSLT = os.path.join(SHARED, 'cdar', 'BR-FR-CDV-Schematron-CDAR.xslt')


def _parse_iso(value):
    "The naive UTC date-time of an ISO 8601 value"
    value = dt.datetime.fromisoformat(value.replace('Z', '+00:00'))
    if value.tzinfo:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _iso(value):
    return value.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def openapi_spec(path=OPENAPI, base='/'):
    """The OpenAPI (openapi-core) of path served at base of the local URL,
    or None with the reason when the shared folder or the library is
    absent"""
    if not os.path.exists(path):
        return None, 'the OpenAPI %s is absent' % path
    try:
        from openapi_core import OpenAPI
    except ImportError:
        return None, 'openapi-core is not installed'
    with open(path) as fp:
        spec = json.load(fp)
    # The servers of the file are the PA's public URLs
    spec['servers'] = [{'url': base}]
    return OpenAPI.from_dict(spec), None


class PlatformServer:
    "The platform, in a thread of the calling process"

    def __init__(self, client_id='sale-chain', client_secret=None,
            token_lifetime=3600, validate_invoices=True):
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.token_lifetime = token_lifetime
        self.validate_invoices = validate_invoices
        self.openapi, self.openapi_missing = openapi_spec()
        self.directory_openapi, missing = openapi_spec(
            DIRECTORY_OPENAPI, DIRECTORY_PATH)
        if missing and not self.openapi_missing:
            self.openapi_missing = missing
        self.lock = threading.RLock()
        self.reset()
        self._server = None
        self.port = None

    def reset(self):
        "Forget every flow, token, fault and count"
        with getattr(self, 'lock', threading.RLock()):
            self.flows = {}
            self.order = []
            self.tokens = {}
            self.requests = []
            self.errors = []
            self.faults = []
            self.delay = 0
            self.delay_count = 0
            self.rejects = {}
            self.clock = 0
            self.directory = {}
            self.reset_webhooks()

    # Running

    def start(self, port=0):
        self._server = make_server(
            '127.0.0.1', port or self.port or 0, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    down = stop

    def up(self):
        return self.start(self.port)

    @property
    def url(self):
        return 'http://127.0.0.1:%s' % self.port

    @property
    def directory_url(self):
        return self.url + DIRECTORY_PATH

    @property
    def token_url(self):
        return self.url + '/oauth/token'

    # Faults

    def fail(self, times, status=500):
        """Answer status to the next times requests of the Flow or the
        Directory Service"""
        with self.lock:
            self.faults.extend([status] * times)

    def slow(self, seconds, times=1):
        "Answer the next times requests after seconds"
        with self.lock:
            self.delay, self.delay_count = seconds, times

    def expire_tokens(self):
        with self.lock:
            self.tokens.clear()

    def reject_next(self, reason_code='DOUBLON', reason="Already received"):
        "Answer the next invoice uploaded by a rejetée"
        with self.lock:
            self.rejects[None] = (reason_code, reason)

    # The directory

    def add_directory_line(self, siren, siret=None, routing=None,
            suffix=None, status='Enabled', platform_type='WK'):
        """Register the directory line of siren, of its establishment
        siret, of a routing code of siret or of a suffix; return its
        addressing identifier"""
        parts = [siren]
        if siret:
            parts.append(siret)
            if routing:
                parts.append(routing)
        elif suffix:
            parts.append(suffix)
        address = '_'.join(parts)
        line = {
            'addressingIdentifier': address,
            'siren': siren,
            'platformType': platform_type,
            'directoryLineStatus': status,
            }
        if siret:
            line['siret'] = siret
        if siret and routing:
            line['routingIdentifier'] = routing
        if suffix and not siret:
            line['addressingSuffix'] = suffix
        with self.lock:
            self.directory[address] = line
        return address

    def remove_directory_line(self, address):
        with self.lock:
            del self.directory[address]

    # What the tests look at

    def invoices(self):
        "The uploaded invoice flows"
        return [f for f in self.flows.values()
            if f['flowType'] == 'CustomerInvoice']

    def sent_lifecycle(self):
        "The lifecycle flows the seller uploaded (encaissée …)"
        return [f for f in self.flows.values()
            if f['flowType'] == 'CustomerInvoiceLC'
            and f['flowDirection'] == 'Out']

    def count(self, path=None):
        return len([r for r in self.requests if path is None or r == path])

    # Lifecycle

    def add_status(self, invoice_flow, code, reason_code=None, reason=None,
            sender=None):
        "Issue the lifecycle flow of code about the invoice flow"
        from trytond.modules.sale_chain import einvoice_cdar as cdar
        meta = invoice_flow['invoice']
        self.clock += 1
        now = dt.datetime.utcnow().replace(microsecond=0) + dt.timedelta(
            seconds=self.clock)
        if sender is None:
            sender = ('WK', None, None)
            phase = '305'
        else:
            phase = '23'
        xml = cdar.build(
            'LC-%s' % uuid.uuid4().hex[:12], now, code, meta['number'],
            meta['date'], meta['seller'], sender,
            ('SE', meta['seller'], ('0225', meta['seller'])),
            invoice_type=meta['type'], reason_code=reason_code,
            reason=reason, phase=phase)
        return self._store(xml, {
                'name': 'cdar-%s.xml' % code,
                'flowSyntax': 'CDAR',
                'flowProfile': 'CIUS',
                'processingRule': 'B2B',
                }, 'CustomerInvoiceLC', 'In')

    def status_of(self, number, code, **kwargs):
        "Issue the lifecycle flow of code about the invoice number"
        for flow in self.invoices():
            if flow['invoice']['number'] == number:
                return self.add_status(flow, code, **kwargs)
        raise KeyError(number)

    # The application

    def app(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except Exception as exception:
            self.errors.append('server: %r' % exception)
            response = self.error(500, 'SERVER_ERROR', str(exception))
        return response(environ, start_response)

    def error(self, status, code, message=None):
        body = {'errorCode': code}
        if message:
            body['errorMessage'] = message
        return Response(json.dumps(body), status=status,
            content_type='application/json')

    def json(self, data, status=200):
        return Response(json.dumps(data), status=status,
            content_type='application/json')

    def dispatch(self, request):
        path = request.path
        with self.lock:
            self.requests.append(path)
            delay = 0
            if self.delay_count:
                self.delay_count -= 1
                delay = self.delay
        if delay:
            time.sleep(delay)
        if path == '/oauth/token':
            return self.token(request)
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault:
            return self.error(fault, 'SERVER_ERROR')
        directory = path.startswith(DIRECTORY_PATH + '/')
        if path == '/v1/healthcheck':
            return Response(status=200)
        if not self.authorized(request):
            return self.error(401, 'INVALID_TOKEN')
        openapi = self.directory_openapi if directory else self.openapi
        if openapi:
            from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
            try:
                openapi.validate_request(WerkzeugOpenAPIRequest(request))
            except Exception as exception:
                self.errors.append('request %s: %s' % (path, exception))
                return self.error(400, 'INVALID_REQUEST', str(exception))
        if directory:
            response = self.dispatch_directory(
                request, path[len(DIRECTORY_PATH):])
        elif path == '/v1/flows' and request.method == 'POST':
            response = self.create_flow(request)
        elif path == '/v1/flows/search' and request.method == 'POST':
            response = self.search(request)
        elif path.startswith('/v1/flows/') and request.method == 'GET':
            response = self.get_flow(request, path.rsplit('/', 1)[1])
        elif path.startswith('/v1/webhooks'):
            response = self.webhook_dispatch(request)
        else:
            response = self.error(404, 'NOT_FOUND')
        if openapi:
            from openapi_core.contrib.werkzeug import (
                WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse)
            try:
                openapi.validate_response(
                    WerkzeugOpenAPIRequest(request),
                    WerkzeugOpenAPIResponse(response))
            except Exception as exception:
                self.errors.append('response %s: %s' % (path, exception))
        return response

    def dispatch_directory(self, request, path):
        prefix = '/v1/directory-line/code:'
        if path == '/v1/healthcheck' and request.method == 'GET':
            return Response(status=200)
        elif path == '/v1/directory-line/search' and request.method == 'POST':
            return self.search_directory(request)
        elif path.startswith(prefix) and request.method == 'GET':
            with self.lock:
                line = self.directory.get(path[len(prefix):])
            if line is None:
                return self.error(404, 'MISSING_RESOURCE',
                    'Requested resource is Not Found')
            return self.json(dict(line,
                    directoryLineStatus=(
                        'Enabled' if line['directoryLineStatus'] == 'Enabled'
                        else 'Disabled')))
        return self.error(404, 'NOT_FOUND')

    def search_directory(self, request):
        body = json.loads(request.get_data() or b'{}')
        filters = body.get('filters') or {}
        with self.lock:
            lines = sorted(self.directory.values(),
                key=lambda l: l['addressingIdentifier'])

        def match(line, name, value):
            op, value = value.get('op', 'strict'), value.get('value')
            if value is None:
                return True
            if op == 'contains':
                return value in (line.get(name) or '')
            if op == 'startWith':
                return (line.get(name) or '').startswith(value)
            return line.get(name) == value
        selected = [l for l in lines
            if all(match(l, n, v) for n, v in filters.items())]
        for sort in reversed(body.get('sorting') or []):
            selected.sort(key=lambda l: l.get(sort['field']) or '',
                reverse=sort.get('order') == 'descending')
        ignore = body.get('ignore') or 0
        limit = body.get('limit') or 50
        fields = body.get('fields')
        results = selected[ignore:ignore + limit]
        if fields:
            results = [{k: v for k, v in l.items() if k in fields}
                for l in results]
        return self.json({
                'search': body,
                'totalNumberOfResults': len(selected),
                'results': results,
                })

    def token(self, request):
        auth = request.authorization
        if not auth or (auth.username, auth.password) != (
                self.client_id, self.client_secret):
            # Never the secret in an answer
            return self.json({'error': 'invalid_client'}, status=401)
        token = secrets.token_urlsafe(16)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
        return self.json({
                'access_token': token, 'token_type': 'Bearer',
                'expires_in': self.token_lifetime})

    def authorized(self, request):
        header = request.headers.get('Authorization', '')
        if not header.startswith('Bearer '):
            return False
        with self.lock:
            expiry = self.tokens.get(header[7:])
        return expiry is not None and expiry > time.monotonic()

    def _store(self, content, info, flow_type, direction, invoice=None):
        now = dt.datetime.utcnow()
        flow_id = uuid.uuid4().hex
        flow = dict(info, **{
                'flowId': flow_id,
                'submittedAt': _iso(now),
                'updatedAt': _iso(now),
                'flowType': flow_type,
                'flowDirection': direction,
                'processingRuleSource': 'Input',
                'acknowledgement': {'status': 'Ok'},
                'sha256': hashlib.sha256(content).hexdigest(),
                })
        flow.setdefault('processingRule', 'B2B')
        flow.setdefault('flowProfile', 'CIUS')
        with self.lock:
            self.flows[flow_id] = flow
            self.order.append(flow_id)
            flow['content'] = content
            flow['invoice'] = invoice
        self.flow_stored(flow)
        return flow

    def public(self, flow):
        return {k: v for k, v in flow.items()
            if k not in {'content', 'invoice', 'cdar'}}

    def create_flow(self, request):
        info = json.loads(request.form['flowInfo'])
        upload = request.files['file']
        content = upload.read()
        if info.get('sha256') and (
                info['sha256'] != hashlib.sha256(content).hexdigest()):
            return self.error(422, 'ChecksumMismatch')
        tracking = info.get('trackingId')
        if tracking:
            with self.lock:
                if any(f.get('trackingId') == tracking
                        for f in self.flows.values()):
                    return self.error(422, 'AlreadyExistingFlow',
                        'A flow of this tracking id exists')
        if info['flowSyntax'] == 'CDAR':
            from trytond.modules.sale_chain import einvoice_cdar as cdar
            findings = []
            validator = cdar.Validator.get(CDAR_XSLT)
            if validator:
                findings = validator.validate(content)
            if findings:
                return self.error(422, 'InvoiceLCRuleError',
                    '; '.join(r for r, _ in findings))
            flow = self._store(content, info, 'CustomerInvoiceLC', 'Out')
            flow['cdar'] = cdar.parse(content)
            return self.json(self.public(flow), status=202)
        xml = content
        if info['flowSyntax'] == 'Factur-X':
            import facturx
            _, xml = facturx.get_xml_from_pdf(content, check_xsd=False)
            if not xml:
                return self.error(422, 'InvalidSchema', 'No CII in the PDF')
        invoice = self.invoice_meta(xml)
        flow = self._store(content, info, 'CustomerInvoice', 'Out',
            invoice=invoice)
        findings = []
        if self.validate_invoices:
            from trytond.modules.sale_chain.einvoice import Validator
            findings = Validator.get().validate(xml)
        with self.lock:
            reject = self.rejects.pop(None, None)
        if findings:
            self.add_status(flow, '213', 'REJ_SEMAN',
                '; '.join(r for r, _ in findings)[:250])
        elif reject:
            self.add_status(flow, '213', *reject)
        else:
            self.add_status(flow, '200')
        return self.json(self.public(flow), status=202)

    @staticmethod
    def invoice_meta(xml):
        from lxml import etree
        ns = {
            'rsm': 'urn:un:unece:uncefact:data:standard:'
            'CrossIndustryInvoice:100',
            'ram': 'urn:un:unece:uncefact:data:standard:'
            'ReusableAggregateBusinessInformationEntity:100',
            'udt': 'urn:un:unece:uncefact:data:standard:'
            'UnqualifiedDataType:100',
            }
        root = etree.fromstring(xml)

        def text(path):
            found = root.xpath(path, namespaces=ns)
            return found[0].text.strip() if found else None
        date = text('//rsm:ExchangedDocument/ram:IssueDateTime'
            '/udt:DateTimeString')
        return {
            'number': text('//rsm:ExchangedDocument/ram:ID'),
            'type': text('//rsm:ExchangedDocument/ram:TypeCode'),
            'date': dt.datetime.strptime(date, '%Y%m%d').date(),
            'seller': text(
                '//ram:SellerTradeParty/ram:SpecifiedLegalOrganization'
                '/ram:ID'),
            }

    def search(self, request):
        body = json.loads(request.get_data())
        where = body.get('where') or {}
        limit = min(body.get('limit') or 25, 100)
        start = 0
        if body.get('cursor'):
            start = int(base64.urlsafe_b64decode(body['cursor']).decode())
        after = where.get('updatedAfter')
        with self.lock:
            flows = [self.flows[i] for i in self.order]
        selected = []
        for flow in flows:
            if where.get('flowType') and (
                    flow['flowType'] not in where['flowType']):
                continue
            if where.get('flowDirection') and (
                    flow['flowDirection'] not in where['flowDirection']):
                continue
            if where.get('trackingId') and (
                    flow.get('trackingId') != where['trackingId']):
                continue
            # Strictly after, as the API says
            if after and _parse_iso(flow['updatedAt']) <= _parse_iso(after):
                continue
            selected.append(flow)
        page = selected[start:start + limit]
        data = {
            'limit': limit,
            'filters': where,
            'results': [self.public(f) for f in page],
            }
        if start + limit < len(selected):
            data['nextCursor'] = base64.urlsafe_b64encode(
                str(start + limit).encode()).decode()
        return self.json(data)

    def get_flow(self, request, flow_id):
        with self.lock:
            flow = self.flows.get(flow_id)
        if not flow:
            return self.error(404, 'NOT_FOUND')
        if request.args.get('docType', 'Metadata') == 'Metadata':
            return self.json(self.public(flow))
        return Response(flow['content'], status=200,
            content_type='application/octet-stream',
            headers={'Content-Disposition':
                'attachment;filename=%s' % flow['name']})


    # Webhooks

    def reset_webhooks(self):
        with self.lock:
            self.webhooks = {}
            self.deliveries = []
            # None: each callback at once in a thread; a list: kept there
            # until release_deliveries() makes them in the calling thread
            self.held = None
            # Seconds before a callback, so that the upload's transaction
            # is committed when the seller fetches its déposée
            self.delivery_delay = 0
            # Deliveries made again, 5 seconds apart, while they fail
            self.delivery_retries = 0
            # How the callbacks are made: (url, data, headers, timeout) ->
            # HTTP status; None, over HTTP
            self.transport = None
            self.delivered = threading.Condition(self.lock)

    def webhook_dispatch(self, request):
        "GET and POST /v1/webhooks, DELETE /v1/webhooks/{webhookUid}"
        path = request.path
        if path == '/v1/webhooks' and request.method == 'GET':
            with self.lock:
                webhooks = [self.webhook_public(w)
                    for w in self.webhooks.values()]
            # The schema requires webhookIds, and lists webhooks
            return self.json({
                    'count': len(webhooks),
                    'webhookIds': [w['webhookId'] for w in webhooks],
                    'webhooks': webhooks,
                    })
        if path == '/v1/webhooks' and request.method == 'POST':
            params = json.loads(request.get_data())
            webhook = dict(params,
                webhookId=str(uuid.uuid4()),
                # 256 bits of a secure generator
                signingKey=base64.b64encode(
                    secrets.token_bytes(32)).decode('ascii'),
                createdAt=_iso(dt.datetime.utcnow()))
            with self.lock:
                self.webhooks[webhook['webhookId']] = webhook
            return self.json({k: webhook[k]
                    for k in ['webhookId', 'signingKey', 'createdAt']},
                status=201)
        if request.method == 'DELETE':
            uid = path.rsplit('/', 1)[1]
            with self.lock:
                if self.webhooks.pop(uid, None) is None:
                    return self.error(404, 'NOT_FOUND')
            return Response(status=204)
        return self.error(404, 'NOT_FOUND')

    @staticmethod
    def webhook_public(webhook):
        # The signing key is given once, at the creation
        return {k: v for k, v in webhook.items() if k != 'signingKey'}

    @staticmethod
    def sign(signing_key, payload, timestamp):
        """The Afnor-Signature of payload at timestamp: base64 of the
        HMAC-SHA-256 with the key of the SHA-256 fingerprint of
        payload + '@' + epoch seconds"""
        import hmac
        fingerprint = hashlib.sha256(
            payload + b'@' + str(timestamp).encode('ascii')).digest()
        return base64.b64encode(hmac.new(
                base64.b64decode(signing_key), fingerprint,
                hashlib.sha256).digest()).decode('ascii')

    def subscribed(self, flow):
        "The webhooks whose filters take flow"
        with self.lock:
            webhooks = list(self.webhooks.values())
        return [w for w in webhooks
            if (not w.get('flowTypes') or flow['flowType'] in w['flowTypes'])
            and (not w.get('flowDirection')
                or flow['flowDirection'] == w['flowDirection'])
            and (not w.get('ackStatus')
                or flow['acknowledgement']['status'] == w['ackStatus'])]

    def flow_stored(self, flow):
        "Call back the subscribers of a new flow, in a thread each"
        for webhook in self.subscribed(flow):
            with self.lock:
                if self.held is not None:
                    self.held.append((webhook, flow))
                    continue
            threading.Thread(target=self.deliver_retrying,
                args=(webhook, flow), daemon=True).start()

    def deliver_retrying(self, webhook, flow):
        "Deliver, and again every 5 seconds while it fails, if asked"
        time.sleep(self.delivery_delay)
        for attempt in range(1 + self.delivery_retries):
            if attempt:
                time.sleep(5)
            status = self.deliver(webhook, flow)
            if status is not None and status < 500:
                return status

    def hold_deliveries(self):
        with self.lock:
            if self.held is None:
                self.held = []

    def release_deliveries(self):
        "Make the callbacks held, in this thread: their HTTP statuses"
        with self.lock:
            held, self.held = self.held or [], []
        return [self.deliver(w, f) for w, f in held]

    def deliver(self, webhook, flow, timestamp=None, signature=None,
            timeout=5, delay=0):
        """POST the flow signed to the callback URL of webhook; the HTTP
        status, or None when the call failed (the poll catches up)"""
        import requests
        if delay:
            time.sleep(delay)
        payload = json.dumps(self.public(flow)).encode('utf-8')
        if timestamp is None:
            timestamp = int(time.time())
        if signature is None:
            signature = self.sign(webhook['signingKey'], payload, timestamp)
        headers = {
            'Content-Type': 'application/json',
            'Afnor-Signature': signature,
            'Afnor-Signature-Timestamp': str(timestamp),
            }
        status = error = None
        try:
            if self.transport:
                status = self.transport(
                    webhook['callbackUrl'], payload, headers, timeout)
            else:
                status = requests.post(webhook['callbackUrl'], data=payload,
                    headers=headers, timeout=timeout).status_code
        except requests.RequestException as exception:
            error = exception.__class__.__name__
        with self.lock:
            self.deliveries.append({
                    'webhookId': webhook['webhookId'],
                    'flowId': flow['flowId'],
                    'status': status,
                    'error': error,
                    })
            self.delivered.notify_all()
        return status

    def wait_deliveries(self, count, timeout=10):
        "Wait until count callbacks were made; the deliveries"
        with self.lock:
            self.delivered.wait_for(
                lambda: len(self.deliveries) >= count, timeout=timeout)
            return list(self.deliveries)


# The demo: the platform as a process, its flows kept in a file, and a
# scripted lifecycle

class DemoLifecycle:
    """The statuses the demo's platform issues by itself, the same at every
    run: each invoice deposited is made available some seconds later, then
    one in five is refused by the buyer and one in five approved and its
    payment transmitted"""
    # Seconds after the invoice is seen (at the start for the invoices
    # already there); two seconds more for each next invoice
    MADE_AVAILABLE = 10
    DECIDED = 25
    PAID = 40
    STAGGER = 2

    def __init__(self, server, state=None):
        self.server = server
        self.state = state
        self.done = set()
        self.seen = {}
        self._saved = None

    def plan(self, index):
        "[(seconds, code, add_status keywords)] of the index-th invoice"
        offset = self.STAGGER * index
        steps = [(self.MADE_AVAILABLE + offset, '203', {})]
        if index % 5 == 1:
            steps.append((self.DECIDED + offset, '210', {
                        'reason_code': 'CMD_ERR',
                        'reason': "Prix non conforme à la commande",
                        'sender': ('BY', None, None),
                        }))
        elif index % 5 == 3:
            steps.append((self.DECIDED + offset, '205', {
                        'sender': ('BY', None, None)}))
            steps.append((self.PAID + offset, '211', {
                        'sender': ('BY', None, None)}))
        return steps

    def deposited(self):
        "The invoice flows, in the order of their upload"
        # The module sends only the invoices its validator passed: each is
        # déposée
        return self.server.invoices()

    def tick(self):
        now = time.monotonic()
        for index, flow in enumerate(self.deposited()):
            seen = self.seen.setdefault(flow['flowId'], now)
            for delay, code, kwargs in self.plan(index):
                key = (flow['flowId'], code)
                if key in self.done or now < seen + delay:
                    continue
                self.server.add_status(flow, code, **kwargs)
                self.done.add(key)
                print('%s: %s %s' % (
                        _iso(dt.datetime.utcnow()), flow['invoice']['number'],
                        code), flush=True)
        self.save()

    def run(self):
        while True:
            try:
                self.tick()
            except Exception as exception:
                print('lifecycle: %r' % exception, flush=True)
            time.sleep(0.5)

    # The file of the flows: the demo database is built by one run of the
    # platform and served beside another

    def save(self):
        import pickle
        server = self.server
        if not self.state:
            return
        with server.lock:
            version = (len(server.order), tuple(server.webhooks),
                len(self.done))
            if version == self._saved:
                return
            data = pickle.dumps({
                    'flows': server.flows,
                    'order': server.order,
                    'webhooks': server.webhooks,
                    'clock': server.clock,
                    'done': self.done,
                    })
        with open(self.state + '.new', 'wb') as fp:
            fp.write(data)
        os.replace(self.state + '.new', self.state)
        self._saved = version

    def load(self):
        import pickle
        if not self.state or not os.path.exists(self.state):
            return
        with open(self.state, 'rb') as fp:
            data = pickle.load(fp)
        server = self.server
        with server.lock:
            server.flows = data['flows']
            server.order = data['order']
            server.webhooks = data['webhooks']
            server.clock = data['clock']
        self.done = data['done']


def main():
    import argparse
    import signal
    parser = argparse.ArgumentParser(
        description="The local e-invoicing platform (PA) on 127.0.0.1")
    parser.add_argument('--port', type=int, default=8282)
    parser.add_argument('--client-id', default='sale-chain-demo')
    parser.add_argument('--client-secret', default='demo-secret',
        help="the OAuth2 client secret of the account (a local demo's)")
    parser.add_argument('--state',
        help="the file where the flows and the webhooks are kept")
    parser.add_argument('--no-lifecycle', action='store_true',
        help="no scripted statuses after the déposée")
    args = parser.parse_args()

    server = PlatformServer(
        client_id=args.client_id, client_secret=args.client_secret)
    lifecycle = DemoLifecycle(server, state=args.state)
    lifecycle.load()
    # The upload's transaction is committed when the seller fetches the
    # déposée it was told of
    server.delivery_delay = 2
    # The demo's trytond may start after the platform
    server.delivery_retries = 12
    server.start(args.port)
    if server.openapi_missing:
        print('no OpenAPI validation: %s' % server.openapi_missing,
            flush=True)
    print('platform on %s (%s flows, %s webhooks)' % (
            server.url, len(server.flows), len(server.webhooks)),
        flush=True)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    try:
        if args.no_lifecycle:
            while True:
                time.sleep(0.5)
                lifecycle.save()
        else:
            lifecycle.run()
    except KeyboardInterrupt:
        pass
    finally:
        lifecycle.save()
        server.stop()


if __name__ == '__main__':
    main()
