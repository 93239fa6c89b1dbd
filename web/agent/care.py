"""The customer on the agent's screen: the call a complaint is about, and opening it from the panel.

The panel's complaint form is about the call on the agent's screen, else the last call they took
(customers often complain as the call ends, after the disposition is saved); the agent may open a
complaint about any call they took, and nobody else's. It is its own part of the panel
(``agent/_care.html``), re-rendered only when the call it is about changes, so what the agent types
survives the panel's polling.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Agent, Attempt, Call
from store.types import utcnow
from web.agent import inbound, services
from web.auth import audit
from web.auth.roles import Perm, requires
from web.calls.services import CALL_AGENT
from web.db import db
from web.http import get_or_404, int_or_none
from web.quality.complaints import TicketError, open_ticket
from web.quality.services import call_in_scope

bp = Blueprint("agent_care", __name__, url_prefix="/agent")
#: How far back the panel's complaint form looks for the agent's last call.
RECENT_CALL = timedelta(hours=4)


def call_on_screen(session: Session, agent: Agent) -> Call | None:
    """The call of the attempt on the agent's screen, else the inbound call they are talking on."""
    attempt = services.current_attempt(session, agent)
    if attempt is not None:
        return session.scalars(
            select(Call).where(Call.attempt_id == attempt.id).order_by(Call.id.desc()).limit(1)
        ).first()
    caller = inbound.current_inbound(session, agent)
    return caller.call if caller is not None else None


def last_call(session: Session, agent: Agent, now: datetime | None = None) -> Call | None:
    """The call on the agent's screen, else the last call they took in the last ``RECENT_CALL``.

    Bounded in time because the panel asks on every poll: the index on ``calls.started_at`` keeps it
    to the last hours' calls, however long the agent's history (a complaint comes as the call ends or
    soon after; older calls have the tickets page)."""
    since = (now or utcnow()) - RECENT_CALL
    return (
        call_on_screen(session, agent)
        or session.scalars(
            select(Call)
            .outerjoin(Attempt, Attempt.id == Call.attempt_id)
            .where(Call.started_at >= since, CALL_AGENT.in_([agent.id]))
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(1)
        ).first()
    )


def took(session: Session, agent: Agent, call_id: int) -> bool:
    """Whether the agent took this call (the call log's agent: the attempt's, else the call's own)."""
    taker = session.scalar(
        select(CALL_AGENT)
        .select_from(Call)
        .outerjoin(Attempt, Attempt.id == Call.attempt_id)
        .where(Call.id == call_id)
    )
    return taker == agent.id


def _answer(category: str, message: str, status: int = 200):
    if request.headers.get("HX-Request") == "true":
        return render_template("agent/_message.html", category=category, message=message), status
    flash(message, category)
    return redirect(url_for("agent.panel"))


@bp.post("/complaint")
@requires(Perm.AGENT_PANEL)
def complaint():
    """Open a complaint about one of the agent's calls; answered next to the form (htmx), keeping it."""
    session, form = db(), request.form
    if current_user.agent_id is None:
        abort(403, "this user has no agent profile")
    agent = get_or_404(Agent, current_user.agent_id)
    call_id = int_or_none(form.get("call_id"))
    if call_id is None or not took(session, agent, call_id):
        return _answer("error", "that call is not one you took", 422)
    view = call_in_scope(session, call_id, None)  # the agent's own call: no team scope to apply
    try:
        ticket = open_ticket(
            session, current_user, form.get("subject", ""), form.get("description", ""), "", view, utcnow()
        )
    except TicketError as exc:
        session.rollback()
        return _answer("error", str(exc), 422)
    audit.record(session, "ticket.open", "ticket", ticket.id, call=call_id)
    session.commit()
    return _answer("ok", f"Complaint {ticket.id} opened: your team leader takes it from here.")
