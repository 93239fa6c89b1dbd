"""Opening a complaint ticket, wherever it is opened from (the tickets page, the agent panel).

Who may open one is the core's (``orchestrator.quality.tickets.MAY``); a ticket about a call takes the
call's team and agent (the call log's agent, ``CALL_AGENT``), so the team leader of whoever took
the call sees it, and the customer's number from the call when none is typed. Every step, wherever it
is taken (the tickets page, the return visit's disposition in the agent panel), is :func:`take_step`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from orchestrator.quality import tickets as path
from store.models import Ticket, TicketEvent, User
from store.tickets import new_ticket
from web.auth import audit
from web.quality.services import CallView

MAX_TEXT = 4000


class TicketError(ValueError):
    """Refused, with the reason for the person who asked."""


def open_ticket(
    session: Session,
    by: User,
    subject: str,
    description: str,
    phone: str,
    view: CallView | None,
    now: datetime,
) -> Ticket:
    """A new ticket, answered (its first step) by ``by``, about ``view``'s call if given."""
    subject = subject.strip()
    if "\x00" in subject + description + phone:
        raise TicketError("the text holds a NUL character: type it again as plain text")
    if not subject or len(subject) > 200:
        raise TicketError("a complaint needs a subject of at most 200 characters")
    if not path.may(path.State.ANSWERED, by.role.value):
        raise TicketError(f"a {by.role.value.replace('_', ' ')} cannot open a complaint")
    call = view.call if view is not None else None
    return new_ticket(session, subject=subject, description=description.strip()[:MAX_TEXT],
                      phone=phone.strip()[:64] or (call.customer if call is not None else ""), at=now,
                      by_id=by.id, note="opened", call_id=call.id if call is not None else None,
                      team_id=view.team_id if view is not None else None,
                      agent_id=view.agent_id if view is not None else None)


def overdue_now(now: datetime) -> ColumnElement[bool]:
    """The WHERE clause of tickets waiting in their state longer than its SLA (``tickets.SLA``)."""
    return or_(
        *(and_(Ticket.state == state, Ticket.state_since < now - limit) for state, limit in path.SLA.items())
    )


def take_step(session: Session, ticket: Ticket, target: path.State, by_id: int, now: datetime, note: str = "",
              call_id: int | None = None) -> None:
    """Move ``ticket`` into ``target`` (``path.check_step`` passed), stamped and audited; an escalation was
    about the step just taken, so it ends (the next step's SLA starts now)."""
    ticket.state, ticket.state_since = target, now
    ticket.escalation = ticket.escalated_to_id = None
    ticket.events.append(TicketEvent(state=target, by_id=by_id, at=now, note=note[:MAX_TEXT],
                                     call_id=call_id))
    audit.record(session, f"ticket.{target.value}", "ticket", ticket.id,
                 **({"call": call_id} if call_id else {}))
