"""Agent panel: one page; actions are small POSTs that queue commands for the runner.

A status poll reloads the page when the runner reports a new state or call
(screen pop), so what the agent sees is what the PBX side did.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from orchestrator.store.enums import AgentState, CampaignMode
from orchestrator.store.models import Agent, Campaign
from web.agent import services
from web.agent.services import PAUSE_REASONS, AgentError, DispositionInput
from web.auth.roles import Perm, requires
from web.db import db
from web.http import bounded_int, get_or_404, in_range, int_or_none

bp = Blueprint("agent", __name__, url_prefix="/agent")


def _me() -> Agent:
    if current_user.agent_id is None:
        abort(403, "this user has no agent profile")
    return get_or_404(Agent, current_user.agent_id)


@bp.get("/")
@requires(Perm.AGENT_PANEL)
def panel():
    session = db()
    if current_user.agent_id is None:
        return render_template("agent/no_agent.html")
    agent = _me()
    attempt = services.current_attempt(session, agent)
    logged_out = agent.state is AgentState.LOGGED_OUT
    return render_template(
        "agent/panel.html",
        agent=agent,
        attempt=attempt,
        seats=services.free_seats(session, agent) if logged_out else [],
        campaigns=services.campaigns_for(session, agent) if logged_out else [],
        reasons=PAUSE_REASONS,
        preview_campaigns=services.campaigns_for(session, agent, CampaignMode.PREVIEW),
        preview=services.preview_lead(session, agent),
        commands=services.pending(session, agent),
        callbacks=services.my_callbacks(session, agent),
        status=_status(agent, attempt),
    )


def _status(agent: Agent, attempt) -> dict[str, object]:
    return {
        "state": agent.state.value,
        "attempt": str(attempt.id) if attempt else None,
        "bridged": bool(attempt and attempt.bridged_at),
        "ended": bool(attempt and attempt.ended_at),
    }


@bp.get("/status.json")
@requires(Perm.AGENT_PANEL)
def status():
    agent = _me()
    return jsonify(_status(agent, services.current_attempt(db(), agent)))


def _act(action, *args, ok: str = ""):
    session = db()
    try:
        action(session, _me(), *args)
    except AgentError as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        session.commit()
        if ok:
            flash(ok, "ok")
    return redirect(url_for("agent.panel"))


@bp.post("/login")
@requires(Perm.AGENT_PANEL)
def login():
    form = request.form
    seat_id, campaign_id = int_or_none(form.get("seat_id")) or 0, int_or_none(form.get("campaign_id")) or 0
    return _act(
        services.log_in, seat_id, campaign_id, current_user.id, ok="Logging in: your phone will ring."
    )


@bp.post("/logout")
@requires(Perm.AGENT_PANEL)
def logout():
    return _act(services.log_out, current_user.id)


@bp.post("/ready")
@requires(Perm.AGENT_PANEL)
def ready():
    return _act(services.set_ready, current_user.id)


@bp.post("/pause")
@requires(Perm.AGENT_PANEL)
def pause():
    return _act(services.pause, request.form.get("reason", ""), current_user.id)


@bp.post("/preview/next")
@requires(Perm.AGENT_PANEL)
def preview_next():
    session = db()
    campaign = get_or_404(Campaign, int_or_none(request.form.get("campaign_id")))
    try:
        lead = services.next_preview(session, _me(), campaign)
    except AgentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("agent.panel"))
    session.commit()
    if lead is None:
        flash("No lead is due in this campaign now.", "ok")
    return redirect(url_for("agent.panel"))


@bp.post("/preview/skip")
@requires(Perm.AGENT_PANEL)
def preview_skip():
    return _act(services.skip_preview)


@bp.post("/preview/dial")
@requires(Perm.AGENT_PANEL)
def preview_dial():
    return _act(services.dial_preview, current_user.id, ok="Dialing...")


@bp.post("/dispose")
@requires(Perm.AGENT_PANEL)
def dispose():
    form = request.form
    callback_at = None
    if form.get("callback_at"):
        try:
            local = datetime.fromisoformat(form["callback_at"])
        except ValueError:
            abort(400, "callback: not a date and time")
        in_range(local.date(), "callback")
        # The browser sends its local wall time and its offset from UTC (getTimezoneOffset, minutes).
        callback_at = local.replace(tzinfo=UTC) + timedelta(
            minutes=bounded_int(form.get("tz_offset_min"), "time zone offset", -1440, 1440, 0)
        )
    data = DispositionInput(
        attempt_id=form.get("attempt_id", ""),
        disposition_id=int_or_none(form.get("disposition_id")) or 0,
        amount=form.get("amount", ""),
        notes=form.get("notes", ""),
        callback_at=callback_at,
    )
    return _act(services.dispose, data, current_user.id, ok="Saved.")
