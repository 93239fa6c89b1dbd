"""QA reads and writes: a team-week's candidate calls, the stored sample, a call to score, scores.

Every query that returns calls, samples or scores takes the reader's scope (``team_scope``) and
puts it in its WHERE clause, as the call log does, so a team leader never loads another team's
rows; the decisions (which calls, what a score is) are the core's (``orchestrator.quality``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from orchestrator.quality import sampling
from orchestrator.quality.scorecard import Form, Result, from_json
from store.models import (
    Agent,
    Attempt,
    Call,
    Campaign,
    Disposition,
    QaPolicy,
    QaSample,
    QaScore,
    Recording,
    Scorecard,
    ScorecardVersion,
    Team,
    User,
)
from store.sales import sold_on_attempt
from store.types import utcnow
from web.auth.roles import within
from web.calls.services import CALL_AGENT


class QaError(ValueError):
    """Refused, with the reason for the person who asked."""


def policy_of(row: QaPolicy | None) -> sampling.Policy:
    """The core's policy from the stored row (None: the defaults)."""
    if row is None:
        return sampling.Policy()
    codes = frozenset(c.strip() for c in row.complaint_codes.split(",") if c.strip())
    return sampling.Policy(row.per_agent, row.short_s, row.long_s, row.sale_above, codes, row.due_days)


def _week_bounds(week: date) -> tuple[datetime, datetime]:
    start = datetime.combine(week, time(), UTC)
    return start, start + timedelta(days=7)


def candidates(session: Session, team_id: int, week: date) -> list[sampling.Candidate]:
    """The answered calls the team's agents took in the week (agent and team as now)."""
    start, end = _week_bounds(week)
    rows = session.execute(
        select(Call.id, Attempt.agent_id, Attempt.outcome, Call.answered_at, Call.ended_at, Disposition.code,
               sold_on_attempt())
        .join(Attempt, Attempt.id == Call.attempt_id)
        .join(Agent, Agent.id == Attempt.agent_id)
        .outerjoin(Disposition, Disposition.id == Attempt.disposition_id)
        .where(Agent.team_id == team_id, Call.started_at >= start, Call.started_at < end,
               Call.answered_at.is_not(None))
    ).all()
    return [
        sampling.Candidate(call_id, agent_id, outcome.value if outcome else "",
                           int((ended - answered).total_seconds()) if ended and answered else 0,
                           code or "", Decimal(amount or 0))
        for call_id, agent_id, outcome, answered, ended, code, amount in rows
    ]


def draw_sample(session: Session, team_id: int, day: date) -> sampling.Draw:
    """Draw and store the team's sample for the week holding ``day``; a week is drawn once."""
    week = sampling.week_of(day)
    already = session.scalar(select(func.count()).select_from(QaSample)
                             .where(QaSample.team_id == team_id, QaSample.week == week))
    if already:
        raise QaError(f"the week of {week} is drawn already ({already} calls): drawing again would change "
                      "a sample people are working on")
    policy = policy_of(session.scalar(select(QaPolicy).where(QaPolicy.team_id == team_id)))
    result = sampling.draw(policy, team_id, week, candidates(session, team_id, week))
    session.add_all(QaSample(team_id=team_id, week=week, call_id=p.call_id, agent_id=p.agent_id,
                             reason=p.reason, stratum=p.stratum, due_on=result.due_on) for p in result.picks)
    session.flush()
    return result


def work_list(session: Session, week: date, teams: frozenset[int] | None,
              team_id: int | None = None) -> list[dict[str, Any]]:
    """The samples of ``week`` in scope, with who has scored each call (none, the reader, others)."""
    scored = (select(func.count()).where(QaScore.call_id == QaSample.call_id).correlate(QaSample)
              .scalar_subquery())
    query = (
        select(QaSample, User.username, Team.name, Call.started_at, scored.label("scores"))
        .join(Team, Team.id == QaSample.team_id)
        .join(Call, Call.id == QaSample.call_id)
        .outerjoin(Agent, Agent.id == QaSample.agent_id)
        .outerjoin(User, User.id == Agent.user_id)
        .where(QaSample.week == week, within(teams, QaSample.team_id))
        .order_by(QaSample.due_on, Team.name, User.username, Call.started_at)
    )
    if team_id is not None:
        query = query.where(QaSample.team_id == team_id)
    today = utcnow().date()
    return [
        {"sample": s, "agent": agent or "", "team": team, "started_at": started, "scores": n,
         "overdue": n == 0 and s.due_on < today}
        for s, agent, team, started, n in session.execute(query)
    ]


@dataclass(frozen=True)
class CallView:
    """What the scoring page shows of a call."""

    call: Call
    agent_id: int | None
    agent: str
    team_id: int | None
    campaign: str
    outcome: str
    disposition: str
    notes: str
    amount: Decimal
    talk_s: int
    recording_id: int | None
    recording_status: str


def call_in_scope(session: Session, call_id: int, teams: frozenset[int] | None) -> CallView | None:
    """The call with its agent, disposition and recording, or None if absent or outside ``teams``.

    The agent is the call log's (``CALL_AGENT``): the attempt's, else an inbound call's own, so a
    complaint about an inbound call lands with the answering agent's team."""
    first_recording = (select(func.min(Recording.id)).where(Recording.call_id == Call.id).correlate(Call)
                       .scalar_subquery())
    row = session.execute(
        select(Call, CALL_AGENT, User.username, Agent.team_id, Campaign.name, Attempt.outcome,
               Disposition.label, Attempt.notes, sold_on_attempt(), first_recording)
        .outerjoin(Attempt, Attempt.id == Call.attempt_id)
        .outerjoin(Agent, Agent.id == CALL_AGENT)
        .outerjoin(User, User.id == Agent.user_id)
        .outerjoin(Campaign, Campaign.id == Call.campaign_id)
        .outerjoin(Disposition, Disposition.id == Attempt.disposition_id)
        .where(Call.id == call_id, within(teams, Agent.team_id))
    ).first()
    if row is None:
        return None
    call, agent_id, agent, team_id, campaign, outcome, disposition, notes, amount, rec = row
    status = session.scalar(select(Recording.status).where(Recording.id == rec)) if rec else None
    talk = talk_seconds(call)
    return CallView(call, agent_id, agent or "", team_id, campaign or "", outcome.value if outcome else "",
                    disposition or "", notes or "", Decimal(amount or 0), talk, rec,
                    status.value if status else "")


def talk_seconds(call: Call) -> int:
    """Answer to hang-up, whole seconds (0 for a call never answered or still going)."""
    if call.ended_at is None or call.answered_at is None:
        return 0
    return int((call.ended_at - call.answered_at).total_seconds())


def published(session: Session) -> list[ScorecardVersion]:
    """The latest published version of every scorecard, by name."""
    latest = (select(func.max(ScorecardVersion.number)).where(
        ScorecardVersion.scorecard_id == Scorecard.id, ScorecardVersion.published_at.is_not(None))
        .correlate(Scorecard).scalar_subquery())
    return list(session.scalars(
        select(ScorecardVersion).join(Scorecard).where(ScorecardVersion.number == latest)
        .order_by(Scorecard.name)))


def version_for(session: Session, team_id: int | None, scorecard_id: int | None) -> ScorecardVersion | None:
    """The version to score with: the chosen scorecard's, else the team policy's, else the only one."""
    versions = published(session)
    if scorecard_id is None and team_id is not None:
        scorecard_id = session.scalar(select(QaPolicy.scorecard_id).where(QaPolicy.team_id == team_id))
    if scorecard_id is not None:
        return next((v for v in versions if v.scorecard_id == scorecard_id), None)
    return versions[0] if len(versions) == 1 else None


def save_score(session: Session, view: CallView, version: ScorecardVersion, result: Result,
               answers: dict[str, str], notes: dict[str, str], comment: str, scorer_id: int) -> QaScore:
    if version.published_at is None:
        raise QaError("only a published form scores calls")
    mine = session.scalar(select(QaScore).where(QaScore.call_id == view.call.id,
                                                QaScore.scorer_id == scorer_id))
    if mine is not None:
        raise QaError(f"you scored this call already ({mine.percent} %, "
                      f"{mine.created_at:%Y-%m-%d %H:%M} UTC)")
    score = QaScore(version_id=version.id, call_id=view.call.id, agent_id=view.agent_id, team_id=view.team_id,
                    scorer_id=scorer_id, answers=answers, item_notes=notes, comment=comment,
                    percent=result.percent, failed_critical=result.failed)
    session.add(score)
    session.flush()
    return score


def scores_of_call(session: Session, call_id: int) -> list[tuple[QaScore, str]]:
    """Every score of a call with its scorer's name (the call's scope is checked by the caller)."""
    return [(s, name or "") for s, name in session.execute(
        select(QaScore, User.username).outerjoin(User, User.id == QaScore.scorer_id)
        .where(QaScore.call_id == call_id).order_by(QaScore.created_at, QaScore.id))]


def own_scores(session: Session, agent_id: int) -> list[QaScore]:
    return list(session.scalars(select(QaScore).where(QaScore.agent_id == agent_id)
                                .order_by(QaScore.created_at.desc(), QaScore.id.desc()).limit(200)))


def form_of(version: ScorecardVersion) -> Form:
    return from_json(version.form)


def has_scores(session: Session, version_id: int) -> bool:
    return bool(session.scalar(select(exists().where(QaScore.version_id == version_id))))
