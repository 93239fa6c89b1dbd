"""The agent panel's blind transfer: hand the customer to a READY colleague on the same PBX node.

The web checks what it can see (the agent is on a call, the target is another agent READY on a
seat of the same node) so the agent gets a clear answer at once, then queues a ``transfer`` desk
request; the node's runner asks its agent pool again at that moment (``orchestrator.node.transfer``)
and refuses, with the reason on the panel, if things changed meanwhile. Every request is audited.

After the transfer the call is the receiving agent's (their panel pops it, their disposition is
the call's); the first agent keeps the call on screen for their part: a disposition and notes kept
on the transfer row (:func:`dispose_part`), which also ends their wrap-up. The sale, if any, is
entered by the agent who has the call now.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import desk_queue
from store.enums import AgentState, DeskCommand
from store.models import Agent, Attempt, CallTransfer, DeskRequest, Disposition, Seat
from store.types import utcnow
from web.auth import audit

#: How long after a transfer its first agent still has their part on screen to classify.
PART_OPEN = timedelta(hours=2)


class TransferError(ValueError):
    """A transfer (or a part's disposition) that cannot be done; the message is for the agent."""


def targets(session: Session, agent: Agent) -> list[Agent]:
    """Agents READY on a seat of the agent's node, other than the agent: who may take the call."""
    if agent.seat is None:
        return []
    query = (select(Agent).join(Seat, Agent.seat_id == Seat.id)
             .where(Seat.node_id == agent.seat.node_id, Agent.id != agent.id, Agent.state == AgentState.READY)
             .order_by(Agent.id))
    return list(session.scalars(query))


def request(session: Session, agent: Agent, to_agent_id: int | None, confirmed: bool,
            user_id: int | None) -> tuple[DeskRequest, Agent]:
    """Queue the transfer of ``agent``'s customer to ``to_agent_id``; nothing is written if refused."""
    if agent.state is not AgentState.ON_CALL or agent.seat is None:
        raise TransferError("you are not on a call")
    target = session.get(Agent, to_agent_id) if to_agent_id is not None else None
    if target is None:
        raise TransferError("choose the agent to transfer the call to")
    name = target.user.username if target.user is not None else f"agent {target.id}"
    if target.id == agent.id:
        raise TransferError("the call is yours already: choose another agent")
    if target.seat is None or target.seat.node_id != agent.seat.node_id:
        raise TransferError(f"{name} is not on a seat of your PBX node")
    if target.state is not AgentState.READY:
        raise TransferError(f"{name} is not ready (they are {target.state.value.replace('_', ' ')})")
    if not confirmed:
        raise TransferError(f"tick 'confirm' to hand the customer to {name}")
    command = desk_queue.enqueue(session, DeskRequest(
        kind=DeskCommand.TRANSFER, node_id=agent.seat.node_id, agent_id=agent.id, created_by_id=user_id,
        payload={"to_agent_id": target.id}))
    audit.record(session, "call.transfer", "agent", agent.id, to_agent=target.id, to=name, request=command.id)
    return command, target


def open_part(session: Session, agent: Agent) -> CallTransfer | None:
    """The latest call ``agent`` handed on whose part they have not classified yet (recent only)."""
    return session.scalars(
        select(CallTransfer)
        .where(CallTransfer.from_agent_id == agent.id, CallTransfer.from_disposition_id.is_(None),
               CallTransfer.attempt_id.is_not(None), CallTransfer.at >= utcnow() - PART_OPEN)
        .order_by(CallTransfer.id.desc()).limit(1)).first()


def part_of(session: Session, agent: Agent, attempt: Attempt) -> CallTransfer | None:
    """The transfer of ``attempt`` by ``agent`` whose part is still theirs to classify."""
    part = open_part(session, agent)
    return part if part is not None and part.attempt_id == attempt.id else None


def dispose_part(session: Session, agent: Agent, part: CallTransfer, disposition: Disposition, notes: str,
                 has_lines: bool, user_id: int | None) -> None:
    """The first agent's disposition of their part: kept on the transfer, their wrap-up ends."""
    if has_lines:
        raise TransferError("the sale is entered by the agent who has the call now: no order lines here")
    part.from_disposition_id, part.from_notes = disposition.id, notes[:2000]
    if agent.state is AgentState.WRAP_UP and agent.seat is not None:
        desk_queue.enqueue(session, DeskRequest(
            kind=DeskCommand.AGENT_STATE, node_id=agent.seat.node_id, agent_id=agent.id,
            created_by_id=user_id, payload={"state": AgentState.READY.value}))
