"""The node's agent pool: who is logged in here, on which leg, in which state, claimed by which unit.

An agent logs in on the node, not in a campaign: the pool holds one record
per agent, with their held-open ("nailed-up") leg and their state, for as
long as they are logged in. Units (``orchestrator.node.unit``) do not own
agents; each works only with the agents the pool says it has claimed, and an
agent is claimed by exactly one unit at any moment, so two units can never
count, dial for or bridge to the same person.

Who claims an agent is not the pool's decision nor a unit's: it is asked of
the node's blending (``decide``) when the agent logs in and every time they
become free again (:meth:`AgentPool.free`). An agent the decision gives to
another unit is queued as a hand-over, which the node completes right after
the current unit's step (:meth:`AgentPool.handovers`). A supervisor moving an
agent to another campaign (:meth:`AgentPool.move`) changes what they serve and
reserves them for it, so the same decision moves them once they are free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from orchestrator.commands import Endpoint
from orchestrator.events import AgentState
from orchestrator.node.unit import UnitKey


@dataclass(slots=True)
class Agent:
    agent_id: int
    phone: Endpoint  # where their leg is dialed: their seat, or a remote seat's number via a trunk
    #: The units this agent may be given to (today: the campaign they logged in for, maybe more).
    serves: frozenset[UnitKey]
    state: AgentState = AgentState.LOGGED_OUT  # until their unit starts them
    reason: str = ""
    since: float = 0.0
    leg: str | None = None  # channel id of the nailed-up leg
    leg_up: bool = False
    attempt_id: str | None = None  # the customer call they are reserved for / on / wrapping up
    pending: tuple[AgentState, str] | None = None  # requested while busy
    #: An announced departure: (when, PAUSED or LOGGED_OUT, why); the pacer stops counting on
    #: them before, the campaign applies it as a request when the time comes.
    leaving: tuple[float, AgentState, str] | None = None
    unit: UnitKey | None = None  # the one unit that has claimed them
    #: Reserved by another unit (an inbound queue's overflow) from this time on: their unit
    #: stops giving them new customers and its pacer counts them as leaving at that time.
    reserved: tuple[float, UnitKey] | None = None
    #: Their leg counts as up only once the phone pressed 1 (``AgentLogin.confirm``).
    confirm: bool = False
    #: The leg answered and the hold route waits for the 1: not up yet; hung up, "phone not confirmed".
    awaiting_key: bool = False


#: The blending decision: which of the agent's units gets them now (None: none of them is hosted).
Decide = Callable[[Agent, float], UnitKey | None]


class AgentPool:
    def __init__(self, decide: Decide) -> None:
        self._decide = decide
        self._agents: dict[int, Agent] = {}
        self._claims: dict[UnitKey, dict[int, Agent]] = {}
        self._handovers: list[Agent] = []

    # -- queries -------------------------------------------------------------
    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._agents

    def __iter__(self) -> Iterator[Agent]:
        return iter(list(self._agents.values()))

    def get(self, agent_id: int) -> Agent | None:
        return self._agents.get(agent_id)

    def claimed(self, unit: UnitKey) -> dict[int, Agent]:
        """The agents ``unit`` has claimed, by id (a live view: change it only through the pool)."""
        return self._claims.setdefault(unit, {})

    # -- membership and claims -------------------------------------------------
    def join(self, agent_id: int, phone: Endpoint, serves: frozenset[UnitKey], now: float, *,
             leg: str = "", confirm: bool = False) -> Agent | None:
        """Log an agent in on the node, claimed by the unit the decision picks among ``serves``.

        ``leg``: their nailed-up leg is already up (taken over after a restart). None when the
        agent is logged in already (one record per person, whatever they ask for) or when none of
        ``serves`` is hosted here.
        """
        if agent_id in self._agents:
            return None
        agent = Agent(agent_id, phone, serves, since=now, leg=leg or None, leg_up=bool(leg), confirm=confirm)
        unit = self._decide(agent, now)
        if unit is None:
            return None
        self._agents[agent_id] = agent
        self._claim(agent, unit)
        return agent

    def leave(self, agent: Agent) -> None:
        """The agent logged out: their unit's claim ends with them."""
        del self._agents[agent.agent_id]
        if agent.unit is not None:
            del self._claims[agent.unit][agent.agent_id]
            agent.unit = None

    def free(self, agent: Agent, now: float) -> bool:
        """The agent is ready for work again: True if the decision keeps them with their unit.

        Otherwise their claim moves to the unit the decision picked and they are queued as a
        hand-over: their old unit must not touch them any more; their new one gets them through
        ``Unit.take`` once the node has them from :meth:`handovers`.
        """
        unit = self._decide(agent, now)
        if unit is None or unit == agent.unit:
            return True
        self._claim(agent, unit)
        self._handovers.append(agent)
        return False

    def reserve(self, agent: Agent, unit: UnitKey, at: float) -> None:
        """``unit`` will want ``agent`` from ``at``: announced now, so their own unit plans without them.

        The blending still decides when they are free (``unit`` claims them urgently once its
        caller's wait is due); :meth:`pull` moves an agent who is idle when the time comes.
        """
        agent.reserved = (at, unit)

    def move(self, agent: Agent, unit: UnitKey, now: float) -> bool:
        """A supervisor moves ``agent`` to another unit of the same kind (a campaign for a campaign).

        ``unit`` replaces the units of that kind they serve (their inbound queues stay), and is
        reserved for them from ``now``: their current unit gives them no new customer and its pacer
        counts them as leaving at once, while they finish the call in progress (and its wrap-up)
        there; the decision then hands them over when they become free. True if they were idle
        (READY) and handed over now; a paused agent goes when they are ready again.
        """
        agent.serves = frozenset({key for key in agent.serves if key.kind is not unit.kind} | {unit})
        if agent.reserved is not None and agent.reserved[1] not in agent.serves:
            self.unreserve(agent)  # an earlier move's, overridden (moved back before they went)
        if agent.unit == unit:
            return False
        self.reserve(agent, unit, now)
        return self.pull(agent, now)

    def lend(self, agent: Agent, unit: UnitKey) -> None:
        """An idle agent takes a call ``unit`` holds (a transfer, ``orchestrator.node.transfer``): the
        claim moves now, with no hand-over (the unit puts them on the call in the same step). What they
        serve is unchanged, so once free again the blending gives them back to one of their units."""
        if agent.unit != unit:
            self._claim(agent, unit)

    def unreserve(self, agent: Agent) -> None:
        agent.reserved = None

    def pull(self, agent: Agent, now: float) -> bool:
        """A reserved agent idle (READY) in another unit: ask the decision again now.

        True if they were handed over (queued for :meth:`handovers`): an idle agent is never
        asked otherwise, since only becoming free triggers the decision.
        """
        if agent.reserved is None or agent.unit == agent.reserved[1] or agent.state is not AgentState.READY:
            return False
        return not self.free(agent, now)

    def handovers(self) -> list[Agent]:
        """The agents handed to another unit since the last call (each to be taken by their new unit)."""
        taken, self._handovers = self._handovers, []
        return taken

    def _claim(self, agent: Agent, unit: UnitKey) -> None:
        if agent.unit is not None:
            del self._claims[agent.unit][agent.agent_id]
        agent.unit = unit
        if agent.reserved is not None and agent.reserved[1] == unit:
            agent.reserved = None  # the reservation is fulfilled
        self.claimed(unit)[agent.agent_id] = agent
