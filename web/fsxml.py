"""mod_xml_curl endpoint: FreeSWITCH fetches seats (directory) and our routes (dialplan).

Authenticated with HTTP basic auth as the PBX node: user = node name, password =
the node's secret (set the same pair in xml_curl.conf.xml `gateway-credentials`).
CSRF does not apply (a machine client, no browser session); the app exempts it.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request
from sqlalchemy import select

from provisioning import freeswitch
from provisioning.seats import SeatConf
from store.enums import PbxKind
from store.models import PbxNode, Seat
from web.db import db

bp = Blueprint("fsxml", __name__, url_prefix="/freeswitch")


def _node() -> PbxNode | None:
    auth = request.authorization
    if auth is None or not auth.username or not auth.password:
        return None
    node = db().scalar(select(PbxNode).where(PbxNode.name == auth.username,
                                             PbxNode.kind == PbxKind.FREESWITCH, PbxNode.enabled))
    if node is None or not node.secret or not hmac.compare_digest(node.secret, auth.password):
        return None
    return node


@bp.post("/xml")
def xml() -> Response:
    node = _node()
    if node is None:
        return Response("authentication required\n", 401,
                        {"WWW-Authenticate": 'Basic realm="switchboard-freeswitch"'})
    seats = db().scalars(select(Seat).where(Seat.node_id == node.id, Seat.enabled)).all()
    body = freeswitch.answer(request.form, [SeatConf(s.extension, s.secret) for s in seats])
    return Response(body, 200, mimetype="text/xml")
