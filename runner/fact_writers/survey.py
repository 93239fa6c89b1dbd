"""The post-call survey (``orchestrator.quality.survey``): one ``survey_answers`` row per customer sent to
it, the keys once answered, and a complaint ticket for a low score.

The row takes the call as the call log has it (an outbound call by its attempt, an inbound one by
the PBX's call id) and the agent's team at the time. A low score opens a ticket as the tickets
page would (its first step, ``answered``, stamped with the time), about that call, its agent and
team, with nobody as its author: the audit says "survey".
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.quality import survey as sv
from runner.fact_writers import Target, writes
from runner.times import to_dt
from store import models as m
from store.enums import CallDirection
from store.tickets import new_ticket

#: Who opened a ticket from a low score, in the audit log and on the ticket's first step.
ACTOR = "survey"


def _call(s: Session, fact: sv.SurveyOffered) -> m.Call | None:
    if fact.campaign_id is not None:
        return s.scalar(select(m.Call).where(m.Call.attempt_id == uuid.UUID(fact.call_ref)))
    return s.scalar(select(m.Call).where(m.Call.pbx_call_id == fact.call_ref,
                                         m.Call.direction == CallDirection.INBOUND))


@writes(sv.SurveyOffered)
def offered(to: Target, s: Session, fact: sv.SurveyOffered) -> None:
    call, agent = _call(s, fact), s.get(m.Agent, fact.agent_id)
    route = s.get(m.InboundRoute, fact.queue_id) if fact.queue_id is not None else None
    s.add(m.SurveyAnswer(
        call_id=call.id if call is not None else None,
        attempt_id=uuid.UUID(fact.call_ref) if fact.campaign_id is not None else None,
        pbx_call_id="" if fact.campaign_id is not None else fact.call_ref[:64],
        channel_id=fact.channel_id, node_id=to.node_id,
        agent_id=agent.id if agent is not None else None,
        team_id=agent.team_id if agent is not None else None,
        campaign_id=fact.campaign_id, route_id=route.id if route is not None else None,
        offered_at=to_dt(fact.at)))


@writes(sv.SurveyAnswered)
def answered(to: Target, s: Session, fact: sv.SurveyAnswered) -> None:
    row = s.scalar(select(m.SurveyAnswer).where(m.SurveyAnswer.channel_id == fact.channel_id,
                                                m.SurveyAnswer.answered_at.is_(None))
                   .order_by(m.SurveyAnswer.id.desc()).limit(1))
    if row is None:  # the offer was written by a runner before a restart that lost the row: nothing to tie to
        return
    row.answered_at, row.score, row.second = to_dt(fact.at), fact.score, fact.second
    if fact.low:
        row.ticket_id = _open_ticket(s, row, fact)


def _open_ticket(s: Session, row: m.SurveyAnswer, fact: sv.SurveyAnswered) -> int:
    """A complaint about the call, as if taken by the tickets page; audited as opened by the survey."""
    at, call = to_dt(fact.at), row.call
    asked = f"; second question: {fact.second} of 5" if fact.second is not None else ""
    ticket = new_ticket(
        s, subject=f"Low survey score: {fact.score} of 5",
        description=f"The customer rated the call {fact.score} of 5 in the post-call survey{asked}.",
        phone=call.customer[:64] if call is not None else "", at=at, by_id=None, note="opened by the survey",
        call_id=row.call_id, team_id=row.team_id, agent_id=row.agent_id)
    s.add(m.AuditLog(user_id=None, actor=ACTOR, action="ticket.open", target_type="ticket",
                     target_id=str(ticket.id),
                     details={"call": row.call_id, "by": ACTOR, "score": fact.score}))
    return ticket.id
