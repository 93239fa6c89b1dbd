"""Inbound hotline figures for the reports page, aggregated in SQL on both databases.

Definitions (over inbound calls that started in the period):
* offered: callers the queue took (turned away outside business hours are counted apart, as closed);
* answered: by a hotline seat or an overflow agent; **service level**: the share of offered callers
  answered within :data:`SERVICE_LEVEL_S` of waiting (the industry's 80/20 figure, with abandons in
  the denominator, so hanging up in the queue counts against it);
* **ASA** (average speed of answer): the mean wait of the answered callers;
* abandoned: hung up while waiting; voicemail and callback: sent on after the route's longest wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from store.enums import CallDirection, QueueOutcome
from store.models import Agent, Call, InboundRoute, User
from web.auth.roles import within
from web.reports.services import Period, seconds_between

SERVICE_LEVEL_S = 20
ANSWERED = (QueueOutcome.ANSWERED, QueueOutcome.OVERFLOW)


@dataclass(frozen=True)
class RouteFigures:
    route: str
    offered: int
    answered: int
    by_overflow: int
    within_sl: int
    abandoned: int
    voicemail: int
    callback: int
    closed: int
    asa_s: float | None

    @property
    def service_level(self) -> float | None:
        return self.within_sl / self.offered if self.offered else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None


def count_if(condition: Any) -> Any:
    """How many rows meet ``condition`` (0, not NULL, over none): a SUM that both databases run."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def by_route(session: Session, period: Period) -> list[RouteFigures]:
    """One row per route that had callers in the period (a deleted route's callers under its DID)."""
    outcome, wait = Call.queue_outcome, Call.queue_wait_s
    name = func.coalesce(InboundRoute.name, Call.callee)
    query = (
        select(name, count_if(outcome.is_not(None) & (outcome != QueueOutcome.CLOSED)),
               count_if(outcome.in_(ANSWERED)), count_if(outcome == QueueOutcome.OVERFLOW),
               count_if(outcome.in_(ANSWERED) & (wait <= SERVICE_LEVEL_S)),
               count_if(outcome == QueueOutcome.ABANDONED), count_if(outcome == QueueOutcome.VOICEMAIL),
               count_if(outcome == QueueOutcome.CALLBACK), count_if(outcome == QueueOutcome.CLOSED),
               func.avg(case((outcome.in_(ANSWERED), wait))))
        .select_from(Call).outerjoin(InboundRoute, InboundRoute.id == Call.route_id)
        .where(Call.direction == CallDirection.INBOUND, Call.started_at >= period.start,
               Call.started_at < period.end)
        .group_by(name).order_by(name))
    rows = []
    for route, offered, answered, overflow, within_sl, abandoned, voicemail, callback, closed, asa in (
            session.execute(query)):
        rows.append(RouteFigures(str(route), int(offered), int(answered), int(overflow), int(within_sl),
                                 int(abandoned), int(voicemail), int(callback), int(closed),
                                 None if asa is None else float(asa)))
    return rows


def by_agent(session: Session, period: Period, teams: frozenset[int] | None) -> list[dict[str, Any]]:
    """Inbound calls each agent answered and their talk time (next to the outbound volume table);
    ``teams``: the caller's scope."""
    talk = seconds_between(session, Call.answered_at, Call.ended_at)
    query = (
        select(User.username, func.count(), count_if(Call.queue_outcome == QueueOutcome.OVERFLOW),
               func.coalesce(func.sum(case((Call.ended_at.is_not(None), talk), else_=0)), 0))
        .select_from(Call).join(Agent, Agent.id == Call.agent_id).join(User, User.id == Agent.user_id)
        .where(Call.direction == CallDirection.INBOUND, Call.answered_at.is_not(None),
               Call.started_at >= period.start, Call.started_at < period.end)
        .where(within(teams, Agent.team_id))
        .group_by(User.username).order_by(User.username))
    return [{"name": name, "answered": answered, "as_overflow": int(overflow),
             "talk_s": round(Decimal(str(seconds or 0)))}
            for name, answered, overflow, seconds in session.execute(query)]
