"""Desk requests the web writes (the database is the bus) -> the core's desk inputs.

One handler per ``DeskCommand`` kind, registered with :func:`handles`; ids are
in the row's columns, the rest in ``payload``:

``agent_login``   agent_id, campaign_id: the agent starts on their seat (``agents.seat_id``),
                  which must be on this node; with the inbound queues they overflow into
                  (``store.inbound``). No campaign: a hotline seat, for its queues only.
``agent_state``   agent_id, payload ``{"state": "ready"|"paused"|"logged_out", "reason": "..."}``.
``agent_logout``  agent_id: same as ``agent_state`` logged_out.
``agent_leaving`` agent_id, payload ``{"at": epoch seconds or null (after this call),
                  "state": "paused"|"logged_out", "reason": "..."}``: an announced break or
                  log-out; the pacer stops dialing for the agent before they go.
``agent_move``    agent_id, campaign_id (the campaign to move to, running here): after the
                  call in progress; the old campaign's pacer counts them as leaving first.
``preview_dial``  agent_id, campaign_id, lead_id (a lead the web claimed for the agent).
``end_call``      agent_id: the agent ends their call from the panel (the customer hears the survey
                  where the campaign or route asks one, else is hung up).
``transfer``      agent_id, payload ``{"to_agent_id"}``: a blind transfer of the agent's customer to a
                  READY agent of this node; the core decides (``orchestrator.node.transfer``), and
                  a refusal fails the request with its reason (``runner.fact_writers.transfers``).
``disposition``   agent_id, campaign_id, payload ``{"attempt_id", "code", "final": true,
                  "callback_at": epoch seconds or null}``; taken also when the campaign no
                  longer dials here (stopped since the call): then applied by this module.

Each request is taken by exactly one runner (``FOR UPDATE SKIP LOCKED``) and
marked done when handed to the core, or failed with the reason shown to the
user (a kind without a handler fails too). Campaign state is not a desk
request: runners follow ``campaigns.desired_state``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.dialer.callflow import disposition_facts
from orchestrator.dialer.inputs import (
    AgentLeaving,
    AgentLogin,
    AgentMove,
    Disposition,
    EndCall,
    PreviewDial,
    TransferCall,
)
from orchestrator.events import AgentState, AgentStateChanged, Event
from orchestrator.monitor import MonitorRequest
from orchestrator.safe import UnsafeValue
from runner.campaign_config import lead_rules
from runner.leads_port import core_leads
from runner.persist import FactWriter
from runner.seats import seat_confirms, seat_phone
from runner.times import to_dt
from store import desk_queue
from store import models as m
from store.enums import AgentState as StoreAgentState
from store.enums import DeskCommand, LeadStatus
from store.inbound import agent_queues
from store.leads import PREVIEW_CLAIMER

BATCH = 50


class Refused(ValueError):
    """The request cannot be carried out; the message is for the user."""


@dataclass(frozen=True)
class Taken:
    request_id: int
    event: Event


@dataclass(frozen=True)
class Desk:
    """One request being handled: the row, its agent, this runner's node and the time."""

    session: Session
    request: m.DeskRequest
    agent: m.Agent
    node_id: int
    now: float

    @property
    def payload(self) -> dict[str, Any]:
        return self.request.payload or {}

    def campaign_id(self) -> int:
        if self.request.campaign_id is None:
            raise Refused(f"{self.request.kind}: no campaign")
        return self.request.campaign_id


Handler = Callable[[Desk], Event]
_HANDLERS: dict[DeskCommand, Handler] = {}


def handles(kind: DeskCommand) -> Callable[[Handler], Handler]:
    """Register the decorated function as the one handler of ``kind``."""

    def register(handler: Handler) -> Handler:
        if kind in _HANDLERS:
            raise ValueError(f"two handlers for {kind.value}")
        _HANDLERS[kind] = handler
        return handler

    return register


def handled() -> frozenset[DeskCommand]:
    """Every kind that has a handler."""
    return frozenset(_HANDLERS)


def take_inputs(session: Session, node_id: int, now: float, *, taken_by: str,
                running: Container[int] | None = None) -> list[Taken]:
    """Take pending requests for this node, translate them, mark them done or failed.

    ``running``: the campaigns this runner dials (asked once per request, so it may load a
    campaign started a moment ago); a request for another one fails with that reason.
    """
    out = []
    for request in desk_queue.take(session, node_id, BATCH, to_dt(now), taken_by=taken_by):
        try:
            if running is not None and request.campaign_id is not None and request.campaign_id not in running:
                if request.kind != DeskCommand.DISPOSITION.value:
                    raise Refused(f"{request.kind}: campaign {request.campaign_id} is not running here")
                _dispose_without_dialer(session, request, node_id, now)
            else:
                out.append(Taken(request.id, translate(session, request, node_id, now)))
        except (Refused, UnsafeValue, KeyError, ValueError, TypeError) as exc:
            desk_queue.finish(session, request, to_dt(now), error=str(exc) or type(exc).__name__)
        else:
            desk_queue.finish(session, request, to_dt(now))
    return out


def translate(session: Session, request: m.DeskRequest, node_id: int, now: float) -> Event:
    """The core's input for ``request``, from the handler of its kind."""
    try:
        handler = _HANDLERS[DeskCommand(request.kind)]
    except (ValueError, KeyError):
        raise Refused(f"unknown command kind {request.kind!r}") from None
    agent = session.get(m.Agent, request.agent_id) if request.agent_id is not None else None
    if agent is None:
        raise Refused(f"{request.kind}: unknown agent")
    return handler(Desk(session, request, agent, node_id, now))


@handles(DeskCommand.AGENT_LOGIN)
def _agent_login(desk: Desk) -> Event:
    """With a campaign (and the queues the agent overflows into), or with none for a hotline seat."""
    seat = desk.agent.seat
    if seat is None or seat.node_id != desk.node_id:
        raise Refused("agent_login: the agent has no seat on this node")
    hotline, overflow = agent_queues(desk.session, desk.node_id, desk.agent.id)
    campaign_id = desk.request.campaign_id
    if campaign_id is None and not hotline:
        raise Refused("agent_login: no campaign, and the agent is no hotline seat of an inbound route here")
    if _seat_in_use(desk.session, seat.id, desk.agent.id):
        raise Refused(f"agent_login: seat {seat.extension} is in use by another agent")
    queues = hotline if campaign_id is None else overflow
    return AgentLogin(desk.now, campaign_id, desk.agent.id, seat_phone(seat), queues=queues,
                      confirm=seat_confirms(seat))


@handles(DeskCommand.AGENT_STATE)
def _agent_state(desk: Desk) -> Event:
    state = AgentState(desk.payload["state"])
    if state not in (AgentState.READY, AgentState.PAUSED, AgentState.LOGGED_OUT):
        raise Refused(f"agent_state: an agent cannot ask to be {state.value}")
    return AgentStateChanged(desk.now, desk.agent.id, state, str(desk.payload.get("reason", "")))


@handles(DeskCommand.AGENT_LOGOUT)
def _agent_logout(desk: Desk) -> Event:
    reason = str(desk.payload.get("reason", ""))
    return AgentStateChanged(desk.now, desk.agent.id, AgentState.LOGGED_OUT, reason)


@handles(DeskCommand.AGENT_LEAVING)
def _agent_leaving(desk: Desk) -> Event:
    at = desk.payload.get("at")
    return AgentLeaving(desk.now, desk.agent.id, float(at) if at is not None else None,
                        AgentState(desk.payload.get("state", AgentState.PAUSED.value)),
                        str(desk.payload.get("reason", "")))


@handles(DeskCommand.AGENT_MOVE)
def _agent_move(desk: Desk) -> Event:
    """The campaign is the one to move to: ``take_inputs`` has refused it unless it runs here."""
    return AgentMove(desk.now, desk.agent.id, desk.campaign_id())


@handles(DeskCommand.PREVIEW_DIAL)
def _preview_dial(desk: Desk) -> Event:
    request = desk.request
    lead = desk.session.get(m.Lead, request.lead_id) if request.lead_id is not None else None
    if lead is None or request.campaign_id is None:
        raise Refused("preview_dial: unknown lead or campaign")
    if lead.status is not LeadStatus.DIALING or lead.claimed_by != PREVIEW_CLAIMER.format(desk.agent.id):
        raise Refused("preview_dial: the lead is no longer held for this agent (the preview expired)")
    (core_lead,) = core_leads(desk.session, [lead], desk.now)
    return PreviewDial(desk.now, request.campaign_id, desk.agent.id, core_lead)


@handles(DeskCommand.DISPOSITION)
def _disposition(desk: Desk) -> Event:
    callback = desk.payload.get("callback_at")
    attempt = desk.session.get(m.Attempt, uuid.UUID(str(desk.payload["attempt_id"])))
    if attempt is None or attempt.agent_id != desk.agent.id:
        raise Refused("disposition: that call is not the agent's")
    lead = desk.session.get(m.Lead, attempt.lead_id)
    # A lead being dialed again is the new call's: a late disposition must not reschedule it under it.
    stored = None
    if lead is not None and lead.claimed_by is None:
        stored = core_leads(desk.session, [lead], desk.now)[0]
    return Disposition(desk.now, desk.campaign_id(), desk.agent.id, str(attempt.id),
                       str(desk.payload["code"]), float(callback) if callback is not None else None,
                       bool(desk.payload.get("final", True)), stored)


@handles(DeskCommand.END_CALL)
def _end_call(desk: Desk) -> Event:
    """The unit the agent is with finds their call; none (the call just ended): nothing happens."""
    return EndCall(desk.now, desk.agent.id)


@handles(DeskCommand.TRANSFER)
def _transfer(desk: Desk) -> Event:
    """Ids only: whether the target may take the call is the node's pool's to say, at this moment."""
    return TransferCall(desk.now, desk.request.id, desk.agent.id, int(desk.payload["to_agent_id"]))


@handles(DeskCommand.MONITOR)
def _monitor(desk: Desk) -> Event:
    """The team leader's phone is a seat of this node; the core decides if the agent is on a call."""
    session = desk.session.get(m.MonitorSession, int(desk.payload["session_id"]))
    if session is None or session.agent_id != desk.agent.id:
        raise Refused("monitor: unknown monitoring session")
    seat = session.seat
    if seat is None or seat.node_id != desk.node_id or not seat.enabled:
        raise Refused("monitor: the chosen phone is no enabled seat on the agent's node")
    return MonitorRequest(desk.now, session.id, desk.agent.id, seat.extension, session.mode,
                          str(uuid.uuid4()))


def _dispose_without_dialer(session: Session, request: m.DeskRequest, node_id: int, now: float) -> None:
    """A disposition of a call whose campaign no longer dials here (stopped since): applied now.

    The agent's work is kept (the supervisor stopping the campaign must not lose it); the
    campaign's own lead rules decide, as its dialer would have.
    """
    d = translate(session, request, node_id, now)
    campaign = session.get(m.Campaign, request.campaign_id)
    if not isinstance(d, Disposition) or campaign is None:
        raise Refused("disposition: unknown campaign")
    if d.lead is None:
        raise Refused("disposition: the call's lead is being dialed again; not applied")
    FactWriter(node_id).write(session, campaign.id, disposition_facts(d, d.lead, lead_rules(campaign), now))


def _seat_in_use(session: Session, seat_id: int, agent_id: int) -> bool:
    """Another agent is logged in at that seat: two agents never share one phone."""
    other = select(m.Agent.id).where(m.Agent.seat_id == seat_id, m.Agent.id != agent_id,
                                     m.Agent.state != StoreAgentState.LOGGED_OUT)
    return session.scalar(other.limit(1)) is not None
