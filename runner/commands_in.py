"""Command rows the web writes (the database is the bus) -> the core's desk inputs.

Kinds this runner understands (``commands.kind``; ids in the row's columns,
the rest in ``payload``):

``agent_login``   agent_id, campaign_id: the agent starts on their seat (``agents.seat_id``),
                  which must be on this node.
``agent_state``   agent_id, payload ``{"state": "ready"|"paused"|"logged_out", "reason": "..."}``.
``agent_logout``  agent_id: same as ``agent_state`` logged_out.
``preview_dial``  agent_id, campaign_id, lead_id (a lead the web claimed for the agent).
``disposition``   agent_id, campaign_id, payload ``{"attempt_id", "code", "final": true,
                  "callback_at": epoch seconds or null}``.

Each command is taken by exactly one runner (``FOR UPDATE SKIP LOCKED``) and
marked done when handed to the core, or failed with the reason shown to the
user. Campaign state is not a command: runners follow ``campaigns.desired_state``.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.dialer.inputs import AgentLogin, Disposition, PreviewDial
from orchestrator.events import AgentState, AgentStateChanged, Event
from orchestrator.safe import UnsafeValue
from runner.leads_port import core_leads
from runner.times import to_dt
from store import command_queue
from store import models as m
from store.enums import AgentState as StoreAgentState
from store.enums import LeadStatus
from store.leads import PREVIEW_CLAIMER

BATCH = 50


class Refused(ValueError):
    """The command cannot be carried out; the message is for the user."""


@dataclass(frozen=True)
class Taken:
    command_id: int
    event: Event


def take_inputs(session: Session, node_id: int, now: float, *, taken_by: str,
                running: Container[int] | None = None) -> list[Taken]:
    """Take pending commands for this node, translate them, mark them done or failed.

    ``running``: the campaigns this runner dials (asked once per command, so it may load a
    campaign started a moment ago); a command for another one fails with that reason.
    """
    out = []
    for command in command_queue.take(session, node_id, BATCH, to_dt(now), taken_by=taken_by):
        try:
            if running is not None and command.campaign_id is not None and command.campaign_id not in running:
                raise Refused(f"{command.kind}: campaign {command.campaign_id} is not running on this node")
            out.append(Taken(command.id, translate(session, command, node_id, now)))
        except (Refused, UnsafeValue, KeyError, ValueError, TypeError) as exc:
            command_queue.finish(session, command, to_dt(now), error=str(exc) or type(exc).__name__)
        else:
            command_queue.finish(session, command, to_dt(now))
    return out


def translate(session: Session, command: m.Command, node_id: int, now: float) -> Event:
    payload = command.payload or {}
    agent = session.get(m.Agent, command.agent_id) if command.agent_id is not None else None
    if agent is None:
        raise Refused(f"{command.kind}: unknown agent")
    match command.kind:
        case "agent_login":
            seat = agent.seat
            if seat is None or seat.node_id != node_id or command.campaign_id is None:
                raise Refused("agent_login: the agent has no seat on this node, or no campaign")
            if _seat_in_use(session, seat.id, agent.id):
                raise Refused(f"agent_login: seat {seat.extension} is in use by another agent")
            return AgentLogin(now, command.campaign_id, agent.id, seat.extension)
        case "agent_state":
            state = AgentState(payload["state"])
            if state not in (AgentState.READY, AgentState.PAUSED, AgentState.LOGGED_OUT):
                raise Refused(f"agent_state: an agent cannot ask to be {state.value}")
            return AgentStateChanged(now, agent.id, state, str(payload.get("reason", "")))
        case "agent_logout":
            return AgentStateChanged(now, agent.id, AgentState.LOGGED_OUT, str(payload.get("reason", "")))
        case "preview_dial":
            lead = session.get(m.Lead, command.lead_id) if command.lead_id is not None else None
            if lead is None or command.campaign_id is None:
                raise Refused("preview_dial: unknown lead or campaign")
            if lead.status is not LeadStatus.DIALING or lead.claimed_by != PREVIEW_CLAIMER.format(agent.id):
                raise Refused("preview_dial: the lead is no longer held for this agent (the preview expired)")
            return PreviewDial(now, command.campaign_id, agent.id, core_leads(session, [lead], now)[0])
        case "disposition":
            if command.campaign_id is None:
                raise Refused("disposition: no campaign")
            callback = payload.get("callback_at")
            return Disposition(now, command.campaign_id, agent.id, str(payload["attempt_id"]),
                               str(payload["code"]), float(callback) if callback is not None else None,
                               bool(payload.get("final", True)))
    raise Refused(f"unknown command kind {command.kind!r}")


def _seat_in_use(session: Session, seat_id: int, agent_id: int) -> bool:
    """Another agent is logged in at that seat: two agents never share one phone."""
    other = select(m.Agent.id).where(m.Agent.seat_id == seat_id, m.Agent.id != agent_id,
                                     m.Agent.state != StoreAgentState.LOGGED_OUT)
    return session.scalar(other.limit(1)) is not None
