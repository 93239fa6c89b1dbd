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

    @property
    def in_flight(self) -> bool:
        """Still may need an agent: counts against the lines pacing may add."""
        return self.phase in (Phase.DIALING, Phase.ANSWERED, Phase.WAITING)
