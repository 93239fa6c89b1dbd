"""mod_xml_curl endpoint: FreeSWITCH fetches seats (directory) and our routes (dialplan).

Authenticated with HTTP basic auth as the PBX node: user = node name, password =
the node's secret (set the same pair in xml_curl.conf.xml `gateway-credentials`).
CSRF does not apply (a machine client, no browser session); the app exempts it.
"""

from __future__ import annotations

import hmac
from dataclasses import replace

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from provisioning import freeswitch, ivr, prompts
from provisioning.seats import SeatConf
from store.enums import PbxKind
from store.models import PbxNode, Seat
from web.auth import audit, throttle
from web.db import db, sealer
from web.seats.views import gateways_dir
from web.trunks import services as trunks

bp = Blueprint("fsxml", __name__, url_prefix="/freeswitch")


def _node(username: str, password: str) -> PbxNode | None:
    node = db().scalar(select(PbxNode).where(PbxNode.name == username,
                                             PbxNode.kind == PbxKind.FREESWITCH, PbxNode.enabled))
    # Compared as UTF-8 bytes: any password (non-ASCII too) is just wrong, never an error.
    sent, kept = password.encode(), (sealer().open(node.secret) if node else "").encode()
    if node is None or not kept or not hmac.compare_digest(kept, sent):
        return None
    return node


def _refuse(status: int, headers: dict[str, str]) -> Response:
    return Response("authentication required\n" if status == 401 else "too many failed attempts\n",
                    status, headers)


@bp.post("/xml")
def xml() -> Response:
    """Failed attempts count per node name and per address (the seats' passwords are behind it)."""
    auth = request.authorization
    username, password = (auth.username or "", auth.password or "") if auth else ("", "")
    counters = throttle.keys("fsxml", username, request.remote_addr)
    limiter = throttle.throttle()
    blocked = limiter.wait(counters)
    if blocked is not None:
        throttle.refused(blocked[0])
        return _refuse(429, {"Retry-After": str(blocked[1])})
    node = _node(username, password) if username and password else None
    if node is None:
        engaged = limiter.failed(counters)
        if engaged:
            for key in engaged:
                audit.record(db(), "fsxml.throttled", key.scope, key.who)
            db().commit()
        return _refuse(401, {"WWW-Authenticate": 'Basic realm="switchboard-freeswitch"'})
    # A remote seat is an outside number dialed through a trunk: no directory user.
    seats = db().scalars(select(Seat).where(Seat.node_id == node.id, Seat.enabled,
                                            Seat.remote_number == "")).all()
    params = current_app.config["DIALPLAN_PARAMS"]
    prompts_dir = str(gateways_dir(node).parent / prompts.FREESWITCH_PROMPTS)
    params = replace(params, fax_numbers_g711=trunks.g711_numbers(db(), node, params.fax_numbers),
                     ivr=ivr.node_plan(db(), node.id, prompts_dir))
    body = freeswitch.answer(request.form, [SeatConf(s.extension, sealer().open(s.secret)) for s in seats],
                             params)
    return Response(body, 200, mimetype="text/xml")
