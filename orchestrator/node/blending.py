"""Blending: which unit gets the next free agent. The one place that decides it.

Asked by the agent pool when an agent logs in and whenever they become free
again (logged in and ready with their leg up, after a call, a wrap-up or a
pause), among the units the agent may serve that the node hosts. The order:

1. the highest :attr:`Claim.priority` (an inbound queue with a caller due
   for overflow outranks outbound campaigns here, and nowhere else);
2. a unit with a customer waiting for an agent, the longest wait first (a
   live person on hold beats a line not yet dialed);
3. the unit that was given an agent longest ago (never counts as longest),
   so campaigns sharing agents take turns;
4. the unit key, so equal claims are decided the same way every time.

With one eligible unit (every agent today: the desk logs in to one campaign)
that unit is the answer, so a node behaves exactly as a lone campaign did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestrator.node.unit import Claim, UnitKey


@dataclass
class Blending:
    #: When each unit was last given an agent (epoch seconds).
    last_given: dict[UnitKey, float] = field(default_factory=dict)

    def pick(self, claims: Mapping[UnitKey, Claim], now: float) -> UnitKey | None:
        """The unit among ``claims`` that gets the agent now (None if there is none)."""
        if not claims:
            return None
        unit = min(claims, key=lambda key: self._rank(key, claims[key]))
        self.last_given[unit] = now
        return unit

    def _rank(self, key: UnitKey, claim: Claim) -> tuple[int, int, float, float, UnitKey]:
        waiting = claim.waiting_since is not None
        return (-claim.priority, 0 if waiting else 1, claim.waiting_since or 0.0,
                self.last_given.get(key, float("-inf")), key)
