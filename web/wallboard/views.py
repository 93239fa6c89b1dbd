"""The wallboard page, its live part and its JSON snapshot.

The page listens to ``/wallboard/events`` (``web.live``): each time the board's
topic changes, htmx fetches ``/wallboard/board`` and swaps it in.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from store.enums import AgentState
from store.models import Agent, Team
from store.types import utcnow
from web.agent import services as agent_services
from web.auth import audit
from web.auth.roles import Perm, can, requires, team_scope, within
from web.db import db
from web.http import finish, get_or_404, int_or_none
from web.i18n import locale_name
from web.live import stream
from web.live.changes import BOARD
from web.wallboard import monitoring
from web.wallboard.services import move_targets, snapshot

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")


def _view() -> tuple[frozenset[int] | None, int | None, bool]:
    """What this board shows: its scope (the viewer's, narrowed to ``?team=`` when given: a team leader's
    one team, or a director's pick), the team picked, and ``?tv=1`` (the large mode for a wall screen:
    no menu, no buttons)."""
    scope, team = team_scope(), int_or_none(request.args.get("team"))
    if team is not None:
        if scope is not None and team not in scope:
            abort(404)
        scope = frozenset({team})
    return scope, team, request.args.get("tv") == "1"


def _snapshot(scope: frozenset[int] | None) -> dict[str, object]:
    target = Decimal(current_app.config["SWITCHBOARD_SETTINGS"].sales_target_per_agent_day)
    return snapshot(db(), utcnow(), scope, target)


@bp.get("/")
@requires(Perm.WALLBOARD)
def index():
    since = stream.hub().mark()  # before reading: a change while the page renders is caught up on
    scope, team, tv = _view()
    monitor = can(Perm.MONITOR) and not tv
    session = db()
    return render_template(
        "wallboard/index.html", s=_snapshot(scope), since=since, monitor=monitor, controls=not tv, tv=tv,
        team=team, teams=session.scalars(select(Team).where(within(team_scope(), Team.id))
                                         .order_by(Team.name)).all(),
        own_seat=_own_seat(), move_to=move_targets(session, scope),
        phones=monitoring.phones(session, scope) if monitor else [],
        sessions=monitoring.recent(session, scope) if monitor else [])


@bp.get("/board")
@requires(Perm.WALLBOARD)
def board():
    """The live part; the wallboards of one scope, view and language told of one change share one reading
    (so it holds nothing else of one viewer's: the monitoring buttons get the page's own CSRF token in
    wallboard.js)."""
    scope, _, tv = _view()
    monitor = can(Perm.MONITOR) and not tv
    key = ("board", None if scope is None else tuple(sorted(scope)), monitor, tv, locale_name())
    return stream.hub().shared(key, lambda: render_template("wallboard/_board.html", s=_snapshot(scope),
                                                             monitor=monitor, controls=not tv))


@bp.get("/events")
@requires(Perm.WALLBOARD)
def events():
    return stream.events([BOARD])


def _own_seat() -> int | None:
    """The seat the team leader is logged in with as an agent, if any: their phone by default."""
    agent = db().get(Agent, current_user.agent_id) if current_user.agent_id is not None else None
    return agent.seat_id if agent is not None else None


@bp.post("/monitor")
@requires(Perm.MONITOR)
def monitor():
    """Listen to, whisper to or barge in on an agent's call: the runner calls the chosen phone."""
    ask = monitoring.MonitorAsk(int_or_none(request.form.get("agent_id")) or 0,
                                request.form.get("mode", ""), int_or_none(request.form.get("seat_id")) or 0)
    session = db()
    try:
        row = monitoring.start(session, current_user, team_scope(), ask)
    except monitoring.OutOfScope:
        abort(403)
    except monitoring.MonitorError as exc:
        return finish("wallboard.index", exc)
    audit.record(session, "monitor.start", "agent", row.agent_id, mode=row.mode.value, seat=row.seat_id,
                 monitor_session=row.id)
    return finish("wallboard.index", ok=f"{row.mode.value}: your phone rings now; hang up to stop")


def _agent_in_scope(agent_id: int) -> Agent:
    """The agent, if the viewer's board shows them (a team leader: their own teams' agents)."""
    agent = get_or_404(Agent, agent_id)
    teams = team_scope()
    if teams is not None and agent.team_id not in teams:
        abort(403)  # another team's agent
    return agent


@bp.post("/agents/<int:agent_id>/force")
@requires(Perm.WALLBOARD)
def force(agent_id: int):
    """A supervisor (or the agent's team leader) pauses or logs an agent out, confirmed in the page."""
    session = db()
    agent = _agent_in_scope(agent_id)
    action = request.form.get("action", "")
    try:
        agent_services.force(session, agent, action, current_user.id)
    except agent_services.AgentError as exc:
        return finish("wallboard.index", exc)
    audit.record(session, f"agent.force_{action.replace(' ', '_')}", "agent", agent.id,
                 agent=agent.user.username, state=agent.state.value)
    return finish("wallboard.index", ok=f"{agent.user.username}: {action} {agent_services.when_free(agent)}")


@bp.post("/agents/<int:agent_id>/move")
@requires(Perm.WALLBOARD)
def move(agent_id: int):
    """A supervisor (or the agent's team leader) moves an agent to another campaign, confirmed in the
    page: after the call in progress (the old campaign's pacer stops counting on them first)."""
    session = db()
    agent = _agent_in_scope(agent_id)
    try:
        campaign = agent_services.move(session, agent, int_or_none(request.form.get("campaign_id")),
                                       current_user.id)
    except agent_services.AgentError as exc:
        return finish("wallboard.index", exc)
    audit.record(session, "agent.move", "agent", agent.id, agent=agent.user.username, campaign=campaign.id,
                 campaign_name=campaign.name, state=agent.state.value)
    when = "when their pause ends" if agent.state is AgentState.PAUSED else agent_services.when_free(agent)
    return finish("wallboard.index", ok=f"{agent.user.username}: moves to {campaign.name} {when}")


@bp.get("/snapshot.json")
@requires(Perm.WALLBOARD)
def snapshot_json():
    return jsonify(_snapshot(_view()[0]))
