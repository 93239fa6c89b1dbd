"""What makes ``bench.pacing --quick`` quick without changing what it measures.

A day cut after its event gives the event the same figure as the full day; the baselines are
not asked again while nothing changed, and the dialer's windows are read once a minute or after
a count, with the same decisions as before; the events' pooled rate comes with its error.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from bench import pacing
from orchestrator.pacing.base import PacingState
from orchestrator.pacing.simple import FixedRatioPolicy, ProgressivePolicy
from simulation import simulate
from simulation.engine import Simulator
from simulation.metrics import pooled_rate
from simulation.scenarios import scenario
from simulation.world import FOCUS_S

SMALL = {"agents": 12}  # a 12-agent day simulates in well under a second


def test_pooled_rate_weighs_persons_and_takes_its_error_from_the_spread_between_events():
    assert pooled_rate([(100, 3), (300, 6)]) == pytest.approx((9 / 400, _cluster_se([(100, 3), (300, 6)])))
    assert pooled_rate([(100, 3), (100, 3)]) == (0.03, 0.0)  # identical events: no spread
    rate, se = pooled_rate([(150, 4)])
    assert rate == 4 / 150
    assert math.isnan(se)  # one event says nothing about the spread
    assert pooled_rate([])[0] == 0.0


def _cluster_se(events):
    n = sum(e[0] for e in events)
    r = sum(e[1] for e in events) / n
    k = len(events)
    return math.sqrt(k / (k - 1) * sum((a - r * p) ** 2 for p, a in events)) / n


def test_a_day_cut_after_its_event_measures_the_event_as_the_full_day_does():
    world = scenario("S10").with_(**SMALL)
    cut = world.cut_after_event()
    assert cut.day_s == world.event_h * 3600.0 + FOCUS_S
    full_run = simulate(world, ProgressivePolicy(), 3).tally.summary(world.cap, world.profile)
    cut_run = simulate(cut, ProgressivePolicy(), 3).tally.summary(cut.cap, cut.profile)
    assert full_run.focus_events == cut_run.focus_events
    assert full_run.focus_events[0][0] > 0  # persons answered in the ten minutes
    with pytest.raises(ValueError, match="event"):
        scenario("S1").cut_after_event()


class _AlwaysAsked(FixedRatioPolicy):
    counts_only = False


class _WindowProbe(ProgressivePolicy):
    """Checks, every second it is asked, that the windows shown are the counter's as of now."""

    counts_only = False
    simulator: Simulator

    def lines_to_dial(self, state: PacingState) -> int:
        assert state.windows == self.simulator.counter.windows(state.now)
        return super().lines_to_dial(state)


def test_a_baseline_not_asked_while_nothing_changed_decides_exactly_as_when_asked_every_second():
    world = scenario("S3").with_(**SMALL)
    quiet = simulate(world, FixedRatioPolicy(3.0), 2).tally.summary(world.cap, world.profile)
    asked = simulate(world, _AlwaysAsked(3.0), 2).tally.summary(world.cap, world.profile)
    assert dataclasses.asdict(quiet) == dataclasses.asdict(asked)


def test_the_windows_the_policy_sees_are_the_counters_as_of_now():
    world = scenario("S1").with_(agents=6, shift_s=3600.0)
    probe = _WindowProbe()
    probe.simulator = sim = Simulator(world, probe, 1)
    sim.run()
    assert sim.counter.windows(sim.now)[0].live_answers > 0


def test_quick_measures_many_short_events_and_reports_their_error():
    jobs = pacing.plan(True, 2)
    steps = [j for j in jobs if j.name == "S9"]
    assert len(steps) == pacing.QUICK_STEPS
    assert all(j.cut and j.days == 1 for j in steps)
    assert len({j.seed for j in steps}) == len(steps)
    summary = pacing.Summary(*([0.0] * 19), focus_events=((100, 3),))
    results = [(j, "ours", dataclasses.replace(summary, focus_events=((100, j.seed % 2 * 6),)), 0.0)
               for j in steps]
    line = pacing.result_line(results)
    assert "step_up_10min_abandon_pct=3.00" in line
    assert f"step_up_events={pacing.QUICK_STEPS}" in line
    _, se = pooled_rate([(100, s % 2 * 6) for s in range(1, pacing.QUICK_STEPS + 1)])
    assert f"step_up_10min_abandon_se={pacing.pct(se)}" in line
