"""Issue 18's pieces of the predictive policy: the binomial window bound, change detection,
announced departures and the supervisor's explanation."""

import math
import random

import pytest

from orchestrator.events import AgentState
from orchestrator.pacing.base import (
    AbandonWindow,
    AgentView,
    CallResult,
    DialOutcome,
    PacingReason,
    PacingState,
)
from orchestrator.pacing.learning import Cusum, window_target
from orchestrator.pacing.predictive import PredictivePolicy

R, C = AgentState.READY, AgentState.ON_CALL


def test_window_target_keeps_z_sqrt_cap_x_coming_abandons_in_hand():
    # 26 abandons of 900 live answers, 100 more coming: r solves 26 + 100 r + 1.64 sqrt(100 x .03 x .97)
    # = 0.03 x 1000.
    r = window_target(0.03, 26, 900, 100, 1.64)
    assert r == pytest.approx((30 - 26 - 1.64 * math.sqrt(100 * 0.03 * 0.97)) / 100)


def test_window_target_is_tight_for_a_small_team_and_loose_for_a_large_one():
    # Both windows exactly at a steady 2.9 %; the small team expects 70 answers over the horizon,
    # the large one 350: the same probability of ending over the cap needs a lower rate for the small.
    small = window_target(0.03, 0.029 * 870, 870, 70, 1.64)
    large = window_target(0.03, 0.029 * 6000, 6000, 350, 1.64)
    assert small < large
    assert window_target(0.03, 0, 10_000, 100, 1.64) == 0.03  # far under: never more than the cap
    assert window_target(0.03, 400, 10_000, 100, 1.64) == 0.0  # over: no abandon to spare


def test_cusum_catches_a_shift_either_way_and_ignores_noise():
    rng = random.Random(7)
    detector = Cusum(0.25, 8.0)
    sd = math.sqrt(0.2 * 0.8)
    alarms = [detector.add(float(rng.random() < 0.2), 0.2, sd) for _ in range(2000)]
    assert alarms.count(1) + alarms.count(-1) <= 6  # at most one false alarm per ~330 dials
    up = Cusum(0.25, 8.0)
    first = next(i for i in range(1000) if up.add(float(rng.random() < 0.35), 0.2, sd) == 1)
    assert first < 150  # a list switch 0.20 -> 0.35: about two minutes of a 48-agent campaign's dials
    down = Cusum(0.25, 8.0)
    assert any(down.add(float(rng.random() < 0.1), 0.2, sd) == -1 for _ in range(300))


def settled(p: float, dials: int = 200) -> PredictivePolicy:
    """A policy whose answer rate learned ``p`` from ``dials`` real settled dials."""
    policy = PredictivePolicy()
    every = round(1 / p)
    for i in range(dials):
        result = CallResult.LIVE if i % every == 0 else CallResult.NO_ANSWER
        policy.observe(DialOutcome(float(i), result, 9.0, 11.0))
    policy.lines_to_dial(PacingState(dials + 100.0, (), 0, 0, 0.03))
    return policy


def test_an_answer_rate_step_up_is_learned_from_a_few_dozen_dials():
    policy = settled(0.2, 400)
    before = policy.live.value
    t = 600.0
    for i in range(120):  # every other dial answers now
        policy.observe(DialOutcome(t + i, CallResult.LIVE if i % 2 == 0 else CallResult.NO_ANSWER, 9.0, 11.0))
    policy.lines_to_dial(PacingState(t + 200.0, (), 0, 0, 0.03))
    assert before == pytest.approx(0.2, abs=0.01)
    assert policy.live.value > 0.4  # the ~250-dial memory alone would still be near 0.3
    assert PacingReason.CHANGE in policy.explain().reasons


def views(*states: AgentState, leaving_at: float | None = None,
          count_leaving: int = 0) -> tuple[AgentView, ...]:
    return tuple(AgentView(i, s, 0.0, 0.0, None, leaving_at if i < count_leaving else None)
                 for i, s in enumerate(states))


def pinned(p: float) -> PredictivePolicy:
    policy = PredictivePolicy()
    for rate in (policy.live, policy.live_fast):
        rate.value, rate.n = p, 100_000
    policy.z = 0.0
    return policy


def test_agents_who_announced_they_leave_get_no_new_customer():
    everyone = pinned(0.5).lines_to_dial(PacingState(100.0, views(*[R] * 10), 0, 0, 0.03))
    policy = pinned(0.5)
    leaving = views(*[R] * 10, leaving_at=100.0, count_leaving=5)
    half = policy.lines_to_dial(PacingState(100.0, leaving, 0, 0, 0.03))
    assert (everyone, half) == (20, 10)  # 10 (then 5) ready agents at one live answer per two lines
    explanation = policy.explain()
    assert PacingReason.DEPARTURES in explanation.reasons
    assert explanation.leaving == 5
    # Leaving in an hour: still counted now.
    in_an_hour = views(*[R] * 10, leaving_at=3700.0, count_leaving=5)
    later = pinned(0.5).lines_to_dial(PacingState(100.0, in_an_hour, 0, 0, 0.03))
    assert later == 20


def test_the_explanation_says_when_amd_false_positives_make_the_cap_unreachable():
    policy = pinned(0.3)
    # UK: 3 abandons and 60 estimated false positives over 1,000 live answers: 5.9 % with no abandon at all.
    window = AbandonWindow(86400.0, 3, 1000, 60.0)
    policy.lines_to_dial(PacingState(100.0, views(*[R] * 8), 0, 0, 0.03, windows=(window,)))
    explanation = policy.explain()
    assert explanation.reasons[0] is PacingReason.AMD_UNREACHABLE
    assert explanation.amd_fp_share == pytest.approx(60 / 1060)
    assert PacingReason.FEW_AGENTS in explanation.reasons
    assert explanation.agents == 8
    assert "5.66 %" in explanation.text()
    assert "3.00 % cap" in explanation.text()

