"""The simulated world of BENCHMARKS.md: who answers, how long phones ring, talk and wrap.

Common random numbers: every lead's fate is pre-drawn from its own chunk of
a seeded stream (``seed/chunk``), so the i-th lead dialed has the same
outcome draw, ring times, AMD draw, talk and wrap under every policy; only
*when* it is dialed differs (which matters where the world drifts in time).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from orchestrator.compliance import ComplianceProfile
from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.rules import LeadRules

if TYPE_CHECKING:
    from simulation.inbound import InboundWorld

CHUNK = 1024
HOUR = 3600.0
DAY = 86400.0
FOCUS_S = 600.0  # an event's aftermath measured apart (``World.event_h``): its first ten minutes


@dataclass(frozen=True, slots=True)
class ListSegment:
    """From ``start_h`` hours into the shift, the answer rate drifts ``p_from`` -> ``p_to``."""

    start_h: float
    end_h: float
    p_from: float
    p_to: float


def _abandon_quiet_s() -> float:
    rules = LeadRules()
    return max(rules.abandon_no_recall_s, rules.delay(Outcome.ABANDONED))


@dataclass(frozen=True, slots=True)
class World:
    agents: int = 48
    days: int = 1
    shift_start_h: float = 9.0  # time of day the shift (and its warm-up) begins
    warmup_s: float = 1800.0
    shift_s: float = 8 * HOUR  # measured part, after the warm-up
    p_live: float = 0.3
    p_machine: float = 0.25
    p_failed: float = 0.10
    lists: tuple[ListSegment, ...] = ()  # answer-rate schedule; empty: p_live all day
    ring_live: tuple[float, float] = (9.0, 6.0)  # log-normal mean, sd (s)
    ring_machine: tuple[float, float] = (16.0, 5.0)
    ring_failed: tuple[float, float] = (1.0, 5.0)  # uniform range (s)
    give_up_s: float = 25.0
    amd_s: float = 2.0
    amd_false_positive: float = 0.02  # live people the AMD hangs up on
    amd_false_negative: float = 0.15  # machines passed to agents
    machine_talk: tuple[float, float] = (4.0, 12.0)  # agent hears a machine: uniform (s)
    machine_wrap_s: float = 3.0
    talk_mean: float = 240.0
    talk_cv: float = 1.0
    handle_swing: float = 0.0  # +-fraction of talk and wrap over the shift (S4)
    wrap_mean: float = 20.0
    wrap_cv: float = 0.5
    abandon_after_s: float = 2.0
    cap: float = 0.03
    profile: ComplianceProfile = ComplianceProfile.US
    staffing: str = "steady"  # or "breaks": 48 +- 6 logged in, breaks and part-timers; or
    # "departure": half the agents leave within ten minutes at ``event_h`` for 45 min (lunch)
    announce_s: float = 0.0  # agents announce a departure this long before they go (0: never)
    event_h: float | None = None  # hours into the day whose next ten minutes are measured apart
    recall_abandoned_after_s: float = field(default_factory=_abandon_quiet_s)
    max_lines: int = 600  # what the PBX node sustains
    inbound: InboundWorld | None = None  # hotline callers mixed into the day (simulation.inbound)

    def with_(self, **changes: Any) -> World:
        return replace(self, **changes)

    def cut_after_event(self) -> World:
        """The same world with each day ending when its event's ten minutes (``FOCUS_S``) do.

        Until then a cut day is the full day to the dial (same leads, same staffing): the
        event's figure is the same, without the hours after it that do not count towards it.
        A quick benchmark then buys more events, hence less noise, for the same time."""
        if self.event_h is None:
            raise ValueError("a world without an event (event_h) has nothing to cut after")
        return replace(self, shift_s=self.event_h * HOUR + FOCUS_S - self.warmup_s)

    @property
    def day_s(self) -> float:
        return self.warmup_s + self.shift_s

    def p_live_at(self, t_in_shift: float) -> float:
        if not self.lists:
            return self.p_live
        h = t_in_shift / HOUR
        for seg in self.lists:
            if seg.start_h <= h < seg.end_h:
                return seg.p_from + (seg.p_to - seg.p_from) * (h - seg.start_h) / (seg.end_h - seg.start_h)
        return self.lists[-1].p_to

    def handle_factor(self, t_in_shift: float, day: int) -> float:
        if not self.handle_swing:
            return 1.0
        return 1.0 + self.handle_swing * math.sin(2 * math.pi * t_in_shift / self.day_s + 1.7 * day)

    def amd_fp_per_machine_verdict(self) -> float:
        """What a campaign's AMD accuracy test would report: humans among machine verdicts."""
        fp = self.p_live * self.amd_false_positive
        return fp / (fp + self.p_machine * (1.0 - self.amd_false_negative))


def _lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    """(mu, sigma) of the log-normal with this mean and standard deviation."""
    var = math.log(1.0 + (sd / mean) ** 2)
    return math.log(mean) - var / 2.0, math.sqrt(var)


@dataclass(frozen=True, slots=True)
class LeadDraw:
    """Everything random about one dial, drawn before any policy sees it."""

    u_outcome: float
    u_amd: float
    ring_live: float
    ring_machine: float
    ring_failed: float
    talk_unit: float  # talk / mean talk
    wrap_unit: float
    machine_talk: float


class LeadStream:
    """The i-th lead's draws, the same for every policy (chunks seeded by ``seed/name/chunk``)."""

    def __init__(self, world: World, seed: int | str, name: str = "leads") -> None:
        self.world = world
        self.key = f"{seed}/{name}"
        self._chunks: dict[int, list[LeadDraw]] = {}
        self.used = 0

    def next(self) -> LeadDraw:
        i = self.used
        self.used += 1
        chunk = self._chunks.get(i // CHUNK)
        if chunk is None:
            self._chunks.clear()
            chunk = self._chunks[i // CHUNK] = self._draw(i // CHUNK)
        return chunk[i % CHUNK]

    def _draw(self, index: int) -> list[LeadDraw]:
        w = self.world
        rng = random.Random(f"{self.key}/{index}")  # noqa: S311 - seeded: a run must be reproducible
        rand, normal, uniform, exp = rng.random, rng.normalvariate, rng.uniform, math.exp
        # exp(normalvariate) is what rng.lognormvariate returns: the same numbers, with the
        # parameters worked out once per chunk instead of once per draw.
        live, machine = _lognormal_params(*w.ring_live), _lognormal_params(*w.ring_machine)
        talk, wrap = _lognormal_params(1.0, w.talk_cv), _lognormal_params(1.0, w.wrap_cv)
        draws = []
        for _ in range(CHUNK):
            draws.append(LeadDraw(
                rand(), rand(),
                exp(normal(*live)), exp(normal(*machine)),
                uniform(*w.ring_failed),
                exp(normal(*talk)), exp(normal(*wrap)),
                uniform(*w.machine_talk)))
        return draws


@dataclass(frozen=True, slots=True)
class Shift:
    """One agent's logged-in intervals for a day, in seconds from the shift start."""

    intervals: tuple[tuple[float, float], ...]


def staffing_plan(world: World, seed: int | str, day: int) -> list[Shift]:
    """Who is logged in when: everyone all day, or (``breaks``) about 48 +- 6: two 15-min
    breaks and a 30-min lunch each, from a roster of 56 of whom 8 work 2 h less (late in or early out)."""
    end = world.day_s
    if world.staffing == "steady":
        return [Shift(((0.0, end),)) for _ in range(world.agents)]
    rng = random.Random(f"{seed}/staff/{day}")  # noqa: S311 - seeded: a run must be reproducible
    if world.staffing == "departure":
        at = (world.event_h or 4.0) * HOUR
        leave = [at + rng.uniform(0.0, 600.0) for _ in range(world.agents // 2)]
        # Back after 45 min, unless the day (cut after its event) is over by then.
        return [Shift(((0.0, t), (t + 2700.0, end)) if t + 2700.0 < end else ((0.0, t),)) for t in leave] + \
            [Shift(((0.0, end),)) for _ in range(world.agents - len(leave))]
    roster = world.agents + 8
    part_timers = set(rng.sample(range(roster), 8))
    plan = []
    for i in range(roster):
        start, stop = 0.0, end
        if i in part_timers:
            if rng.random() < 0.5:
                start = 2 * HOUR
            else:
                stop = end - 2 * HOUR
        pauses = [(rng.uniform(1.0, 3.0) * HOUR, 900.0), (rng.uniform(3.0, 5.5) * HOUR, 1800.0),
                  (rng.uniform(5.5, 7.5) * HOUR, 900.0)]
        intervals, t = [], start
        for at, length in pauses:
            if t < at < stop:
                intervals.append((t, at))
                t = at + length
        if t < stop:
            intervals.append((t, stop))
        plan.append(Shift(tuple(intervals)))
    return plan
