"""``NodeHost``: the pure core of one node, the units it hosts and the agents they share.

How a runner drives it::

    host = NodeHost()
    host.add(CampaignDialer(config, leads, dnc, pool=host.pool, trunks=host.trunks, ...))  # and remove(key)
    for every adapter event and every desk input, and on a timer (Tick):
        for key, step in host.handle(event):
            persist step.facts (for unit ``key``), then send step.commands in order
    tick no later than host.next_wakeup()

An ``AgentLogin`` logs the agent in on the node (the pool) for its campaigns
and queues before any unit sees it; the unit the blending picked then starts them. An
``AgentMove`` likewise changes the agent's campaign in the pool first (the pool's inputs:
``_POOL_INPUTS``); so does a ``TransferCall``, which lends the target agent to the unit holding
the caller's call (``orchestrator.node.transfer``; ask :meth:`NodeHost.refuse_transfer` first). Every event
goes to every unit in the order they were added, each ignoring what is not
its own. Right after each unit's step, agents the blending moved to another
unit are taken by that unit, so no other unit sees them in between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.agents.pool import Agent, AgentPool
from orchestrator.dialer.inputs import AgentLogin, AgentMove
from orchestrator.events import Event
from orchestrator.node import transfer
from orchestrator.node.blending import Blending
from orchestrator.node.trunks import TrunkLines
from orchestrator.node.unit import Unit, UnitKey, UnitKind
from orchestrator.step import Step


class NodeHost:
    def __init__(self) -> None:
        self.units: dict[UnitKey, Unit] = {}
        self.blending = Blending()
        self.pool = AgentPool(self._decide)
        #: Every channel the node holds on each trunk; campaigns dial only into its free lines.
        self.trunks = TrunkLines(self.pool, lambda trunk: (u.lines_on(trunk) for u in self.units.values()))

    def add(self, unit: Unit) -> None:
        """Host ``unit`` (a unit with the same key is replaced, keeping its place in the order)."""
        self.units[unit.key] = unit

    def remove(self, key: UnitKey) -> None:
        """Stop hosting a unit; it must have no agent claimed (log them out first)."""
        if self.pool.claimed(key):
            raise ValueError(f"{key} still has agents claimed")
        del self.units[key]

    def handle(self, event: Event) -> list[tuple[UnitKey, Step]]:
        """Every unit's step for ``event``, and the steps of the units that took a handed-over agent."""
        self.trunks.observe(event)
        pool_input = _POOL_INPUTS.get(type(event))
        if pool_input is not None:
            pool_input(self, event)
        steps: list[tuple[UnitKey, Step]] = list(self._handovers(event.at))
        for key, unit in list(self.units.items()):
            steps.append((key, unit.handle(event)))
            steps.extend(self._handovers(event.at))
        return steps

    def _join(self, event: AgentLogin) -> None:
        campaigns = (*(() if event.campaign_id is None else (event.campaign_id,)), *event.other_campaigns)
        serves = frozenset({*(UnitKey(UnitKind.CAMPAIGN, c) for c in campaigns),
                            *(UnitKey(UnitKind.QUEUE, q) for q in event.queues)})
        self.pool.join(event.agent_id, event.phone, serves, event.at, leg=event.leg, confirm=event.confirm)

    def _move(self, event: AgentMove) -> None:
        """An agent logged in here moves to a campaign this node hosts (another would strand them)."""
        agent, unit = self.pool.get(event.agent_id), UnitKey(UnitKind.CAMPAIGN, event.campaign_id)
        if agent is not None and unit in self.units:
            self.pool.move(agent, unit, event.at)

    def refuse_transfer(self, request: transfer.TransferCall) -> transfer.TransferRefused | None:
        """The refusal to record instead of handling ``request`` (None: hand it to :meth:`handle`)."""
        reason = transfer.refusal(self.pool, request)
        return None if reason is None else transfer.TransferRefused(request.at, request.request_id, reason)

    def _lend(self, event: transfer.TransferCall) -> None:
        transfer.lend(self.pool, event)

    def next_wakeup(self) -> float | None:
        return min((w for unit in self.units.values() if (w := unit.next_wakeup()) is not None), default=None)

    def _handovers(self, now: float) -> list[tuple[UnitKey, Step]]:
        return [(agent.unit, self.units[agent.unit].take(agent.agent_id, now))
                for agent in self.pool.handovers() if agent.unit is not None]

    def _decide(self, agent: Agent, now: float) -> UnitKey | None:
        """The blending among the agent's units that this node hosts."""
        claims = {key: self.units[key].claim(now) for key in sorted(agent.serves) if key in self.units}
        return self.blending.pick(claims, now)


#: What the pool does with its own inputs before any unit sees them, by the input's type.
_POOL_INPUTS: dict[type[Event], Callable[[NodeHost, Any], None]] = {
    AgentLogin: NodeHost._join,
    AgentMove: NodeHost._move,
    transfer.TransferCall: NodeHost._lend,
}
