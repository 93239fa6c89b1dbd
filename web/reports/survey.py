"""Satisfaction survey figures for the reports page, per agent, team or campaign, in SQL on both databases.

Definitions (over customers sent to the survey in the period, ``survey_answers.offered_at``):
* offered: customers kept on the line for the survey after their agent ended the call;
* answered: those who pressed a key 1-5 for the first question; **survey rate**: answered / offered;
* **CSAT**: the share of answers that are 4 or 5 (satisfied or very satisfied);
* low: answers that opened a complaint ticket (below the campaign's or route's threshold).
Per campaign, the surveys of inbound calls are listed under their inbound route. The team is the
agent's team when the call was surveyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from store.models import Agent, Campaign, InboundRoute, SurveyAnswer, Team, User
from web.auth.roles import within
from web.reports.inbound import count_if
from web.reports.services import Period

#: The report's groups this table has (per hour it has none).
GROUPS = ("agent", "team", "campaign")
SATISFIED = 4


@dataclass(frozen=True)
class SurveyFigures:
    name: str
    offered: int
    answered: int
    satisfied: int
    low: int
    average: float | None

    @property
    def rate(self) -> float | None:
        return self.answered / self.offered if self.offered else None

    @property
    def csat(self) -> float | None:
        return self.satisfied / self.answered if self.answered else None

    # As the chart shows them: percents to one decimal, as the table prints them (none: 0).
    @property
    def rate_percent(self) -> float:
        return round(self.rate * 100, 1) if self.rate is not None else 0.0

    @property
    def csat_percent(self) -> float:
        return round(self.csat * 100, 1) if self.csat is not None else 0.0


def _name(group: str) -> Any:
    if group == "agent":
        return func.coalesce(User.username, literal("(no agent)"))
    if group == "team":
        return func.coalesce(Team.name, literal("(no team)"))
    route = func.coalesce(InboundRoute.name, literal("(deleted route)"))
    return func.coalesce(Campaign.name, literal("inbound: ") + route)


def figures(session: Session, period: Period, group: str,
            teams: frozenset[int] | None) -> list[SurveyFigures]:
    """One row per agent, team or campaign with surveys in the period; ``teams``: the reader's scope."""
    if group not in GROUPS:
        return []
    name, score = _name(group), SurveyAnswer.score
    query = (
        select(name, func.count(), count_if(score.is_not(None)), count_if(score >= SATISFIED),
               count_if(SurveyAnswer.ticket_id.is_not(None)), func.avg(score))
        .select_from(SurveyAnswer)
        .outerjoin(Agent, Agent.id == SurveyAnswer.agent_id).outerjoin(User, User.id == Agent.user_id)
        .outerjoin(Team, Team.id == SurveyAnswer.team_id)
        .outerjoin(Campaign, Campaign.id == SurveyAnswer.campaign_id)
        .outerjoin(InboundRoute, InboundRoute.id == SurveyAnswer.route_id)
        .where(SurveyAnswer.offered_at >= period.start, SurveyAnswer.offered_at < period.end)
        .where(within(teams, SurveyAnswer.team_id))
        .group_by(name).order_by(name))
    return [SurveyFigures(str(n), int(offered), int(answered), int(satisfied), int(low),
                          None if average is None else float(average))
            for n, offered, answered, satisfied, low, average in session.execute(query)]
