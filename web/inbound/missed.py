"""Missed callers: hotline callers past the longest wait who left a voicemail or asked to be called
back, listed until somebody follows them up.

The hotline is the centre's, not one team's, so the list is for the roles that see every team's
calls (``team_scope() is None``). Following up is one click, audited; it only marks the call
(who, when): calling back is done from a phone or a campaign as usual.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from store.enums import CallDirection, QueueOutcome
from store.models import Call, InboundRoute, Lead, User
from store.types import utcnow
from web.agent.inbound import known_caller
from web.auth import audit
from web.auth.roles import Perm, requires, team_scope
from web.db import db
from web.http import finish, get_or_404

bp = Blueprint("missed", __name__, url_prefix="/inbound/missed")
#: The outcomes that wait for a follow-up.
MISSED = (QueueOutcome.VOICEMAIL, QueueOutcome.CALLBACK)
#: Rows on the page (newest first); older ones are in the call log.
LIMIT = 500


@dataclass(frozen=True)
class Missed:
    call: Call
    route: InboundRoute | None
    lead: Lead | None  # the caller's lead, when we know the number
    followed_up_by: str  # "" while open


def missed_callers(session: Session, *, done: bool) -> list[Missed]:
    """Open (or, with ``done``, followed-up) missed callers, newest first, with their recordings."""
    followed = Call.followed_up_at.is_not(None) if done else Call.followed_up_at.is_(None)
    calls = session.scalars(
        select(Call).options(selectinload(Call.recordings))
        .where(Call.direction == CallDirection.INBOUND, Call.queue_outcome.in_(MISSED), followed)
        .order_by(Call.started_at.desc()).limit(LIMIT)).all()
    routes = {r.id: r for r in session.scalars(select(InboundRoute))}
    who = {c.followed_up_by for c in calls if c.followed_up_by is not None}
    names = session.execute(select(User.id, User.username).where(User.id.in_(who)))
    users = {uid: name for uid, name in names}
    return [Missed(c, routes.get(c.route_id) if c.route_id else None, known_caller(session, c.caller),
                   users.get(c.followed_up_by, "") if c.followed_up_by else "") for c in calls]


def _centre_wide() -> None:
    if team_scope() is not None:
        abort(403)  # a team's view: the hotline's callers are nobody's team


@bp.get("")
@requires(Perm.CALLS)
def index():
    _centre_wide()
    done = request.args.get("show") == "done"
    return render_template("inbound/missed.html", rows=missed_callers(db(), done=done), done=done)


@bp.post("/<int:call_id>/done")
@requires(Perm.CALLS)
def follow_up(call_id: int):
    _centre_wide()
    session = db()
    call = get_or_404(Call, call_id)
    if call.direction is not CallDirection.INBOUND or call.queue_outcome not in MISSED:
        return finish("missed.index", f"call {call_id} is not a missed caller")
    if call.followed_up_at is not None:
        return finish("missed.index", f"{call.caller} was followed up already")
    call.followed_up_at, call.followed_up_by = utcnow(), current_user.id
    audit.record(session, "missed_caller.follow_up", "call", call.id, caller=call.caller,
                 outcome=call.queue_outcome.value)
    return finish("missed.index", ok=f"{call.caller or 'The caller'} marked as followed up.")
