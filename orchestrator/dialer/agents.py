"""A campaign's agents: the ones it has claimed from the node's pool, their states and legs.

The agents themselves are the node's (``orchestrator.agents.pool``): the
board is this campaign's view of those it has claimed, and the transitions it
makes them go through while they work for it.

Handoff model: an agent who logs in gets a "nailed-up" leg, an originate to
their seat that runs ``sb-agent-hold`` and stays up between customers, so
connecting a customer is one AMI ``Bridge`` (2.5 ms measured, the fastest
handoff). An agent is READY only while that leg is up; until it answers the
agent is PAUSED("connecting"). With "press 1 to accept" (``Agent.confirm``) an
answer is not enough: the leg is up once the hold route reports the key, and
a leg hung up before it leaves the agent PAUSED("phone not confirmed") until
their next ready request dials again. If the leg drops, the agent is PAUSED("phone
disconnected") and the next ready request originates a new leg, so a dead
seat never makes the core loop on originates.

Every time an agent becomes ready for work again the pool asks the node's
blending whether they stay with this campaign (:meth:`AgentBoard.make_ready`);
one given to another unit leaves this board before they are marked READY.

Requests that arrive while the agent is busy (pause or log out during a call)
are kept and applied when the agent is released (wrap-up over).
"""

from __future__ import annotations

from orchestrator.agents.pool import Agent, AgentPool
from orchestrator.commands import Bridge, Hangup, Originate
from orchestrator.dialer import routes
from orchestrator.dialer.facts import AgentStatus, TransferRefused
from orchestrator.dialer.inputs import TransferCall
from orchestrator.dialer.ports import IdFactory
from orchestrator.events import AgentState
from orchestrator.node.unit import UnitKey
from orchestrator.pacing.base import AgentView
from orchestrator.step import Outbox

CONNECTING = "connecting"
NO_PHONE = "phone disconnected"
NOT_CONFIRMED = "phone not confirmed"  # answered, but no 1 pressed ("press 1 to accept"): hung up
_BUSY = (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)

__all__ = ["CONNECTING", "NOT_CONFIRMED", "NO_PHONE", "AgentBoard"]


class AgentBoard:
    def __init__(self, pool: AgentPool, unit: UnitKey, campaign_id: int, ids: IdFactory,
                 leg_timeout_s: int) -> None:
        self.pool, self.unit = pool, unit
        self.campaign_id = campaign_id
        self._ids = ids
        self.leg_timeout_s = leg_timeout_s

    @property
    def agents(self) -> dict[int, Agent]:
        """The agents this campaign has claimed, by id (the pool's live view: do not mutate)."""
        return self.pool.claimed(self.unit)

    # -- queries -------------------------------------------------------------
    def by_leg(self, channel_id: str) -> Agent | None:
        return next((a for a in self.agents.values() if a.leg == channel_id), None)

    def ready(self) -> list[Agent]:
        """READY agents who may take a customer here (not one another unit reserved)."""
        return [a for a in self.agents.values() if a.state is AgentState.READY and a.reserved is None]

    def longest_idle(self) -> Agent | None:
        """The READY agent who has been ready longest (ties: lowest id, for determinism)."""
        return min(self.ready(), key=lambda a: (a.since, a.agent_id), default=None)

    def views(self, now: float) -> tuple[AgentView, ...]:
        return tuple(AgentView(a.agent_id, a.state, now - a.since, leaving_at=self._leaving_at(a, now))
                     for a in self.agents.values())

    @staticmethod
    def _leaving_at(agent: Agent, now: float) -> float | None:
        """When the pacer should stop counting on ``agent``: an announced departure or a
        reservation by another unit (the earlier), or now if a pause or log-out waits for the
        end of their call."""
        announced: list[float] = []
        if agent.leaving is not None:
            announced.append(agent.leaving[0])
        if agent.reserved is not None:
            announced.append(agent.reserved[0])
        if announced:
            return min(announced)
        if agent.pending is not None and agent.pending[0] is not AgentState.READY:
            return now
        return None

    def announce(self, agent: Agent, leaving_at: float | None, state: AgentState, reason: str,
                 now: float, out: Outbox) -> None:
        """The agent said they leave at ``leaving_at`` (None: after this call, or now if free)."""
        if leaving_at is None or leaving_at <= now:
            agent.leaving = None
            self.request(agent, state, reason, now, out)
        else:
            agent.leaving = (leaving_at, state, reason)

    def departures_due(self, now: float, out: Outbox) -> None:
        """Announced departures whose time has come become requests (pending while on a call)."""
        for agent in list(self.agents.values()):
            if agent.leaving is not None and agent.leaving[0] <= now:
                _, state, reason = agent.leaving
                agent.leaving = None
                self.request(agent, state, reason, now, out)

    # -- transitions ---------------------------------------------------------
    def set_state(self, agent: Agent, state: AgentState, reason: str, now: float, out: Outbox) -> None:
        agent.state, agent.reason, agent.since = state, reason, now
        if state not in _BUSY:
            agent.attempt_id = None
        out.record(AgentStatus(now, agent.agent_id, state, reason))

    def starting(self, agent_id: int) -> Agent | None:
        """The agent, if the pool just logged them in for this campaign and they await :meth:`login`."""
        agent = self.agents.get(agent_id)
        return agent if agent is not None and agent.state is AgentState.LOGGED_OUT else None

    def login(self, agent: Agent, now: float, out: Outbox, *, on_call: str | None = None) -> None:
        """Nail up a leg, or keep the one the pool took over (up already) and, with ``on_call``,
        the call it is in."""
        if on_call is not None:
            agent.attempt_id = on_call
            self.set_state(agent, AgentState.ON_CALL, "", now, out)
        else:
            self.make_ready(agent, now, out)

    def make_ready(self, agent: Agent, now: float, out: Outbox) -> None:
        """READY if the leg is up (and the blending keeps them here); else nail one up (unless one
        is ringing) and wait for its answer."""
        if agent.leg_up:
            self._free(agent, now, out)
            return
        if agent.leg is None:
            self._nail_up(agent, out)
        if (agent.state, agent.reason) != (AgentState.PAUSED, CONNECTING):
            self.set_state(agent, AgentState.PAUSED, CONNECTING, now, out)

    def request(self, agent: Agent, state: AgentState, reason: str, now: float, out: Outbox) -> None:
        """The agent asked (from the desk) to be ready, paused or logged out."""
        if agent.state in _BUSY:
            agent.pending = (state, reason)
        else:
            self._apply(agent, state, reason, now, out)

    def _apply(self, agent: Agent, state: AgentState, reason: str, now: float, out: Outbox) -> None:
        if state is AgentState.READY:
            self.make_ready(agent, now, out)
        elif state is AgentState.PAUSED:
            self.set_state(agent, AgentState.PAUSED, reason, now, out)
        elif state is AgentState.LOGGED_OUT:
            if agent.leg is not None:
                out.send(Hangup(agent.leg))
            self.pool.leave(agent)
            out.record(AgentStatus(now, agent.agent_id, AgentState.LOGGED_OUT, reason))

    def leg_answered(self, agent: Agent, now: float, out: Outbox) -> None:
        """The phone answered: the leg is up, or, with "press 1 to accept", waits for the key."""
        if agent.confirm:
            agent.awaiting_key = True
            return
        self._leg_up(agent, now, out)

    def leg_confirmed(self, agent: Agent, now: float, out: Outbox) -> None:
        """The phone pressed 1 in the hold route (``routes.SIGNAL_CONFIRMED``): the leg is up."""
        agent.awaiting_key = False
        self._leg_up(agent, now, out)

    def _leg_up(self, agent: Agent, now: float, out: Outbox) -> None:
        agent.leg_up = True
        if agent.state is AgentState.PAUSED and agent.reason == CONNECTING:
            self._free(agent, now, out)

    def _free(self, agent: Agent, now: float, out: Outbox) -> None:
        """The agent is free for work: READY here, unless the blending gives them to another unit."""
        if self.pool.free(agent, now):
            self.set_state(agent, AgentState.READY, "", now, out)

    def leg_lost(self, agent: Agent, now: float, out: Outbox) -> None:
        """The agent's phone hung up. A busy agent stays busy (the call's end moves them on)."""
        reason = NOT_CONFIRMED if agent.awaiting_key else NO_PHONE
        agent.leg, agent.leg_up, agent.awaiting_key = None, False, False
        if agent.state not in _BUSY:
            self.set_state(agent, AgentState.PAUSED, reason, now, out)

    def start_wrap_up(self, agent: Agent, now: float, out: Outbox) -> None:
        self.set_state(agent, AgentState.WRAP_UP, "", now, out)  # keeps attempt_id for the disposition

    def hand_over(self, agent_id: int, to_agent_id: int, channel_id: str, now: float,
                  out: Outbox) -> tuple[Agent, Agent] | None:
        """A blind transfer (``orchestrator.node.transfer``, which lent the target to this unit): the
        customer on ``channel_id`` is bridged to the target's leg, the target is ON_CALL on the call,
        the agent who had it goes to WRAP_UP keeping it for their disposition. None (nothing done)
        unless both are this unit's and the agent is on a call."""
        agent, target = self.agents.get(agent_id), self.agents.get(to_agent_id)
        if (agent is None or target is None or target is agent or target.leg is None
                or target.state is not AgentState.READY or agent.attempt_id is None
                or agent.state is not AgentState.ON_CALL):
            return None
        self.set_state(target, AgentState.ON_CALL, "", now, out)
        target.attempt_id = agent.attempt_id
        out.send(Bridge(channel_id, target.leg))
        self.start_wrap_up(agent, now, out)
        return agent, target

    def transfer_failed(self, request: TransferCall, now: float, out: Outbox) -> None:
        """The call of an accepted transfer was gone when this unit came to it (it ended in the same
        moment): the target lent here goes back to the blending, and the refusal is recorded."""
        target = self.agents.get(request.to_agent_id)
        if target is not None and target.state is AgentState.READY:
            self._free(target, now, out)
        out.record(TransferRefused(now, request.request_id, "the call ended before it could be transferred"))

    def release(self, agent: Agent, now: float, out: Outbox) -> None:
        """The agent's call (or reserved preview dial) is over: go where they asked, READY by default."""
        state, reason = agent.pending or (AgentState.READY, "")
        agent.pending = None
        self._apply(agent, state, reason, now, out)

    def wrap_ups_due(self, now: float, wrap_up_s: float) -> list[Agent]:
        return [a for a in self.agents.values()
                if a.state is AgentState.WRAP_UP and now - a.since >= wrap_up_s]

    def _nail_up(self, agent: Agent, out: Outbox) -> None:
        agent.leg, agent.leg_up, agent.awaiting_key = self._ids(), False, False
        variables = {routes.VAR_CAMPAIGN: str(self.campaign_id), routes.VAR_AGENT: str(agent.agent_id)}
        if agent.confirm:
            variables[routes.VAR_CONFIRM] = "yes"
        out.send(Originate(
            attempt_id=self._ids(), channel_id=agent.leg,
            endpoint=agent.phone, route=routes.AGENT_HOLD,
            timeout_s=self.leg_timeout_s, variables=variables,
        ))
