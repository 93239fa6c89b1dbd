"""The discrete-event dialer: agents, lines, AMD and abandons in simulated time.

It builds the same :class:`~orchestrator.pacing.base.PacingState` a live
dialer builds, once per simulated second, asks the policy, dials, and emits
the facts a live dialer emits (attempt started, answered, AMD verdict,
bridged, abandoned, ended; agent wrap-up) into the same
:class:`~orchestrator.dialer.pacing_feed.PacingFeed`, so the policy learns
from exactly what it learns from live. The
compliance counters the policy sees are :class:`orchestrator.compliance.AbandonCounter`
fed with what a dialer can know (AMD verdicts); the metrics use the truth
(who really was a person), in separate counters.

Speed matters (30-day windows): events are tuples on one ``heapq``, agent
views are rebuilt only when an agent changes state, waiting customers and
ready agents are FIFO deques with lazy deletion.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orchestrator.compliance import BUCKET_S, AbandonCounter, ComplianceProfile, abandon_rate
from orchestrator.dialer import facts as f
from orchestrator.dialer.pacing_feed import PacingFeed
from orchestrator.events import AgentState, AmdVerdict
from orchestrator.leads.outcomes import Outcome
from orchestrator.pacing.base import AgentView, PacingPolicy, PacingState
from simulation.inbound import InboundSide
from simulation.metrics import Tally
from simulation.world import DAY, FOCUS_S, LeadDraw, LeadStream, World, staffing_plan

# event kinds (CALL: a callable, for the inbound side)
ANSWER, VERDICT, LINE_END, GIVE_UP, TALK_END, WRAP_END, LOGIN, LOGOUT, ANNOUNCE, CALL = range(10)
EVAL_EVERY_S = 900.0
RECALL_CHECK_S = 72 * 3600.0


class Call:
    __slots__ = (
        "dialed",
        "done",
        "draw",
        "id",
        "kind",
        "lead",
        "recall_of",
        "ring",
        "talk",
        "verdict_at",
        "wrap",
    )

    def __init__(self, cid: int, draw: LeadDraw, dialed: float, lead: int, recall_of: float | None):
        self.id, self.draw, self.dialed, self.lead, self.recall_of = cid, draw, dialed, lead, recall_of
        self.kind = ""
        self.ring = self.talk = self.wrap = 0.0
        self.verdict_at = 0.0
        self.done = False


class Agent:
    __slots__ = ("call", "free_at", "id", "inbound", "leaving", "leaving_at", "ready_token", "since", "state")

    def __init__(self, aid: int):
        self.id = aid
        self.inbound = False  # an overflow agent the inbound queue has (away from outbound)
        self.state = AgentState.LOGGED_OUT
        self.since = 0.0
        self.free_at: float | None = None
        self.leaving = False
        self.leaving_at: float | None = None  # announced departure (what the desk's button sends)
        self.call: Call | None = None
        self.ready_token = 0


@dataclass(frozen=True, slots=True)
class Run:
    policy: str
    world: World
    tally: Tally


class Simulator:
    def __init__(self, world: World, policy: PacingPolicy, seed: int | str = 1) -> None:
        self.w = world
        self.policy = policy
        self.feed = PacingFeed(policy, uses_amd=True)
        self.seed = seed
        self.truth = bool(getattr(policy, "oracle", False))
        #: A policy whose answer depends on the agents' states and the line counts only (the
        #: baselines) is not asked again while no event changed them since it said 0: it would
        #: say 0 again. Half a baseline's seconds are such, and its runs are the ratio's tuning.
        self.counts_only = bool(getattr(policy, "counts_only", False))
        self.handled = 0  # events handled so far
        self._quiet_after = -1  # ``handled`` when the policy last said 0 (-1: it did not)
        self.leads = LeadStream(world, seed)
        self.recall_draws = LeadStream(world, seed, "recalls")
        self.heap: list[tuple] = []
        self.seq = 0
        self.now = 0.0
        self.agents: list[Agent] = []
        self.views: list[AgentView] = []  # agent.view by id, what the policy is shown
        self.ready: deque[tuple[Agent, int]] = deque()
        self.waiting: deque[Call] = deque()
        self.n_waiting = 0
        self.ringing: dict[int, float] = {}
        self.answered = 0
        self.talking = 0
        self.recalls: deque[tuple[float, int, float]] = deque()  # (due, lead, abandoned at)
        self.n_calls = 0
        # The profile's rules decide whether the false positives count (the counter reads them).
        self.counter = AbandonCounter(world.profile, world.amd_fp_per_machine_verdict())
        #: ``counter.windows`` as last read, and the minute it was read in (None: counts changed since).
        #: Buckets start on whole minutes, so the windows change only on a count or a new minute.
        self._windows: tuple = ()
        self._windows_minute: float | None = None
        self.us = AbandonCounter(ComplianceProfile.US)
        # The regulator's measure: AMD machine verdicts x the campaign's estimated false-positive rate.
        self.ofcom = AbandonCounter(ComplianceProfile.UK, world.amd_fp_per_machine_verdict())
        self.t = Tally(fp_per_machine_verdict=world.amd_fp_per_machine_verdict())
        self.day = 0
        self.shift_begin = 0.0
        self.measure = (0.0, 0.0)
        self.next_eval = EVAL_EVERY_S
        #: What each event kind does: the one registry :meth:`advance` dispatches on.
        self._handlers: dict[int, Callable[[Any], None]] = {
            ANSWER: self._on_answer, VERDICT: self._on_verdict, LINE_END: self._on_line_end,
            GIVE_UP: self._on_give_up, TALK_END: self._on_talk_end, WRAP_END: self._agent_free,
            LOGIN: self._on_login, LOGOUT: self._on_logout, ANNOUNCE: self._on_announce,
            CALL: lambda fn: fn()}
        self.inbound = None if world.inbound is None else InboundSide(self, world.inbound, seed, world.day_s)

    # -- plumbing -------------------------------------------------------------------------
    def at(self, when: float, kind: int, obj: object) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, kind, obj))

    def call_at(self, when: float, fn: Callable[[], None]) -> None:
        self.at(when, CALL, fn)

    def run(self) -> Tally:
        w = self.w
        start_of_day = w.shift_start_h * 3600.0
        for day in range(w.days):
            self.day = day
            self.shift_begin = begin = day * DAY + start_of_day
            self.measure = (begin + w.warmup_s, begin + w.day_s)
            if w.event_h is not None:
                event = begin + w.event_h * 3600.0
                self.t.focus_window(event, event + FOCUS_S)
            self._staff(day)
            if self.inbound is not None:
                self.inbound.start_day(begin, day, w.day_s)
            tick = 0
            end = int(w.day_s)
            while tick < end:
                t = begin + tick
                self.advance(t)
                self._tick(t)
                tick += 1
            self.advance((day + 1) * DAY)
        self.advance(w.days * DAY)
        return self.t

    def advance(self, until: float) -> None:
        heap, handlers = self.heap, self._handlers
        while heap and heap[0][0] <= until:
            when, _, kind, obj = heapq.heappop(heap)
            self.now = when
            while self.next_eval <= when:
                self._evaluate(self.next_eval)
            handlers[kind](obj)
            self.handled += 1
        self.now = until
        while self.next_eval <= until:
            self._evaluate(self.next_eval)

    def _evaluate(self, at: float) -> None:
        self.next_eval += EVAL_EVERY_S
        self.t.evaluate_windows(at, self.us.windows(at), self.ofcom.windows(at), self.w.cap)

    # -- agents ---------------------------------------------------------------------------
    def _staff(self, day: int) -> None:
        plan = staffing_plan(self.w, self.seed, day)
        while len(self.agents) < len(plan):
            agent = Agent(len(self.agents))
            self.agents.append(agent)
            self.views.append(AgentView(agent.id, AgentState.LOGGED_OUT, 0.0, 0.0))
        end = self.w.day_s
        drain = self.w.give_up_s + self.w.amd_s + self.w.abandon_after_s + 5.0
        for agent, shift in zip(self.agents, plan, strict=False):
            for on, off in shift.intervals:
                self.at(self.shift_begin + on, LOGIN, agent)
                # At the end of the day agents stay until the last lines dialed are answered.
                self.at(self.shift_begin + (off if off < end else end + drain), LOGOUT, agent)
                if self.w.announce_s and off < end:  # "pause after this call", said ahead
                    leaves = self.shift_begin + off
                    self.at(leaves - self.w.announce_s, ANNOUNCE, (agent, leaves))

    def _set(self, agent: Agent, state: AgentState) -> None:
        now = self.now
        self.t.agent_time(agent.state, agent.since, now, self.measure)
        if state is AgentState.WRAP_UP or agent.state is AgentState.WRAP_UP:  # what the feed reads
            self.feed.feed((f.AgentStatus(now, agent.id, state),))
        agent.state, agent.since = state, now
        if self.inbound is not None:
            self.inbound.synced(agent, state, now)
        self._view(agent)
        if state is AgentState.READY:
            agent.ready_token += 1
            self.ready.append((agent, agent.ready_token))

    def _view(self, agent: Agent) -> None:
        leaving_at = agent.leaving_at
        if self.inbound is not None and (reserved := self.inbound.reserved_at(agent.id)) is not None:
            leaving_at = reserved if leaving_at is None else min(leaving_at, reserved)
        self.views[agent.id] = AgentView(agent.id, agent.state, 0.0, agent.since,
                                         agent.free_at if self.truth else None, leaving_at)

    def refresh_view(self, agent: Agent) -> None:
        self._view(agent)

    def _pop_ready(self) -> Agent | None:
        ready = self.ready
        skipped = []  # reserved by the inbound queue: no new outbound customer (as a live board)
        found = None
        while ready:
            agent, token = ready.popleft()
            if agent.state is AgentState.READY and agent.ready_token == token:
                if self.inbound is not None and self.inbound.reserved_at(agent.id) is not None:
                    skipped.append((agent, token))
                    continue
                found = agent
                break
        ready.extendleft(reversed(skipped))
        return found

    def oldest_waiting(self) -> float | None:
        """When the longest-waiting outbound customer started waiting (the campaign's claim)."""
        return next((c.verdict_at for c in self.waiting if not c.done), None)

    def away(self, agent: Agent) -> None:
        """The inbound queue has this overflow agent now: away from the outbound campaign."""
        agent.inbound = True
        self._set(agent, AgentState.LOGGED_OUT)

    def back_from_inbound(self, agent: Agent) -> None:
        """The blending gave the overflow agent back to the outbound campaign."""
        agent.inbound = False
        self._to_work(agent)

    def _agent_free(self, agent: Agent) -> None:
        """Wrap-up over (or just logged in): the inbound queue if the blending says so, else
        the next waiting customer, else ready (or leave)."""
        agent.call = None
        agent.free_at = None
        if not agent.leaving and self.inbound is not None and self.inbound.designated(agent) \
                and not self.inbound.keeps(agent):
            return
        self._to_work(agent)

    def _to_work(self, agent: Agent) -> None:
        if agent.leaving:
            agent.leaving = False
            self._set(agent, AgentState.LOGGED_OUT)
            return
        while self.waiting:
            call = self.waiting.popleft()
            if not call.done:
                self.n_waiting -= 1
                self._set(agent, AgentState.READY)  # zero-length: keeps the idle tally honest
                self._bridge(agent, call)
                return
        self._set(agent, AgentState.READY)

    def _bridge(self, agent: Agent, call: Call) -> None:
        now = self.now
        call.done = True
        self.t.connect(call.kind, now - agent.since, now - call.verdict_at, now, self.measure)
        if call.kind == "live":
            self.t.person(now, self.day, abandoned=False)
        self.feed.feed((f.AttemptBridged(now, str(call.id), agent.id, "", now - call.verdict_at),))
        agent.call = call
        agent.free_at = now + call.talk + call.wrap
        self.talking += 1
        self._set(agent, AgentState.ON_CALL)
        self.at(now + call.talk, TALK_END, agent)

    # -- lines ----------------------------------------------------------------------------
    def _dial(self) -> None:
        w, now = self.w, self.now
        recall_of = None
        if self.recalls and self.recalls[0][0] <= now:
            _, lead, recall_of = self.recalls.popleft()
            draw = self.recall_draws.next()
        else:
            lead = self.leads.used
            draw = self.leads.next()
        self.n_calls += 1
        call = Call(self.n_calls, draw, now, lead, recall_of)
        t_in = now - self.shift_begin
        p = w.p_live_at(t_in)
        u = draw.u_outcome
        if u < p:
            call.kind, call.ring = "live", draw.ring_live
        elif u < p + w.p_machine:
            call.kind, call.ring = "machine", draw.ring_machine
        elif u < p + w.p_machine + w.p_failed:
            call.kind, call.ring = "failed", draw.ring_failed
        else:
            call.kind, call.ring = "no_answer", w.give_up_s
        if call.kind in ("live", "machine") and call.ring > w.give_up_s:
            call.kind, call.ring = "no_answer", w.give_up_s
        factor = w.handle_factor(t_in, self.day)
        if call.kind == "live":
            call.talk = draw.talk_unit * w.talk_mean * factor
            call.wrap = draw.wrap_unit * w.wrap_mean * factor
        else:
            call.talk, call.wrap = draw.machine_talk, w.machine_wrap_s
        self.t.dial(now, recall_of, self.measure)
        self.feed.feed((f.AttemptStarted(now, str(call.id), 0, lead, "", ""),))
        self.ringing[call.id] = now
        if call.kind in ("live", "machine"):
            self.at(now + call.ring, ANSWER, call)
        else:
            self.at(now + call.ring, LINE_END, call)

    def _tick(self, now: float) -> None:
        if self._quiet_after == self.handled:
            return  # counts_only, said 0, and nothing happened since
        state = PacingState(
            now=now, agents=tuple(self.views), lines_ringing=len(self.ringing) + self.answered,
            customers_waiting=self.n_waiting, abandon_cap=self.w.cap,
            windows=self._counted_windows(now), max_lines=self.w.max_lines - self._lines(),
            lines_answered=self.answered, ring_started=tuple(self.ringing.values()))
        n = self.policy.lines_to_dial(state)
        for _ in range(min(n, state.max_lines)):
            self._dial()
        self._quiet_after = self.handled if self.counts_only and n <= 0 else -1
        self.t.lines(self._lines())

    def _counted_windows(self, now: float) -> tuple:
        """What the dialer's counter says now, read again only when it can have changed (a count
        since, or a new minute: a bucket leaves a window only at a minute's turn). Read every
        simulated second, it was ~10 % of a baseline's run."""
        minute = now // BUCKET_S
        if minute != self._windows_minute:
            self._windows, self._windows_minute = self.counter.windows(now), minute
        return self._windows

    def _count(self, now: float, **counts: int) -> None:
        """Count in the dialer's own counter (what the policy is shown)."""
        self.counter.record(now, **counts)
        self._windows_minute = None

    def _lines(self) -> int:
        return len(self.ringing) + self.answered + self.n_waiting + self.talking

    # -- events ---------------------------------------------------------------------------
    def _on_answer(self, call: Call) -> None:
        del self.ringing[call.id]
        self.answered += 1
        self.feed.feed((f.AttemptAnswered(self.now, str(call.id)),))
        self.at(self.now + self.w.amd_s, VERDICT, call)

    def _on_verdict(self, call: Call) -> None:
        self.answered -= 1
        self._verdict(call)

    def _on_line_end(self, call: Call) -> None:
        del self.ringing[call.id]
        outcome = Outcome.BUSY if call.kind == "failed" else Outcome.NO_ANSWER
        self.t.outcome(call.kind)
        self.feed.feed((f.AttemptEnded(self.now, str(call.id), outcome),))

    def _on_give_up(self, call: Call) -> None:
        if not call.done:
            call.done = True
            self.n_waiting -= 1
            self._abandon(call)

    def _on_talk_end(self, agent: Agent) -> None:
        call = agent.call
        if call is None:  # TALK_END is set only by a bridge, and the call stays the agent's until WRAP_END
            raise RuntimeError(f"agent {agent.id}: talk ended without a call")
        self.talking -= 1
        self.feed.feed((f.AttemptEnded(self.now, str(call.id), Outcome.CONNECTED, 16, call.talk),))
        self._set(agent, AgentState.WRAP_UP)
        self.at(self.now + call.wrap, WRAP_END, agent)

    def _on_announce(self, announced: tuple[Agent, float]) -> None:
        agent, agent_leaves = announced
        agent.leaving_at = agent_leaves
        self._view(agent)

    def _on_login(self, agent: Agent) -> None:
        agent.leaving = False
        agent.leaving_at = None
        self._view(agent)
        if agent.state is AgentState.LOGGED_OUT and not agent.inbound:
            if self.inbound is not None and self.inbound.designated(agent):
                self.inbound.login(agent)
                if agent.inbound:
                    return
            self._agent_free(agent)

    def _on_logout(self, agent: Agent) -> None:
        if agent.inbound:
            agent.leaving = True  # applied when the queue gives them back
        elif agent.state is AgentState.READY:
            self._set(agent, AgentState.LOGGED_OUT)
        elif agent.state is not AgentState.LOGGED_OUT:
            agent.leaving = True

    def _verdict(self, call: Call) -> None:
        w, now = self.w, self.now
        draw = call.draw
        person = call.kind == "live"
        passed = draw.u_amd >= w.amd_false_positive if person else draw.u_amd < w.amd_false_negative
        if not passed:
            self._count(now, machines=1)
            self.ofcom.record(now, machines=1)
            self.t.outcome("amd_false_positive" if person else "machine")
            self.feed.feed((f.AmdDecided(now, str(call.id), AmdVerdict.MACHINE),
                            f.AttemptEnded(now, str(call.id), Outcome.MACHINE)))
            return
        if person:
            # A machine that got through is counted when its fate is known: the agent who
            # hears it dispositions it as a machine; if it is dropped, nobody can tell.
            self._count(now, live_answers=1)
            self.t.measured(live_answers=1)
            self.us.record(now, live_answers=1)
            self.ofcom.record(now, live_answers=1)
        self.feed.feed((f.AmdDecided(now, str(call.id), AmdVerdict.HUMAN),))
        call.verdict_at = now
        agent = self._pop_ready()
        if agent is not None:
            self._bridge(agent, call)
            return
        self.waiting.append(call)
        self.n_waiting += 1
        self.at(now + w.abandon_after_s, GIVE_UP, call)

    def _abandon(self, call: Call) -> None:
        now = self.now
        if call.kind == "live":
            self._count(now, abandons=1)
            self.t.measured(abandons=1)
        else:
            self._count(now, live_answers=1, abandons=1)
            self.t.measured(live_answers=1, abandons=1)
        if call.kind == "live":
            self.us.record(now, abandons=1)
            self.ofcom.record(now, abandons=1)
            self.t.person(now, self.day, abandoned=True)
            self.recalls.append((now + self.w.recall_abandoned_after_s, call.lead, now))
        self.t.abandon(call.kind, now - call.verdict_at)
        self.feed.feed((f.AttemptAbandoned(now, str(call.id), now - call.verdict_at, "no agent"),
                        f.AttemptEnded(now, str(call.id), Outcome.ABANDONED)))


def simulate(world: World, policy: PacingPolicy, seed: int | str = 1) -> Run:
    """Run ``world`` for ``world.days`` days under ``policy``; deterministic for a seed."""
    return Run(policy.name, world, Simulator(world, policy, seed).run())


__all__ = ["Run", "Simulator", "abandon_rate", "simulate"]
