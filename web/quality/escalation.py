"""Escalating overdue complaint tickets: the scheduler's job, and who they were escalated to.

When and to which level is the core's (``orchestrator.quality.tickets.escalation_due``,
``escalate_to``); this module finds the people (the assignee's team leader; the directors) and writes
the escalation: on the ticket (the badge, "my escalations"), as an event of its history ("escalated to
…"), and in the audit log. Running it again changes nothing until a ticket is due a higher level, so the
job may run as often as it likes, twice after an outage, or late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from orchestrator.quality import tickets as path
from store.enums import TicketEventKind, UserRole
from store.models import Agent, Team, Ticket, TicketEvent, User
from web.auth import audit


def team_leader(session: Session, ticket: Ticket) -> User | None:
    """Whom a late step is told first: the leader of the assignee's team when the assignee is an agent,
    else of the ticket's team (its call's agent's); nobody when that is the assignee themself."""
    team_id = session.scalar(select(Agent.team_id).where(Agent.user_id == ticket.assignee_id)) \
        if ticket.assignee_id is not None else None
    team_id = team_id or ticket.team_id
    leader = session.scalar(select(User).join(Team, Team.leader_id == User.id)
                            .where(Team.id == team_id, User.active.is_(True))) if team_id else None
    return leader if leader is not None and leader.id != ticket.assignee_id else None


def _due_a_level(now: datetime, policy: path.EscalationPolicy) -> ColumnElement[bool]:
    """The WHERE clause of the tickets the core may raise now (it decides each): overdue and told nobody
    yet, or told their team leader and overdue past the policy's further period. The others, told
    already as far as they are due, are not even read: most of the minute's runs read nothing."""
    def at(state: path.State, limit: timedelta) -> ColumnElement[bool]:
        told_nobody = and_(Ticket.escalation.is_(None), Ticket.state_since < now - limit)
        director_due = and_(Ticket.escalation == path.Escalation.TEAM_LEADER,
                            Ticket.state_since < now - limit - policy.after(state))
        return and_(Ticket.state == state, or_(told_nobody, director_due))

    return or_(*(at(state, limit) for state, limit in path.SLA.items()))


def escalate_overdue(session: Session, now: datetime, policy: path.EscalationPolicy) -> int:
    """Escalate every ticket overdue on its step as far as it is due by ``now``; how many were raised."""
    late = session.scalars(select(Ticket).where(_due_a_level(now, policy))
                           .options(selectinload(Ticket.events)).order_by(Ticket.id))
    raised = 0
    for ticket in late:
        wanted = path.escalation_due(ticket.state, ticket.state_since, now, policy)
        if path.escalate_to(ticket.escalation, wanted) is None:
            continue  # told as far as it is due (a team leader or not, nothing changes)
        leader = team_leader(session, ticket)
        level = path.escalate_to(ticket.escalation, wanted, has_leader=leader is not None)
        if level is None:
            continue
        ticket.escalation = level
        if level is path.Escalation.TEAM_LEADER and leader is not None:
            ticket.escalated_to_id = leader.id  # kept once the directors are told: still among theirs
            who = f"{leader.username} (team leader)"
        else:
            who = "the directors"
        after = path.next_state(ticket.state)
        due = path.due(ticket.state, ticket.state_since) if ticket.state_since else None
        late_step = f"{path.LABEL[after]} was due {due:%Y-%m-%d %H:%M} UTC" if after and due else "overdue"
        ticket.events.append(TicketEvent(kind=TicketEventKind.ESCALATED, state=ticket.state, at=now,
                                         note=f"escalated to {who}: {late_step}"))
        audit.record(session, "ticket.escalated", "ticket", ticket.id, to=who, level=level.value)
        raised += 1
    return raised


def mine(user_id: int, role: UserRole) -> ColumnElement[bool]:
    """The WHERE clause of "my escalations": escalated to this team leader (also once the directors
    were told), or (a director) to the directors."""
    clause: ColumnElement[bool] = Ticket.escalated_to_id == user_id
    if role is UserRole.DIRECTOR:
        clause = or_(clause, Ticket.escalation == path.Escalation.DIRECTOR)
    return clause


#: Who has a "my escalations" filter and count: those escalations go to.
ESCALATED_TO = frozenset({UserRole.TEAM_LEADER, UserRole.DIRECTOR})


def count_mine(session: Session, user_id: int, role: UserRole) -> int:
    return session.scalar(select(func.count()).select_from(Ticket).where(mine(user_id, role))) or 0
