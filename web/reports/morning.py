"""The team leader's morning report: one team's day (yesterday, by default) per agent, for the
morning meeting, as the reports page shows it and as XLSX and PDF to take along.

Per agent: time logged in (every state but logged out), paused by reason, talk time, dials,
connects, sales and their amount against the day's target; the team's totals below. The figures
are the reports page's own (``services.volume`` and the state log clipped to the day): one
definition of each. Days are UTC days, as on the reports page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.enums import AgentState
from store.models import Agent, AgentStateLog, Team, User
from web.reports.services import ClippedStates, Period, volume

NO_REASON = "no reason given"


@dataclass
class AgentDay:
    name: str
    logged_in_s: int = 0
    paused_s: dict[str, int] = field(default_factory=dict)  # by reason
    talk_s: int = 0
    dials: int = 0
    connects: int = 0
    sales: int = 0
    amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class MorningReport:
    team: str
    day: date
    target_per_agent: Decimal
    agents: list[AgentDay]

    @property
    def reasons(self) -> list[str]:
        """The pause reasons anyone used that day, as columns."""
        return sorted({reason for a in self.agents for reason in a.paused_s})

    @property
    def total(self) -> AgentDay:
        total = AgentDay("Team total")
        for a in self.agents:
            total.logged_in_s += a.logged_in_s
            total.talk_s += a.talk_s
            total.dials += a.dials
            total.connects += a.connects
            total.sales += a.sales
            total.amount += a.amount
            for reason, seconds in a.paused_s.items():
                total.paused_s[reason] = total.paused_s.get(reason, 0) + seconds
        return total

    @property
    def target(self) -> Decimal:
        """The team's target: each agent who logged in that day owes the per-agent target."""
        return self.target_per_agent * sum(1 for a in self.agents if a.logged_in_s > 0)

    def table(self) -> tuple[list[str], list[list[object]]]:
        """Header and rows (agents, then the total) for the spreadsheet and the PDF."""
        reasons = self.reasons
        header = ["Agent", "Logged in", *(f"Paused: {r}" for r in reasons), "Talk time", "Dials", "Connects",
                  "Sales", "Amount"]
        rows = [[a.name, hms(a.logged_in_s), *(hms(a.paused_s.get(r, 0)) for r in reasons),
                 hms(a.talk_s), a.dials, a.connects, a.sales, a.amount] for a in [*self.agents, self.total]]
        return header, rows


def hms(seconds: int) -> str:
    """A report's durations: ``h:mm:ss`` always (the live pages' ``clock`` drops the hours under one,
    as ``live.js`` counts on), in the pages (the ``hms`` filter) and the XLSX and PDF alike."""
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def morning_report(session: Session, team: Team, day: date, target_per_agent: Decimal) -> MorningReport:
    """``team``'s ``day``: every agent of the team, with or without activity."""
    period, scope = Period(day, day), frozenset({team.id})
    names = session.scalars(select(User.username).join(Agent.user).where(Agent.team_id == team.id)
                            .order_by(User.username)).all()
    agents = {name: AgentDay(name) for name in names}
    for row in volume(session, period, "agent", False, scope):
        a = agents.setdefault(row["name"], AgentDay(row["name"]))
        a.talk_s, a.dials, a.connects = row["talk_s"], row["dials"], row["connects"]
        a.sales, a.amount = row["sales"], row["amount"]
    for name, state, reason, seconds in _state_times(session, period, team.id):
        a = agents.setdefault(name, AgentDay(name))
        a.logged_in_s += seconds
        if state is AgentState.PAUSED:
            key = reason or NO_REASON
            a.paused_s[key] = a.paused_s.get(key, 0) + seconds
    return MorningReport(team.name, day, target_per_agent, list(agents.values()))


def _state_times(session: Session, period: Period, team_id: int) -> list[tuple[str, AgentState, str, int]]:
    """(agent, state, reason, seconds) of the team's agents while logged in during ``period``."""
    clip = ClippedStates(session, period)
    query = (select(User.username, AgentStateLog.state, AgentStateLog.reason, func.sum(clip.seconds))
             .select_from(AgentStateLog).join(Agent, Agent.id == AgentStateLog.agent_id)
             .join(User, User.id == Agent.user_id)
             .where(Agent.team_id == team_id, AgentStateLog.state != AgentState.LOGGED_OUT, clip.overlaps)
             .group_by(User.username, AgentStateLog.state, AgentStateLog.reason))
    totals: dict[tuple[str, AgentState, str], int] = defaultdict(int)
    for name, state, reason, seconds in session.execute(query):
        totals[(name, state, reason or "")] += round(float(seconds or 0))
    return [(name, state, reason, seconds) for (name, state, reason), seconds in totals.items()]
