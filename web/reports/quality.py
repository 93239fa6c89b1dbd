"""Quality figures for the reports page: QA scores week by week, and complaints by state.

* QA score: the average ``qa_scores.percent`` of the calls of each week (Monday to Sunday, the
  sampling week, ``orchestrator.quality.sampling.week_of``) started in the period, per agent (the
  report per agent) or per team (any other report); the agent and team are the score's, kept as at
  the call. Weeks are summed in Python over the period's scores (a few per agent per week) so both
  databases run the same query.
* Complaints: the tickets opened in the period by their state now, and how many of them are overdue
  on their current step (``web.quality.complaints.overdue_now``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from orchestrator.quality import tickets as path
from orchestrator.quality.sampling import week_of
from store.models import Agent, Call, QaScore, Team, Ticket, User
from web.auth.roles import within
from web.quality.complaints import overdue_now
from web.reports.inbound import count_if
from web.reports.services import Period


def qa_weekly(session: Session, period: Period, group: str,
              teams: frozenset[int] | None) -> list[dict[str, Any]]:
    """Rows (week, name, average score %, scores) in week then name order; per agent or per team."""
    if group == "agent":
        name: Any = func.coalesce(User.username, literal("(no agent)"))
    else:
        name = func.coalesce(Team.name, literal("(no team)"))
    query = (
        select(Call.started_at, name, QaScore.percent)
        .select_from(QaScore).join(Call, Call.id == QaScore.call_id)
        .outerjoin(Agent, Agent.id == QaScore.agent_id).outerjoin(User, User.id == Agent.user_id)
        .outerjoin(Team, Team.id == QaScore.team_id)
        .where(Call.started_at >= period.start, Call.started_at < period.end, within(teams, QaScore.team_id))
    )
    scores: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for started_at, who, percent in session.execute(query):
        scores[(week_of(started_at.date()).isoformat(), str(who))].append(percent)
    return [{"week": week, "name": who, "score": round(float(sum(p) / len(p)), 1), "scores": len(p)}
            for (week, who), p in sorted(scores.items())]


def tickets_by_state(session: Session, period: Period, teams: frozenset[int] | None,
                     now: datetime) -> list[dict[str, Any]]:
    """Per state (in the path's order) the tickets opened in the period now in it: on time and overdue."""
    query = (
        select(Ticket.state, func.count(), count_if(overdue_now(now)))
        .where(Ticket.created_at >= period.start, Ticket.created_at < period.end,
               within(teams, Ticket.team_id))
        .group_by(Ticket.state)
    )
    counts = {state: (int(n), int(late)) for state, n, late in session.execute(query)}
    return [{"state": path.LABEL[state], "on_time": n - late, "overdue": late}
            for state in path.PATH if state in counts for n, late in [counts[state]]]
