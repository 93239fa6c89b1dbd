"""One customer call in flight, and the phases it moves through.

    DIALING --Answered--> ANSWERED --AMD human--> WAITING --Bridge--> CONNECTED
       |                     |  \\--AMD machine--> MACHINE              |
       |                     |                        (hang up / message)
       |                     \\--(no AMD / preview)--> WAITING           |
       |                                WAITING --2 s, no agent--> ABANDONING
       \\--OriginateFailed/HungUp--> ended (busy, no answer, ...)     ended
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orchestrator.amd import Cadence
from orchestrator.dialer.ports import OpenAttempt
from orchestrator.leads.model import Lead


class Phase(StrEnum):
    DIALING = "dialing"  # originated, not answered yet
    ANSWERED = "answered"  # answered, waiting for the AMD verdict
    WAITING = "waiting"  # a live human waiting for an agent (abandon clock running)
    CONNECTED = "connected"  # bridged to an agent
    MACHINE = "machine"  # answering machine: being hung up or left a message
    ABANDONING = "abandoning"  # hearing the abandon message


@dataclass(slots=True)
class Attempt:
    attempt_id: str
    channel_id: str
    lead: Lead
    started_at: float
    phase: Phase = Phase.DIALING
    agent_id: int | None = None  # preview: reserved agent; otherwise the agent it was bridged to
    answered_at: float | None = None
    live_at: float | None = None  # human verdict (or answer without AMD): the abandon clock starts
    bridged_at: float | None = None
    abandoned: bool = False
    rang: bool = False  # the far end alerted (or answered): the network had the call
    cadence: Cadence | None = None  # greeting-cadence AMD, from the first voice cue after the answer
    restored: bool = False  # read back from the store by a restarted runner (events of its downtime lost)
    #: While nobody watches (before the first PbxConnected of a restored call, after a PbxDisconnected):
    #: the last moment the call was known alive; a call found gone ends then, not when we look again.
    seen_at: float | None = None

    @property
    def in_flight(self) -> bool:
        """Still may need an agent: counts against the lines pacing may add."""
        return self.phase in (Phase.DIALING, Phase.ANSWERED, Phase.WAITING)


class CallBook:
    """The campaign's customer calls in progress, found by our attempt id or by channel id."""

    def __init__(self) -> None:
        self._by_id: dict[str, Attempt] = {}
        self._by_channel: dict[str, Attempt] = {}

    def add(self, a: Attempt) -> None:
        self._by_id[a.attempt_id] = a
        self._by_channel[a.channel_id] = a

    def remove(self, a: Attempt) -> None:
        del self._by_id[a.attempt_id]
        del self._by_channel[a.channel_id]

    def find(self, attempt_id: str | None, channel_id: str) -> Attempt | None:
        if attempt_id and attempt_id in self._by_id:
            return self._by_id[attempt_id]
        return self._by_channel.get(channel_id)

    def all(self) -> tuple[Attempt, ...]:
        return tuple(self._by_id.values())

    def in_phase(self, phase: Phase) -> list[Attempt]:
        return [a for a in self._by_id.values() if a.phase is phase]

    def in_flight(self) -> int:
        return sum(a.in_flight for a in self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


def restored(o: OpenAttempt) -> Attempt:
    """An attempt read back from the store, in the phase its recorded milestones put it in.

    An abandoned one (the previous runner sent it to the abandon message and counted the abandon)
    hears its message on: read back as waiting, it was abandoned, and counted, a second time."""
    if o.abandoned:
        phase = Phase.ABANDONING
    elif o.bridged_at is not None:
        phase = Phase.CONNECTED
    elif o.live_at is not None:
        phase = Phase.WAITING
    else:
        phase = Phase.ANSWERED if o.answered_at is not None else Phase.DIALING
    return Attempt(o.attempt_id, o.channel_id, o.lead, o.started_at, phase, o.agent_id,
                   o.answered_at, o.live_at, o.bridged_at, abandoned=o.abandoned, restored=True,
                   seen_at=o.seen_at)
