"""The contract between a node and the units it hosts (outbound campaigns, inbound queues).

A PBX node hosts several units at once: outbound campaigns and inbound queues
(``orchestrator.inbound``) now; IVRs and surveys are meant to join them
without the node changing.
Each unit is a pure state machine like the campaign dialer: the node hands it
every event, it answers with a :class:`~orchestrator.step.Step` (commands and
facts) and says when it next needs a ``Tick``. Agents are not a unit's own:
they are logged in on the node (``orchestrator.agents``) and a unit works only
with those the pool says it has claimed. When an agent becomes free, the
node's one blending decision (``orchestrator.node.blending``) weighs every
eligible unit's :class:`Claim` and gives the agent to one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from orchestrator.events import Event
from orchestrator.step import Step


class UnitKind(StrEnum):
    """What a unit is; one kind per way of using agents."""

    CAMPAIGN = "campaign"  # an outbound campaign (preview, progressive, predictive)
    QUEUE = "queue"  # an inbound queue (orchestrator.inbound)


@dataclass(frozen=True, slots=True, order=True)
class UnitKey:
    """Names a unit on its node; ``id`` is the row id of what it runs (e.g. the campaign)."""

    kind: UnitKind
    id: int


@dataclass(frozen=True, slots=True)
class Claim:
    """How much a unit wants the next free agent, for the blending decision.

    ``priority``: higher wins outright (outbound campaigns all claim 0; a
    queue whose callers must be answered first will claim more).
    ``waiting_since``: when the oldest customer still waiting for an agent
    started waiting (None: nobody waits). Between equal priorities a unit with
    someone waiting beats one without, and the longer wait wins.
    """

    priority: int = 0
    waiting_since: float | None = None


class Unit(Protocol):
    """What a node needs of everything it hosts."""

    @property
    def key(self) -> UnitKey: ...

    def handle(self, event: Event) -> Step:
        """Every event and desk input of the node; a unit ignores what is not its own."""
        ...

    def next_wakeup(self) -> float | None:
        """The earliest deadline the unit keeps (epoch seconds): tick it no later than this."""
        ...

    def claim(self, now: float) -> Claim:
        """This unit's claim on the next free agent (see :class:`Claim`)."""
        ...

    def take(self, agent_id: int, now: float) -> Step:
        """The blending gave this unit a free agent (already claimed for it in the pool): put them to work."""
        ...

    def lines_on(self, trunk: str) -> int:
        """Channels this unit's own calls hold on ``trunk`` now (``orchestrator.node.trunks``)."""
        ...
