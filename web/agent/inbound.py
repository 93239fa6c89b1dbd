"""The agent panel's side of inbound calls: the caller on screen, matched to a known lead by number.

An inbound call's ``calls`` row names the agent who answered
(``runner.fact_writers.inbound``); it has an attempt, which the agent disposes of
as of an outbound call, when its route names a campaign. The caller's number is matched to
leads stored in E.164 (``+`` and digits) with or without the ``+`` a carrier
may drop; the newest lead with that number is shown, with its fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.enums import CallDirection
from store.inbound import answering, number_forms
from store.models import Agent, Call, InboundRoute, Lead


@dataclass(frozen=True)
class InboundOnScreen:
    call: Call
    lead: Lead | None  # None: a caller we do not know (or one who hid their number)


def current_inbound(session: Session, agent: Agent) -> InboundOnScreen | None:
    """The inbound call the agent is talking on, with the caller's lead if we know the number."""
    call = session.scalars(
        select(Call).where(Call.agent_id == agent.id, Call.direction == CallDirection.INBOUND,
                           Call.ended_at.is_(None), Call.answered_at.is_not(None))
        .order_by(Call.started_at.desc()).limit(1)).first()
    if call is None:
        return None
    return InboundOnScreen(call, known_caller(session, call.caller))


def known_caller(session: Session, number: str) -> Lead | None:
    forms = number_forms(number)
    if not forms:
        return None
    return session.scalars(select(Lead).where(Lead.phone.in_(forms))
                           .order_by(Lead.id.desc()).limit(1)).first()


def hotline_only(session: Session, agent: Agent) -> bool:
    """The agent is a hotline seat of an enabled inbound route (as the runner's ``answering`` reads the
    route): the panel offers them a log-in with no campaign."""
    return any(agent.id in answering(r)[0]
               for r in session.scalars(select(InboundRoute).where(InboundRoute.enabled.is_(True))))
