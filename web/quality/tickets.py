"""Complaint tickets: opened from a call (or by hand), moved one step at a time along the fixed path.

Which step comes next and which role may take it are the core's (``orchestrator.quality.tickets``);
this module checks the reader's scope (a team leader sees the tickets of the teams they lead),
stamps each step with who and when (``ticket_events``) and audits it.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from orchestrator.quality import tickets as path
from store.enums import UserRole
from store.models import Ticket, TicketEvent, User
from store.types import utcnow
from web.auth import audit
from web.auth.roles import ROLE_PERMS, Perm, requires, team_scope, within
from web.db import db
from web.http import finish, get_or_404, int_or_none
from web.quality.complaints import MAX_TEXT, TicketError, open_ticket, overdue_now
from web.quality.services import call_in_scope

bp = Blueprint("tickets", __name__, url_prefix="/tickets")


def _ticket(ticket_id: int) -> Ticket:
    ticket = get_or_404(Ticket, ticket_id)
    scope = team_scope()
    if scope is not None and ticket.team_id not in scope:
        abort(404)  # another team's complaint: as if it did not exist
    return ticket


def _assignable() -> list[User]:
    """People a ticket can be assigned to: active users whose role handles tickets."""
    roles = [r for r, perms in ROLE_PERMS.items() if Perm.TICKETS in perms]
    return list(db().scalars(select(User).where(User.active.is_(True), User.role.in_(roles))
                             .order_by(User.username)))


@bp.get("")
@requires(Perm.TICKETS)
def index():
    state, late, now = request.args.get("state", ""), request.args.get("overdue") == "1", utcnow()
    query = select(Ticket).where(within(team_scope(), Ticket.team_id))
    if state:
        try:
            query = query.where(Ticket.state == path.State(state))
        except ValueError:
            abort(400, f"unknown state {state[:20]!r}")
    if late:
        query = query.where(overdue_now(now))
    rows = db().scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(500)).all()
    return render_template("tickets/index.html", tickets=rows, state=state, states=path.PATH, late=late,
                           label=path.LABEL, call_id=int_or_none(request.args.get("call_id")),
                           due=path.due, overdue=path.overdue, now=now)


@bp.post("")
@requires(Perm.TICKETS)
def create():
    session, form = db(), request.form
    if not path.may(path.State.ANSWERED, current_user.role.value):
        abort(403)
    call_id = int_or_none(form.get("call_id"))
    view = None
    if call_id is not None:
        view = call_in_scope(session, call_id, team_scope())
        if view is None:
            return finish("tickets.index", f"no call {call_id} that you may see")
    elif team_scope() is not None:
        return finish("tickets.index", "open a complaint from one of your team's calls (its call number)")
    try:
        ticket = open_ticket(session, current_user, form.get("subject", ""), form.get("description", ""),
                             form.get("phone", ""), view, utcnow())
    except TicketError as exc:
        return finish("tickets.index", exc)
    audit.record(session, "ticket.open", "ticket", ticket.id, call=call_id)
    return finish("tickets.show", ok=f"Complaint {ticket.id} opened.", ticket_id=ticket.id)


@bp.get("/<int:ticket_id>")
@requires(Perm.TICKETS)
def show(ticket_id: int):
    ticket = _ticket(ticket_id)
    after = path.next_state(ticket.state)
    return render_template("tickets/detail.html", t=ticket, after=after, label=path.LABEL, now=utcnow(),
                           due=path.due, overdue=path.overdue,
                           people=_assignable() if after is path.State.ASSIGNED else [],
                           may=after is not None and path.may(after, current_user.role.value,
                                                              ticket.assignee_id == current_user.id))


@bp.post("/<int:ticket_id>/step")
@requires(Perm.TICKETS)
def step(ticket_id: int):
    session, form = db(), request.form
    ticket = _ticket(ticket_id)
    try:
        target = path.State(form.get("to", ""))
    except ValueError:
        abort(400, "which step? (to=accepted, assigned, …)")
    role: UserRole = current_user.role
    try:
        path.check_step(ticket.state, target, role.value, ticket.assignee_id == current_user.id)
    except path.StepRefused as exc:
        return finish("tickets.show", f"Refused: {exc}.", ticket_id=ticket_id)
    note = form.get("note", "").strip()[:MAX_TEXT]
    if target is path.State.ASSIGNED:
        assignee = int_or_none(form.get("assignee_id"))
        department = form.get("department", "").strip()[:64]
        if assignee is not None and assignee not in {u.id for u in _assignable()}:
            return finish("tickets.show", "assign to someone who handles complaints", ticket_id=ticket_id)
        if assignee is None and not department:
            return finish("tickets.show", "assign the ticket to a person or a department",
                          ticket_id=ticket_id)
        ticket.assignee_id, ticket.department = assignee, department
    now = utcnow()
    ticket.state, ticket.state_since = target, now
    ticket.events.append(TicketEvent(state=target, by_id=current_user.id, at=now, note=note))
    audit.record(session, f"ticket.{target.value}", "ticket", ticket.id)
    return finish("tickets.show", ok=f"Complaint {ticket.id} {path.LABEL[target]}.", ticket_id=ticket_id)
