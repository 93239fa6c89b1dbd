"""Each policy's decision on small states computed by hand."""

import pytest

from orchestrator.events import AgentState
from orchestrator.pacing.base import (
    Abandoned,
    AbandonWindow,
    AgentView,
    CallResult,
    DialOutcome,
    PacingState,
)
from orchestrator.pacing.predictive import PredictivePolicy
from orchestrator.pacing.simple import FixedRatioPolicy, ProgressivePolicy
from orchestrator.pacing.vicidial import VicidialPolicy

R, C, W = AgentState.READY, AgentState.ON_CALL, AgentState.WRAP_UP


def agents(*states: AgentState, since: float = 0.0, free_at: float | None = None) -> tuple[AgentView, ...]:
    return tuple(AgentView(i, s, 0.0, since, free_at) for i, s in enumerate(states))


def state(views, ringing=0, waiting=0, now=100.0, cap=0.03, windows=(), max_lines=1000) -> PacingState:
    return PacingState(now=now, agents=views, lines_ringing=ringing, customers_waiting=waiting,
                       abandon_cap=cap, windows=windows, max_lines=max_lines)


def test_progressive_dials_one_line_per_ready_agent_not_yet_served():
    p = ProgressivePolicy()
    assert p.lines_to_dial(state(agents(R, R, R, C), ringing=1)) == 2
    assert p.lines_to_dial(state(agents(R, C), ringing=1)) == 0
    assert p.lines_to_dial(state(agents(R, R, R), max_lines=1)) == 1


def test_fixed_ratio_rounds_ratio_times_ready_minus_lines_in_flight():
    p = FixedRatioPolicy(2.5)
    assert p.lines_to_dial(state(agents(R, R, R, R, C), ringing=3)) == 7  # round(10) - 3
    assert p.lines_to_dial(state(agents(C, C), ringing=2)) == 0
    with pytest.raises(ValueError, match=r"ratio below 1 line per ready agent: 0\.5"):
        FixedRatioPolicy(0.5)


def test_vicidial_level_grows_with_ready_agents_and_counts_talking_calls():
    p = VicidialPolicy("hard")
    views = agents(R, R, *[C] * 8)
    # level = 1 x (1 + (2 - 0) / 10) = 1.2; goal = ceil(1.2 x 10) - (0 ringing + 0 waiting + 8 talking)
    assert p.lines_to_dial(state(views)) == 4
    assert p.level == pytest.approx(1.2)
    # Not re-adapted before 15 s have passed.
    assert p.lines_to_dial(state(views, ringing=4, now=110.0)) == 0
    assert p.level == pytest.approx(1.2)


def test_vicidial_hard_brake_resets_the_level_when_todays_drops_pass_the_cap():
    p = VicidialPolicy("hard")
    p.level = 2.0
    for i in range(100):
        p.observe(DialOutcome(50.0 + i * 0.1, CallResult.LIVE, 9.0, 11.0))
    for _ in range(5):
        p.observe(Abandoned(70.0))
    assert p.drop_rate_today() == pytest.approx(0.05)
    assert p.lines_to_dial(state(agents(R, *[C] * 9))) == 10 - 9  # level 1
    assert p.level == 1.0


def test_vicidial_average_brake_scales_the_level_by_cap_over_rate():
    p = VicidialPolicy("average")
    p.level = 2.0
    for _ in range(100):
        p.observe(DialOutcome(50.0, CallResult.LIVE, 9.0, 11.0))
    for _ in range(6):
        p.observe(Abandoned(51.0))  # 6 % today (and far from half of the last minute)
    p.lines_to_dial(state(agents(*[C] * 10)))  # no ready agent: the nudge is 1
    assert p.level == pytest.approx(2.0 * 0.03 / 0.06)


def test_vicidial_tapered_allows_twice_the_cap_at_shift_start():
    p = VicidialPolicy("tapered", shift_start_s=0.0, shift_s=1000.0)
    assert p._allowed(0.0, 0.03) == pytest.approx(0.06)
    assert p._allowed(1000.0, 0.03) == pytest.approx(0.03)
    with pytest.raises(ValueError, match=r"brake must be one of .*: 'gentle'"):
        VicidialPolicy("gentle")


def trained(policy: PredictivePolicy, p: float) -> PredictivePolicy:
    """Pin the learned answer rate (as if thousands of dials had settled)."""
    for rate in (policy.live, policy.live_fast):
        rate.value, rate.n = p, 100_000
    policy.z = 0.0
    return policy


def test_ours_with_z_zero_dials_until_expected_live_answers_match_ready_agents():
    p = trained(PredictivePolicy(), 0.5)
    # 10 ready, nothing in flight: the k-th new line is dialed while 10 - 0.5 - k x 0.5 >= 0,
    # i.e. for k = 0..19: 20 lines, 10 expected live answers.
    assert p.lines_to_dial(state(agents(*[R] * 10))) == 20


def test_ours_counts_waiting_customers_and_a_just_started_call_as_no_help():
    p = trained(PredictivePolicy(), 0.5)
    assert p.lines_to_dial(state(agents(R, R), waiting=2)) == 0
    assert p.lines_to_dial(state(agents(C, C, since=100.0))) == 0  # talk just began


def test_oracle_counts_agents_free_within_the_horizon():
    p = trained(PredictivePolicy(oracle=True), 0.5)
    # Two agents free in 5 s (< horizon of ~13 s): 2 - 0.5 - k x 0.5 >= 0 for k = 0..3.
    assert p.lines_to_dial(state(agents(C, C, since=0.0, free_at=105.0))) == 4
    assert p.lines_to_dial(state(agents(C, C, since=0.0, free_at=300.0))) == 0


def test_ours_is_more_careful_when_z_is_higher():
    loose, careful = trained(PredictivePolicy(), 0.3), trained(PredictivePolicy(), 0.3)
    careful.z = 2.0
    views = agents(*[R] * 5, *[C] * 40, since=0.0)
    assert careful.lines_to_dial(state(views)) < loose.lines_to_dial(state(views))


def test_ours_integral_controller_moves_z_by_gain_per_abandon_and_gain_x_target_per_answer():
    p = PredictivePolicy(gain=0.2)
    p.lines_to_dial(state(agents(R)))  # no window yet: the target is the cap itself
    assert p.target == pytest.approx(0.03)
    z = p.z
    p.observe(Abandoned(100.0))
    assert p.z == pytest.approx(z + 0.2)
    p.observe(DialOutcome(101.0, CallResult.LIVE, 9.0, 11.0))
    assert p.z == pytest.approx(z + 0.2 - 0.2 * 0.03)


def test_ours_uk_target_takes_the_amd_false_positives_off_the_cap():
    p = PredictivePolicy()
    window = AbandonWindow(86400.0, abandons=0, live_answers=1000, amd_false_positives_estimate=20.0)
    p.lines_to_dial(state(agents(R), windows=(window,)))
    # (A + F) / (L + F) = c  <=>  A / L = c (1 + F / L) - F / L with F / L = 2 % (the window has room
    # to spare, so the regulator's rate allowed on what comes next is the cap itself)
    assert p.target == pytest.approx(0.03 * 1.02 - 0.02)


def test_ours_brakes_in_proportion_to_the_abandons_a_window_has_over_its_brake_point():
    p = PredictivePolicy(window_brake=0.3, brake_at=0.9)
    under = AbandonWindow(86400.0, abandons=20, live_answers=1000)  # 2 %: no brake
    p.lines_to_dial(state(agents(R), windows=(under,)))
    assert p.brake == 0.0
    hot = AbandonWindow(86400.0, abandons=30, live_answers=1000)  # 3 abandons over 0.9 x 3 %
    p.lines_to_dial(state(agents(R), windows=(under, hot)))
    assert p.brake == pytest.approx(0.3 * (30 - 27))


def test_ours_learns_the_answer_rate_only_from_settled_cohorts():
    p = PredictivePolicy(prior_live=0.25, settle_s=30.0)
    for _ in range(50):  # failures resolve fast: only they are known 5 s after dialing
        p.observe(DialOutcome(5.0, CallResult.FAILED, 2.0, 2.0))
    p.lines_to_dial(state(agents(R), now=20.0))
    assert p.live.value == 0.25  # nothing learned yet: these dials' cohort is still open
    p.lines_to_dial(state(agents(R), now=40.0))
    assert p.live.value < 0.05


def test_ours_survives_a_list_where_nobody_answers():
    p = PredictivePolicy(settle_s=0.0)
    for i in range(500):
        p.observe(DialOutcome(float(i), CallResult.NO_ANSWER, 25.0, 25.0))
    n = p.lines_to_dial(state(agents(R, R), now=600.0, max_lines=1000))
    assert 0 < n < 1000  # bounded, no division by zero


def test_vicidial_agents_in_wrap_up_are_not_active():
    p = VicidialPolicy("hard")
    # active = ready + talking = 2; level = 1 x (1 + 1 / 2) = 1.5; goal = ceil(3) - 1 talking
    assert p.lines_to_dial(state(agents(R, W, W, C))) == 2
