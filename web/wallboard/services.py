"""The wallboard snapshot, computed from the tables the runners write.

Abandon rate follows the US definition (abandons / live answers) per
campaign over its own window and over 24 h / 30 days; UK estimated AMD false
positives are the runner's business and are not re-estimated here.
Every query is bounded by an index (open attempts, state log, attempt time).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from orchestrator.store.enums import AgentState, CampaignState, Outcome
from orchestrator.store.models import Agent, Attempt, Campaign, User

HOURS_SHOWN = 12
LIVE = (Outcome.CONNECTED, Outcome.ABANDONED)
WORKING = (AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)


def snapshot(session: Session, now: datetime) -> dict[str, Any]:
    agents = session.execute(
        select(User.username, Agent.state, Agent.state_since, Agent.team_id)
        .join(Agent.user)
        .order_by(User.username)
    ).all()
    by_state = Counter(state.value for _, state, _, _ in agents)
    open_attempts = session.execute(
        select(Attempt.campaign_id, Attempt.answered_at, Attempt.bridged_at).where(Attempt.ended_at.is_(None))
    ).all()
    ringing = sum(1 for _, answered, _ in open_attempts if answered is None)
    waiting = sum(1 for _, answered, bridged in open_attempts if answered is not None and bridged is None)
    return {
        "now": now.isoformat(),
        "agents": [
            {
                "name": name,
                "state": state.value,
                "team_id": team,
                "seconds": int((now - since).total_seconds()) if since else None,
            }
            for name, state, since, team in agents
        ],
        "agents_by_state": {s.value: by_state.get(s.value, 0) for s in AgentState},
        "ringing": ringing,
        "waiting": waiting,
        "campaigns": _campaigns(session, now, open_attempts),
        "calls_per_hour": calls_per_hour(session, now),
    }


def _abandon(session: Session, campaign_ids: list[int], since: datetime) -> dict[int, tuple[int, int]]:
    """campaign -> (abandons, live answers) since ``since``."""
    if not campaign_ids:
        return {}
    rows = session.execute(
        select(
            Attempt.campaign_id,
            func.sum(case((Attempt.outcome == Outcome.ABANDONED, 1), else_=0)),
            func.sum(case((Attempt.outcome.in_(LIVE), 1), else_=0)),
        )
        .where(Attempt.campaign_id.in_(campaign_ids), Attempt.created_at >= since)
        .group_by(Attempt.campaign_id)
    ).all()
    return {cid: (int(a or 0), int(live or 0)) for cid, a, live in rows}


def _rate(pair: tuple[int, int] | None) -> float:
    abandons, live = pair or (0, 0)
    return abandons / live if live else 0.0


def _campaigns(session: Session, now: datetime, open_attempts: list[Any]) -> list[dict[str, Any]]:
    campaigns = session.scalars(
        select(Campaign).where(Campaign.desired_state != CampaignState.STOPPED).order_by(Campaign.name)
    ).all()
    ids = [c.id for c in campaigns]
    day = _abandon(session, ids, now - timedelta(days=1))
    month = _abandon(session, ids, now - timedelta(days=30))
    in_flight = Counter(cid for cid, _, _ in open_attempts)
    working = Counter(
        team for (team,) in session.execute(select(Agent.team_id).where(Agent.state.in_(WORKING)))
    )
    out = []
    for c in campaigns:
        team_ids = [t.id for t in c.teams]
        agents = sum(working[t] for t in team_ids) if team_ids else sum(working.values())
        out.append(
            {
                "id": c.id,
                "name": c.name,
                "mode": c.mode.value,
                "state": c.desired_state.value,
                "cap": float(c.abandon_cap),
                "window_s": c.abandon_window_s,
                "abandon_24h": _rate(day.get(c.id)),
                "abandon_30d": _rate(month.get(c.id)),
                "in_flight": in_flight.get(c.id, 0),
                "agents": agents,
                "dial_level": round(in_flight.get(c.id, 0) / agents, 2) if agents else 0.0,
            }
        )
    return out


def calls_per_hour(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Attempts and connects per hour for the last ``HOURS_SHOWN`` hours (oldest first)."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS_SHOWN - 1)
    hour_index = hours_since(session, Attempt.created_at, start)
    dials: Counter[int] = Counter()
    connects: Counter[int] = Counter()
    for idx, n, c in session.execute(
        select(hour_index, func.count(), func.count(Attempt.bridged_at))
        .where(Attempt.created_at >= start)
        .group_by(hour_index)
    ):
        dials[int(idx)] += n
        connects[int(idx)] += c
    return [
        {"hour": (start + timedelta(hours=i)).strftime("%H:00"), "dials": dials[i], "connects": connects[i]}
        for i in range(HOURS_SHOWN)
    ]


def hours_since(session: Session, column: Any, start: datetime) -> Any:
    """Whole hours from ``start`` to ``column`` as SQL, on both databases (UTC)."""
    if session.get_bind().dialect.name == "sqlite":
        naive = start.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
        return cast((func.julianday(column) - func.julianday(naive)) * 24, Integer)
    return func.floor(func.extract("epoch", column - start) / 3600)
