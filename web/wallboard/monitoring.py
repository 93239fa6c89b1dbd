"""Live monitoring from the wallboard: a team leader's request becomes an audited session and a
desk request for the runner of the agent's node (which calls the team leader's phone).

Who may monitor whom is the wallboard's own scope (``web.auth.roles.team_scope``): an agent of a
team the user leads, or anyone for a role with every team. The seat is the team leader's phone:
one of the seats they may use on the agent's node, not a phone an agent is logged in at.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.monitor import MonitorMode
from store import desk_queue
from store.enums import AgentState, DeskCommand
from store.models import Agent, DeskRequest, MonitorSession, Seat
from web.auth.roles import within
from web.auth.services import Identity

#: Sessions shown on the wallboard.
RECENT = 20


class MonitorError(ValueError):
    """The request cannot be made; the message is for the team leader."""


class OutOfScope(MonitorError):
    """The agent is not in a team the user may monitor (a 403, not a form error)."""


@dataclass(frozen=True)
class MonitorAsk:
    agent_id: int
    mode: str
    seat_id: int


def phones(session: Session, teams: frozenset[int] | None) -> list[Seat]:
    """The seats a team leader may monitor from: enabled SIP seats (a remote one is not dialed as a
    seat), of their teams, no agent logged in there."""
    in_use = select(Agent.seat_id).where(Agent.state != AgentState.LOGGED_OUT, Agent.seat_id.is_not(None))
    query = select(Seat).where(Seat.enabled, Seat.remote_number == "", within(teams, Seat.team_id),
                               Seat.id.not_in(in_use))
    return list(session.scalars(query.order_by(Seat.node_id, Seat.extension)))


def start(session: Session, user: Identity, teams: frozenset[int] | None, ask: MonitorAsk) -> MonitorSession:
    """Write the session and its desk request (the caller commits both, or neither)."""
    try:
        mode = MonitorMode(ask.mode)
    except ValueError:
        raise MonitorError(f"unknown monitoring mode {ask.mode[:16]!r}") from None
    agent = session.get(Agent, ask.agent_id)
    if agent is None:
        raise MonitorError("no such agent")
    if teams is not None and agent.team_id not in teams:
        raise OutOfScope(f"{agent.user.username} is not in a team you lead")
    if agent.state is not AgentState.ON_CALL or agent.seat is None:
        raise MonitorError(f"{agent.user.username} is not on a call")
    seat = next((s for s in phones(session, teams) if s.id == ask.seat_id), None)
    if seat is None:
        raise MonitorError("choose your phone: a free seat of your team")
    if seat.node_id != agent.seat.node_id:
        raise MonitorError(f"seat {seat.extension} is on another PBX node than {agent.user.username}'s phone")
    row = MonitorSession(
        supervisor_id=user.id,
        supervisor=user.username,
        agent_id=agent.id,
        seat_id=seat.id,
        node_id=seat.node_id,
        mode=mode,
    )
    session.add(row)
    session.flush()
    desk_queue.enqueue(
        session,
        DeskRequest(
            kind=DeskCommand.MONITOR,
            node_id=seat.node_id,
            agent_id=agent.id,
            created_by_id=user.id,
            payload={"session_id": row.id},
        ),
    )
    return row


def recent(session: Session, teams: frozenset[int] | None) -> list[MonitorSession]:
    """The last sessions on agents in scope, newest first (the audit a team leader sees)."""
    query = select(MonitorSession).join(Agent, MonitorSession.agent_id == Agent.id)
    query = query.where(within(teams, Agent.team_id)).order_by(MonitorSession.id.desc()).limit(RECENT)
    return list(session.scalars(query))
