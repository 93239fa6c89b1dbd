"""Complaint tickets: opened from a call (or by hand), moved one step at a time along the fixed path.

Which step comes next and which role may take it are the core's (``orchestrator.quality.tickets``);
this module checks the reader's scope (a team leader sees the tickets of the teams they lead; anyone
those assigned or escalated to them, an agent only those), stamps each step with who and when
(``ticket_events``) and audits it. Escalation is the scheduler's (``web.quality.escalation``), the
return visit the dialer's (``web.quality.visits``).
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import ColumnElement, or_, select

from orchestrator.quality import tickets as path
from store.enums import UserRole
from store.models import Agent, Ticket, User
from store.types import utcnow
from web.agent.services import AgentError, browser_time
from web.auth import audit
from web.auth.roles import ROLE_PERMS, Perm, can, requires, team_scope, within
from web.db import db
from web.http import finish, int_or_none
from web.quality import escalation, visits
from web.quality.complaints import TicketError, open_ticket, overdue_now, take_step
from web.quality.services import call_in_scope

bp = Blueprint("tickets", __name__, url_prefix="/tickets")


def _visible() -> ColumnElement[bool]:
    """The tickets the reader may see: their teams' (every team's with ALL_TEAMS) if they handle
    complaints, and whatever is assigned or escalated to them."""
    mine = or_(Ticket.assignee_id == current_user.id, Ticket.escalated_to_id == current_user.id)
    return or_(within(team_scope(), Ticket.team_id), mine) if can(Perm.TICKETS) else mine


def _ticket(ticket_id: int) -> Ticket:
    ticket = db().scalars(select(Ticket).where(Ticket.id == ticket_id, _visible())).first()
    if ticket is None:
        abort(404)  # another team's complaint: as if it did not exist
    return ticket


def _assignable(ticket: Ticket) -> list[User]:
    """People a ticket can be assigned to: active users whose role handles tickets, and the agents of
    its team (of every team when it has none), who place its return visit from their panel."""
    roles = [r for r, perms in ROLE_PERMS.items() if Perm.TICKETS in perms]
    team = None if ticket.team_id is None else frozenset({ticket.team_id})
    agents = select(Agent.user_id).where(within(team, Agent.team_id))
    return list(db().scalars(select(User).where(User.active.is_(True),
                                                or_(User.role.in_(roles), User.id.in_(agents)))
                             .order_by(User.username)))


@bp.app_template_global()
def my_escalations() -> int:
    """For the nav: how many complaints are escalated to the reader (team leaders, directors)."""
    role = current_user.role
    return escalation.count_mine(db(), current_user.id, role) if role in escalation.ESCALATED_TO else 0


@bp.get("")
@requires(Perm.OWN_TICKETS)
def index():
    state, late, now = request.args.get("state", ""), request.args.get("overdue") == "1", utcnow()
    escalated = request.args.get("mine") == "1" and current_user.role in escalation.ESCALATED_TO
    query = select(Ticket).where(_visible())
    if escalated:
        query = query.where(escalation.mine(current_user.id, current_user.role))
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
                           due=path.due, overdue=path.overdue, now=now, escalated=escalated,
                           escalates_to_me=current_user.role in escalation.ESCALATED_TO)


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
@requires(Perm.OWN_TICKETS)
def show(ticket_id: int):
    ticket = _ticket(ticket_id)
    after = path.next_state(ticket.state)
    mine = ticket.assignee_id == current_user.id
    books_visit = after is path.State.RETURN_VISITED and mine
    return render_template("tickets/detail.html", t=ticket, after=after, label=path.LABEL, now=utcnow(),
                           due=path.due, overdue=path.overdue,
                           people=_assignable(ticket) if after is path.State.ASSIGNED else [],
                           may=after is not None and path.may(after, current_user.role.value, mine),
                           books_visit=books_visit,
                           visit_campaigns=visits.visit_campaigns(db(), current_user.agent_id)
                           if books_visit else [])


@bp.post("/<int:ticket_id>/visit")
@requires(Perm.OWN_TICKETS)
def visit(ticket_id: int):
    """The assignee books the return visit: a callback placed from their panel at that time."""
    session, form = db(), request.form
    ticket = _ticket(ticket_id)
    try:
        at = browser_time(form.get("at", ""), int_or_none(form.get("tz_offset_min")) or 0)
        if at is None:
            raise TicketError("when? give the return visit a date and time")
        visits.schedule_visit(session, ticket, current_user.id, current_user.agent_id,
                              int_or_none(form.get("campaign_id")), at, utcnow())
    except (TicketError, AgentError) as exc:
        return finish("tickets.show", exc, ticket_id=ticket_id)
    return finish("tickets.show", ok=f"Return visit booked for {at:%Y-%m-%d %H:%M} UTC: it comes to your "
                  "agent panel then.", ticket_id=ticket_id)


@bp.post("/<int:ticket_id>/step")
@requires(Perm.OWN_TICKETS)
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
    note = form.get("note", "").strip()
    if target is path.State.ASSIGNED:
        assignee = int_or_none(form.get("assignee_id"))
        department = form.get("department", "").strip()[:64]
        if assignee is not None and assignee not in {u.id for u in _assignable(ticket)}:
            return finish("tickets.show", "assign to someone who handles complaints", ticket_id=ticket_id)
        if assignee is None and not department:
            return finish("tickets.show", "assign the ticket to a person or a department",
                          ticket_id=ticket_id)
        ticket.assignee_id, ticket.department = assignee, department
    take_step(session, ticket, target, current_user.id, utcnow(), note)
    return finish("tickets.show", ok=f"Complaint {ticket.id} {path.LABEL[target]}.", ticket_id=ticket_id)
