"""A complaint ticket's first row, wherever it is opened from: the tickets page and the agent panel
(``web.quality.complaints``, which first check who may open one) and the post-call survey's fact
writer (``runner.fact_writers.survey``, opened by no user)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store.models import Ticket, TicketEvent
from store.models.quality import TicketState


def new_ticket(session: Session, *, subject: str, description: str, phone: str, at: datetime,
               by_id: int | None, note: str, call_id: int | None = None, team_id: int | None = None,
               agent_id: int | None = None) -> Ticket:
    """A ticket in its first state, answered at ``at`` by ``by_id`` (None: not a person), with that
    step stamped in its history as ``note``; flushed, so it has its id."""
    ticket = Ticket(subject=subject, description=description, phone=phone, call_id=call_id, team_id=team_id,
                    agent_id=agent_id, created_by_id=by_id, state_since=at,
                    events=[TicketEvent(state=TicketState.ANSWERED, by_id=by_id, at=at, note=note)])
    session.add(ticket)
    session.flush()
    return ticket
