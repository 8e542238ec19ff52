# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The route the e-invoicing platform calls back (its webhook) when a
lifecycle flow arrives: the signature and its age are checked, then the
flow is fetched by a task as the poll would"""
import json
import logging

from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, with_pool, with_transaction)
from trytond.wsgi import app

from .einvoice_platform import WEBHOOK_PATH

logger = logging.getLogger(__name__)


@app.route('/<database_name>' + WEBHOOK_PATH % '<int:platform>',
    methods={'POST'})
@with_pool
@with_transaction(context={'_skip_warnings': True})
def einvoice_notify(request, pool, platform):
    Platform = pool.get('account.einvoice.platform')
    try:
        timestamp = int(request.headers['Afnor-Signature-Timestamp'])
    except (KeyError, ValueError):
        abort(HTTPStatus.BAD_REQUEST)
    signature = request.headers.get('Afnor-Signature', '')
    platforms = Platform.search([
            ('id', '=', platform),
            ('webhook_signing_key', '!=', None),
            ], limit=1)
    if not platforms:
        abort(HTTPStatus.NOT_FOUND)
    platform, = platforms
    payload = request.get_data()
    check = platform.webhook_verify(payload, timestamp, signature)
    if check != 'ok':
        # Neither the payload nor the signature: a forger learns nothing
        logger.warning(
            "webhook of platform %s refused: %s", platform.id, check)
        abort(HTTPStatus.UNAUTHORIZED)
    try:
        flow = json.loads(payload)
        flow_id = flow['flowId']
    except (ValueError, TypeError, KeyError):
        abort(HTTPStatus.BAD_REQUEST)
    if (flow.get('flowType') == 'CustomerInvoiceLC'
            and flow.get('flowDirection') == 'In' and flow_id):
        # A task: run by a worker when there is one (the platform is
        # answered at once), else right after the commit
        Platform.__queue__.einvoice_fetch_flow([platform], str(flow_id))
    return Response(status=HTTPStatus.OK)
