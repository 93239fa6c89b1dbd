"""What Kannel calls: delivery reports (the ``dlr-url`` of each message) and replies (its sms-service).

Kannel authenticates with the ``sms_secret`` in the path (it can send no
cookie and no CSRF token, hence a blueprint of its own, exempt from CSRF). A
reply that asks to stop (``STOP``, ``退订`` ...) puts the sender's number on the
global do-not-call list, which the sender checks before every message.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, request

from orchestrator.messaging.policy import is_opt_out
from store import messaging as store
from web.db import db
from web.http import int_or_none
from web.leads.importer import normalise

bp = Blueprint("sms_callbacks", __name__, url_prefix="/sms")


def _check(token: str) -> None:
    secret = current_app.config["SWITCHBOARD_SETTINGS"].sms_secret
    if not secret or not hmac.compare_digest(token.encode(), secret.encode()):
        abort(404)


@bp.get("/dlr/<token>")
def delivery_report(token: str):
    _check(token)
    message_id, report_type = int_or_none(request.args.get("id")), int_or_none(request.args.get("type"))
    if message_id is None or report_type is None:
        abort(400)
    session = db()
    if not store.record_report(session, message_id, report_type, datetime.now(UTC)):
        abort(404)
    session.commit()
    return "ok"


@bp.get("/mo/<token>")
def reply(token: str):
    _check(token)
    phone, text = request.args.get("from", "").strip(), request.args.get("text", "")
    if not phone:
        abort(400)
    if is_opt_out(text):
        number = normalise(phone, current_app.config["SWITCHBOARD_SETTINGS"].sms_region)
        if isinstance(number, str):  # Kannel logs the answer: nobody is put on the list by guesswork
            abort(400, description=f"sender {phone[:32]!r}: {number}")
        session = db()
        store.opt_out(session, number.phone, f"SMS reply: {text}")
        session.commit()
    return ""  # nothing to send back
