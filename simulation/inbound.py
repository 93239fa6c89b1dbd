"""Inbound calls mixed into the simulated outbound day, decided by the core's own queue unit.

Callers to the hotline arrive as a Poisson process whose rate follows an
hourly profile (``InboundWorld.profile``). They are not simulated by a copy of
the queue's rules: :class:`InboundSide` hosts the core's
:class:`~orchestrator.inbound.queue.InboundQueue` on a real
:class:`~orchestrator.node.host.NodeHost` and feeds it the events a PBX would
(``CallArrived``, ``HungUp``, ``Tick``); the commands it answers (``Bridge``,
``Redirect``) are what the simulator carries out. The outbound side joins the
node as :class:`SimCampaign`, a unit whose claim is the simulator's oldest
waiting customer, so the node's one blending decision and agent pool decide
who the designated overflow agents work for, and their reservations reach
the simulated pacer as the ``leaving_at`` a live campaign would show it.

Erlang C sizes what it fits (:func:`erlang_plan`): the standby of overflow
agents the queue keeps at hand while the hotline is busy, from the peak
hour's traffic and the service-level target, and the what-if of the hotline
seats alone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator.commands import Bridge, Endpoint, EndpointKind
from orchestrator.dialer.inputs import AgentLogin
from orchestrator.erlang import Staffing, agents_needed, average_speed_of_answer, service_level
from orchestrator.events import AgentState, AgentStateChanged, CallArrived, Event, HungUp, Tick
from orchestrator.inbound.queue import (
    CallerAbandoned,
    CallerAnswered,
    CallerSentOn,
    InboundQueue,
    QueueConfig,
)
from orchestrator.node.host import NodeHost
from orchestrator.node.unit import Claim, UnitKey, UnitKind
from orchestrator.step import Step

if TYPE_CHECKING:
    from simulation.engine import Agent, Simulator

HOUR = 3600.0
HOTLINE_NUMBER = "400"
QUEUE_ID = 1
CAMPAIGN = UnitKey(UnitKind.CAMPAIGN, 1)
HOTLINE_IDS = 100_000  # hotline seats' agent ids start here (outbound agents are 0..n-1)


@dataclass(frozen=True, slots=True)
class InboundWorld:
    """The hotline of the reference customer: ~100 calls a day, a peak in the late morning.

    ``profile``: relative arrival rate for each hour from the shift start (warm-up
    included); ``overflow`` designated outbound agents (the first outbound agents);
    ``standby``: None sizes it with Erlang C (:func:`erlang_plan`).
    """

    calls_per_day: float = 100.0
    profile: tuple[float, ...] = (0.5, 0.9, 1.2, 2.4, 1.3, 0.8, 1.0, 1.1, 0.8)
    hotline: int = 1
    overflow: int = 2
    standby: int | None = None
    talk_mean: float = 120.0
    talk_cv: float = 0.8
    wrap_s: float = 20.0
    patience_mean: float = 120.0  # exponential; callers who wait longer hang up
    overflow_after_s: float = 10.0
    standby_notice_s: float = 20.0
    max_wait_s: float = 180.0
    service_s: float = 20.0  # the service level's "answered within"
    service_target: float = 0.9

    @property
    def aht_s(self) -> float:
        return self.talk_mean + self.wrap_s

    def rate_at(self, t_in_day: float, day_s: float) -> float:
        """Calls per second ``t_in_day`` seconds after the shift start (0 outside the profile)."""
        h = int(t_in_day // HOUR)
        if not 0 <= h < len(self.profile) or t_in_day >= day_s:
            return 0.0
        weighted = sum(w * min(HOUR, day_s - i * HOUR)
                       for i, w in enumerate(self.profile) if i * HOUR < day_s)
        return self.calls_per_day * self.profile[h] / weighted


@dataclass(frozen=True, slots=True)
class ErlangPlan:
    """Erlang C on the peak hour: what the hotline alone would give, and the standby it asks for."""

    peak_calls_per_hour: float
    traffic_erlangs: float
    hotline_only_sl: float
    hotline_only_asa_s: float
    staffing: Staffing  # agents (hotline + standby) for the service-level target
    standby: int

    def lines(self) -> list[str]:
        return [f"Erlang C, peak hour: {self.peak_calls_per_hour:.1f} calls/h"
                f" = {self.traffic_erlangs:.2f} Erlang; hotline seats alone:"
                f" SL {100 * self.hotline_only_sl:.1f} %, ASA {self.hotline_only_asa_s:.0f} s;"
                f" {self.staffing.agents} agents give SL {100 * self.staffing.service_level:.1f} %"
                f" -> standby {self.standby}"]


def erlang_plan(spec: InboundWorld, day_s: float) -> ErlangPlan:
    peak = max(spec.rate_at(h * HOUR, day_s) for h in range(len(spec.profile))) * HOUR
    traffic = peak * spec.aht_s / HOUR
    staffing = agents_needed(peak, spec.aht_s, service_level_target=spec.service_target,
                             answer_within_s=spec.service_s)
    return ErlangPlan(peak, traffic, service_level(spec.hotline, traffic, spec.aht_s, spec.service_s),
                      average_speed_of_answer(spec.hotline, traffic, spec.aht_s), staffing,
                      max(0, min(spec.overflow, staffing.agents - spec.hotline)))


@dataclass(slots=True)
class InboundTally:
    offered: int = 0
    waits: list[float] = field(default_factory=list)  # of the callers answered
    by_overflow: int = 0
    abandoned: int = 0
    sent_on: int = 0  # max wait: voicemail or callback
    within: float = 20.0

    def closed(self) -> int:
        return len(self.waits) + self.abandoned + self.sent_on

    @property
    def service_level(self) -> float:
        return sum(w <= self.within for w in self.waits) / (self.closed() or 1)

    @property
    def asa_s(self) -> float:
        return sum(self.waits) / (len(self.waits) or 1)

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / (self.closed() or 1)


@dataclass(frozen=True, slots=True)
class AgentFree(Event):
    """The simulator's outbound agent is free (after a call's wrap-up, or at log-in)."""

    agent_id: int


class SimCampaign:
    """The simulated outbound campaign as a unit of the node (``orchestrator.node.unit.Unit``).

    Its agents' pool records follow the simulator's states (:meth:`InboundSide.synced`);
    when one becomes free it asks the pool, as a campaign's board does, whether it keeps them.
    """

    def __init__(self, side: InboundSide) -> None:
        self.side = side
        self.kept = True

    @property
    def key(self) -> UnitKey:
        return CAMPAIGN

    def handle(self, event: Event) -> Step:
        if isinstance(event, AgentFree):
            rec = self.side.host.pool.get(event.agent_id)
            self.kept = rec is not None and rec.unit == CAMPAIGN and self.side.host.pool.free(rec, event.at)
        return Step()

    def next_wakeup(self) -> float | None:
        return None

    def claim(self, now: float) -> Claim:
        return Claim(waiting_since=self.side.sim.oldest_waiting())

    def lines_on(self, trunk: str) -> int:
        return 0  # the simulated campaign places no PBX calls

    def take(self, agent_id: int, now: float) -> Step:
        rec = self.side.host.pool.get(agent_id)
        if rec is not None:
            rec.state, rec.since = AgentState.READY, now
        self.side.back(agent_id)
        return Step()


class InboundSide:
    """The hotline's callers and seats around the core's queue unit, for one :class:`Simulator`."""

    def __init__(self, sim: Simulator, spec: InboundWorld, seed: int | str, day_s: float) -> None:
        self.sim, self.spec, self.seed = sim, spec, seed
        self.plan = erlang_plan(spec, day_s)
        standby = self.plan.standby if spec.standby is None else spec.standby
        self.config = QueueConfig(
            QUEUE_ID, frozenset({HOTLINE_NUMBER}),
            hotline=frozenset(range(HOTLINE_IDS, HOTLINE_IDS + spec.hotline)),
            overflow=frozenset(range(spec.overflow)), overflow_after_s=spec.overflow_after_s,
            max_wait_s=spec.max_wait_s, wrap_up_s=spec.wrap_s, standby=standby,
            standby_notice_s=spec.standby_notice_s)
        self.host = NodeHost()
        self.outbound = SimCampaign(self)
        self.host.add(self.outbound)
        self.queue = InboundQueue(self.config, self.host.pool, ids=self._ids)
        self.host.add(self.queue)
        self.tally = InboundTally(within=spec.service_s)
        self.calls: dict[str, float] = {}  # caller channel -> talk time
        self._wakeups: set[float] = set()  # ticks scheduled
        self._n = 0

    def _ids(self) -> str:
        self._n += 1
        return f"q{self._n}"

    # -- the day ----------------------------------------------------------------------------------
    def start_day(self, begin: float, day: int, day_s: float) -> None:
        """Log the hotline seats in for the shift (out after their last call); schedule the day's callers."""
        def seats_in() -> None:
            for i in sorted(self.config.hotline):
                phone = Endpoint(EndpointKind.SEAT, f"hotline{i}")
                self.feed(AgentLogin(begin, None, i, phone, leg=f"hleg{i}", queues=(QUEUE_ID,)))

        def seats_out() -> None:
            for i in sorted(self.config.hotline):
                self.feed(AgentStateChanged(begin + day_s, i, AgentState.LOGGED_OUT))
        self.sim.call_at(begin, seats_in)
        self.sim.call_at(begin + day_s, seats_out)
        rng = random.Random(f"{self.seed}/inbound/{day}")  # noqa: S311 - seeded: a run must be reproducible
        spec = self.spec
        for h in range(len(spec.profile)):
            t, end = h * HOUR, min((h + 1) * HOUR, day_s)
            rate = spec.rate_at(t, day_s)
            while rate > 0:
                t += rng.expovariate(rate)
                if t >= end:
                    break
                var = math.log(1.0 + spec.talk_cv ** 2)
                talk = rng.lognormvariate(math.log(spec.talk_mean) - var / 2.0, math.sqrt(var))
                patience = rng.expovariate(1.0 / spec.patience_mean)
                self.sim.call_at(begin + t, self._arrival(talk, patience))

    def _arrival(self, talk: float, patience: float) -> Callable[[], None]:
        def arrive() -> None:
            now = self.sim.now
            self._n += 1
            channel = f"in{self._n}"
            self.calls[channel] = talk
            self.tally.offered += 1
            self.feed(CallArrived(now, channel, call_id=channel, caller_number="2125550100",
                                  dialed_number=HOTLINE_NUMBER))
            self.sim.call_at(now + patience, lambda: self._give_up(channel))
        return arrive

    def _hang_up(self, channel: str) -> Callable[[], None]:
        return lambda: self.feed(HungUp(self.sim.now, channel))

    def _give_up(self, channel: str) -> None:
        if self.queue.position(channel) is not None:
            self.feed(HungUp(self.sim.now, channel))

    def _tick(self) -> None:
        self._wakeups.discard(self.sim.now)
        self.feed(Tick(self.sim.now))

    # -- the node ---------------------------------------------------------------------------------
    def feed(self, event: Event) -> None:
        for _, step in self.host.handle(event):
            self._carry_out(step)
        for agent in self.sim.agents[:self.spec.overflow]:
            self._follow(agent)
        wakeup = self.host.next_wakeup()  # ticked when the node asks, as a runner does
        at = None if wakeup is None else max(wakeup, self.sim.now)
        if at is not None and at not in self._wakeups:
            self._wakeups.add(at)
            self.sim.call_at(at, self._tick)

    def _carry_out(self, step: Step) -> None:
        now = self.sim.now
        for command in step.commands:
            if isinstance(command, Bridge):
                channel = command.channel_id
                self.sim.call_at(now + self.calls.pop(channel), self._hang_up(channel))
        for fact in step.facts:
            if isinstance(fact, CallerAnswered):
                self.tally.waits.append(fact.waited_s)
                self.tally.by_overflow += fact.overflow
            elif isinstance(fact, CallerAbandoned):
                self.tally.abandoned += 1
            elif isinstance(fact, CallerSentOn):
                self.tally.sent_on += 1

    def _follow(self, agent: Agent) -> None:
        """An overflow agent the queue now has leaves the outbound side; a reservation shows as leaving."""
        rec = self.host.pool.get(agent.id)
        if rec is not None and rec.unit == self.queue.key and not agent.inbound:
            self.sim.away(agent)
        self.sim.refresh_view(agent)

    def back(self, agent_id: int) -> None:
        self.sim.back_from_inbound(self.sim.agents[agent_id])

    # -- what the simulator asks ------------------------------------------------------------------
    def designated(self, agent: Agent) -> bool:
        return agent.id < self.spec.overflow

    def login(self, agent: Agent) -> None:
        phone = Endpoint(EndpointKind.SEAT, f"seat{agent.id}")
        self.feed(AgentLogin(self.sim.now, CAMPAIGN.id, agent.id, phone, leg=f"leg{agent.id}",
                             queues=(QUEUE_ID,)))

    def keeps(self, agent: Agent) -> bool:
        """The agent is free: does the outbound campaign keep them (else the queue has them now)?"""
        self.outbound.kept = True
        self.feed(AgentFree(self.sim.now, agent.id))
        return self.outbound.kept and not agent.inbound

    def synced(self, agent: Agent, state: AgentState, now: float) -> None:
        rec = self.host.pool.get(agent.id)
        if rec is not None and rec.unit == CAMPAIGN:
            rec.state, rec.since = state, now

    def reserved_at(self, agent_id: int) -> float | None:
        rec = self.host.pool.get(agent_id)
        return rec.reserved[0] if rec is not None and rec.reserved is not None else None
