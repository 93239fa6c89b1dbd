"""``TrunkLines``: the channels a node holds on each carrier trunk, counted in one place.

A trunk's channel limit is the carrier's: it refuses the call after the last
channel, whoever holds the others. So every channel the node holds on a trunk
counts against it, not only one campaign's customer calls:

* the customer calls each hosted unit placed through it (``Unit.lines_on``:
  every campaign on the trunk, each counting its own open attempts);
* the held-open legs of remote agents whose phone is dialed through it (the
  pool's agents with a ``TRUNK`` endpoint of that name and a leg), for their
  whole shift;
* callers who arrived on it (``CallArrived.endpoint`` is the trunk's name: its
  PJSIP endpoint on Asterisk, its sofia gateway on FreeSWITCH), until they hang
  up, whichever queue, IVR or route has them.

A campaign dials only into the free lines (:meth:`TrunkLines.free`): its
pacer sees the smaller capacity, so the carrier never has to refuse the excess.
The limit travels with each campaign's config (``CampaignConfig.trunk_limit``:
the trunk row's ``channel_limit``), since only dialing has to respect it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from orchestrator.agents.pool import AgentPool
from orchestrator.commands import EndpointKind
from orchestrator.events import CallArrived, Event, HungUp, OriginateFailed, PbxConnected

#: The units' own lines on a trunk: customer calls they placed through it.
UnitLines = Callable[[str], Iterable[int]]


class TrunkLines:
    """The node's trunk line budget; ``unit_lines(trunk)`` yields each hosted unit's count on it."""

    def __init__(self, pool: AgentPool, unit_lines: UnitLines) -> None:
        self._pool = pool
        self._unit_lines = unit_lines
        self._arrived: dict[str, str] = {}  # inbound caller's channel id -> the trunk it came in on

    def observe(self, event: Event) -> None:
        """Follow inbound callers: held from their arrival until their channel is gone."""
        match event:
            case CallArrived(channel_id=channel) if event.endpoint:
                self._arrived[channel] = event.endpoint
            case HungUp(channel_id=channel) | OriginateFailed(channel_id=channel):
                self._arrived.pop(channel, None)
            case PbxConnected(live_channel_ids=live):  # those gone while we were away are gone
                self._arrived = {ch: trunk for ch, trunk in self._arrived.items() if ch in live}

    def held(self, trunk: str) -> int:
        """Every channel the node holds on ``trunk`` now."""
        agents = sum(1 for a in self._pool if a.leg is not None and a.phone.kind is EndpointKind.TRUNK
                     and a.phone.name == trunk)
        inbound = sum(1 for t in self._arrived.values() if t == trunk)
        return sum(self._unit_lines(trunk)) + agents + inbound

    def free(self, trunk: str, limit: int) -> int | None:
        """Channels still free on ``trunk`` under ``limit`` (0: no limit, None returned)."""
        if limit <= 0:
            return None
        return max(0, limit - self.held(trunk))
