"""Live monitoring of an agent's call by a team leader: listen, whisper, barge (pure decisions).

The team leader's own phone (a SIP seat on the agent's node) is called; once
answered it runs :data:`ROUTE`, which spies on the agent's nailed-up leg
(``sb_monitor_target``, the leg's channel id from the node's agent pool, never
anything typed by a user) in the mode ``sb_monitor_mode``. Each PBX's
dialplan maps the mode to its own words (Asterisk ``ChanSpy`` options,
FreeSWITCH ``eavesdrop`` variables):

``listen``   the team leader hears the agent and the customer; nobody hears them.
``whisper``  as listen, and the agent hears the team leader; the customer does not.
``barge``    all three hear each other.

Spying on the agent's leg rather than the customer's keeps one target for the
agent's whole log-in (the leg is held open between customers), and makes
"whisper" mean "to the agent" on both PBXes.

A session ends when the team leader hangs up, when their phone does not
answer, or when the monitored customer call ends: the agent's leg outlives
the call, so the core hangs the team leader's leg up itself then. Every step
becomes a fact (:class:`MonitorStarted`, :class:`MonitorEnded`), which the
runner writes to the session's audit row.

Like the fax lines this is no :class:`orchestrator.node.unit.Unit`: it never
takes an agent from the blending, it only reads where one is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from orchestrator import commands as c
from orchestrator import safe
from orchestrator.agents.pool import AgentPool
from orchestrator.events import (
    AgentState,
    Answered,
    CallEvent,
    Event,
    HungUp,
    OriginateFailed,
)
from orchestrator.step import Fact, Outbox, Step

#: The route the team leader's phone runs once answered, and its channel variables.
ROUTE = "sb-monitor"
VAR_TARGET = "sb_monitor_target"  # the agent's leg (channel id / uuid)
VAR_MODE = "sb_monitor_mode"  # a MonitorMode value
#: Attempt ids of monitoring legs: ``monitor-<session id>``; events about them are this module's.
ATTEMPT_PREFIX = "monitor-"
#: How long the team leader's phone rings before the session is given up.
RING_S = 30


class MonitorMode(StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


def attempt_id(session_id: int) -> str:
    return f"{ATTEMPT_PREFIX}{session_id}"


def session_of(attempt: str | None) -> int | None:
    """The session id in one of our monitoring attempt ids; None for any other attempt."""
    if not attempt or not attempt.startswith(ATTEMPT_PREFIX):
        return None
    tail = attempt[len(ATTEMPT_PREFIX) :]
    return int(tail) if tail.isdigit() else None


@dataclass(frozen=True, slots=True)
class MonitorRequest(Event):
    """A team leader asks to monitor ``agent_id`` from ``seat`` (their phone on this node).

    ``session_id``: the audit row the web wrote; ``channel_id``: the id the
    team leader's leg will get (chosen by the runner, like every originate's).
    """

    session_id: int
    agent_id: int
    seat: str
    mode: MonitorMode
    channel_id: str

    def __post_init__(self) -> None:
        safe.check_token(self.seat, "seat")
        safe.check_channel_id(self.channel_id)
        MonitorMode(self.mode)


@dataclass(frozen=True, slots=True)
class MonitorDialing(Fact):
    """The team leader's phone is being called to monitor ``agent_leg``, in the call ``call_attempt``."""

    session_id: int
    channel_id: str
    agent_leg: str
    call_attempt: str


@dataclass(frozen=True, slots=True)
class MonitorStarted(Fact):
    """The team leader answered: they are listening (whispering, barging) now."""

    session_id: int


@dataclass(frozen=True, slots=True)
class MonitorEnded(Fact):
    """The session is over; ``reason`` says why (or why it never started)."""

    session_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class _Live:
    session_id: int
    channel_id: str
    call_attempt: str  # the customer call being monitored
    answered: bool = False


@dataclass
class Monitors:
    """The monitoring sessions of one node, by the team leader's leg."""

    _live: dict[str, _Live] = field(default_factory=dict)

    def owns(self, event: Event) -> bool:
        """``event`` is only about monitoring: no unit needs to see it."""
        if isinstance(event, MonitorRequest):
            return True
        return isinstance(event, CallEvent) and (
            event.channel_id in self._live or session_of(event.attempt_id) is not None
        )

    def handle(self, event: Event, pool: AgentPool) -> Step:
        out = Outbox()
        if isinstance(event, MonitorRequest):
            self._start(event, pool, out)
        elif isinstance(event, CallEvent):
            self._call_event(event, out)
        return out.step()

    def _start(self, request: MonitorRequest, pool: AgentPool, out: Outbox) -> None:
        agent = pool.get(request.agent_id)
        session, at = request.session_id, request.at
        if agent is None:
            return out.record(MonitorEnded(at, session, "the agent is not logged in here"))
        if agent.state is not AgentState.ON_CALL or not agent.leg or not agent.leg_up or not agent.attempt_id:
            return out.record(MonitorEnded(at, session, "the agent is not on a call"))
        if agent.phone == c.Endpoint(c.EndpointKind.SEAT, request.seat):
            return out.record(MonitorEnded(at, session, "that seat is the agent's own phone"))
        self._live[request.channel_id] = _Live(session, request.channel_id, agent.attempt_id)
        out.record(MonitorDialing(at, session, request.channel_id, agent.leg, agent.attempt_id))
        out.send(
            c.Originate(
                attempt_id(request.session_id),
                request.channel_id,
                c.Endpoint(c.EndpointKind.SEAT, request.seat),
                ROUTE,
                timeout_s=RING_S,
                variables={VAR_TARGET: agent.leg, VAR_MODE: request.mode.value},
            )
        )

    def _call_event(self, event: CallEvent, out: Outbox) -> None:
        live = self._live.get(event.channel_id)
        if live is not None:
            if isinstance(event, Answered) and not live.answered:
                self._live[event.channel_id] = replace(live, answered=True)
                out.record(MonitorStarted(event.at, live.session_id))
            elif isinstance(event, HungUp | OriginateFailed):
                del self._live[event.channel_id]
                reason = "ended" if live.answered else "the team leader's phone did not answer"
                out.record(MonitorEnded(event.at, live.session_id, reason))
            return
        if isinstance(event, HungUp) and event.attempt_id:
            for leg in [s for s in self._live.values() if s.call_attempt == event.attempt_id]:
                out.send(c.Hangup(leg.channel_id))  # its MonitorEnded comes with the leg's HungUp
