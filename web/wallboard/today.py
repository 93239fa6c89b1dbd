"""Today's figures on the wallboard: each agent's talk, wrap-up and pause time, the inbound queues, the IVR.

The same definitions as the reports page (one of each): state times are the agent state log
clipped to the day (``ClippedStates``), queue figures are ``web.reports.inbound.by_route`` over
today; days are UTC days, as on the reports page. Callers waiting now are the inbound calls a
queue took and has not answered, sent on or seen end; one older than its route's longest wait
(plus a margin) is not counted: its queue would have sent it on, so its end was never seen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.enums import AgentState, CallDirection
from store.models import AgentStateLog, Call, InboundRoute
from web.inbound.services import MAX_WAIT_S
from web.reports.inbound import by_route
from web.reports.ivr import in_language, menu_use
from web.reports.services import ClippedStates, Period

#: The state each wallboard column sums.
TIMES = {"talk": AgentState.ON_CALL, "wrap": AgentState.WRAP_UP, "pause": AgentState.PAUSED}
#: A waiting caller older than their route's longest wait by this much was sent on unseen.
STALE_MARGIN_S = 60


def today(now: datetime) -> Period:
    return Period(now.date(), now.date())


def agent_times(session: Session, now: datetime, agent_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """agent -> seconds today in each of ``TIMES`` (0 for none)."""
    ids = list(agent_ids)
    times: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TIMES, 0))
    if not ids:
        return times
    clip = ClippedStates(session, today(now), now)
    column = {state: name for name, state in TIMES.items()}
    query = (select(AgentStateLog.agent_id, AgentStateLog.state, func.sum(clip.seconds))
             .where(AgentStateLog.agent_id.in_(ids), AgentStateLog.state.in_(column), clip.overlaps)
             .group_by(AgentStateLog.agent_id, AgentStateLog.state))
    for agent_id, state, seconds in session.execute(query):
        times[agent_id][column[state]] = round(float(seconds or 0))
    return times


def inbound_queues(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Per route with callers today or waiting now: waiting, the longest wait now, and today's offered,
    answered, service level, ASA and abandons."""
    waits: dict[str, list[float]] = defaultdict(list)
    # No route's longest wait is over MAX_WAIT_S: older rows are never counted as waiting.
    waiting = session.execute(
        select(InboundRoute.name, Call.started_at, InboundRoute.max_wait_s)
        .join(InboundRoute, InboundRoute.id == Call.route_id)
        .where(Call.direction == CallDirection.INBOUND, Call.queue_outcome.is_(None), Call.ended_at.is_(None),
               Call.started_at > now - timedelta(seconds=MAX_WAIT_S + STALE_MARGIN_S)))
    for name, started, max_wait_s in waiting:
        waited = (now - started).total_seconds()
        if waited <= max_wait_s + STALE_MARGIN_S:
            waits[name].append(max(0.0, waited))
    figures = {f.route: f for f in by_route(session, today(now))}
    rows = []
    for name in sorted(set(waits) | set(figures)):
        f = figures.get(name)
        rows.append({
            "route": name,
            "waiting": len(waits[name]),
            "longest_wait_s": round(max(waits[name], default=0.0)),
            "offered": f.offered if f else 0,
            "answered": f.answered if f else 0,
            "abandoned": f.abandoned if f else 0,
            "service_level": f.service_level if f else None,
            "asa_s": f.asa_s if f else None,
        })
    return rows


def ivr_today(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Each menu's callers today and what they did there (``web.reports.ivr``), as plain data."""
    return [{"menu": u.name, "callers": u.visits,
             "options": [{"option": o.option, "times": o.times} for o in u.options]}
            for u in in_language(menu_use(session, today(now)))]
