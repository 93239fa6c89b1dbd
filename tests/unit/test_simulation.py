"""The dialer simulator: deterministic, conserving calls and agent time, same leads for every policy."""

import pytest

from orchestrator.compliance import ComplianceProfile
from orchestrator.events import AgentState
from orchestrator.pacing.catalog import make_policy
from orchestrator.pacing.predictive import PredictivePolicy
from orchestrator.pacing.simple import FixedRatioPolicy, ProgressivePolicy
from simulation import World, simulate
from simulation.engine import Simulator
from simulation.scenarios import NAMES, scenario
from simulation.world import LeadStream, staffing_plan

SMALL = World(agents=8, warmup_s=600.0, shift_s=3600.0)
OUTCOMES = ("failed", "no_answer", "machine", "amd_false_positive", "connected_live", "connected_machine",
            "abandoned_live", "abandoned_machine")


def test_same_seed_same_result_other_seed_other_result():
    a = simulate(SMALL, PredictivePolicy(), seed=7).tally
    b = simulate(SMALL, PredictivePolicy(), seed=7).tally
    c = simulate(SMALL, PredictivePolicy(), seed=8).tally
    assert a.summary(0.03, ComplianceProfile.US) == b.summary(0.03, ComplianceProfile.US)
    assert a.outcomes == b.outcomes
    assert a.outcomes != c.outcomes


@pytest.mark.parametrize("policy", [ProgressivePolicy(), FixedRatioPolicy(4.0), PredictivePolicy()],
                         ids=lambda p: p.name)
def test_every_dial_ends_in_exactly_one_outcome(policy):
    tally = simulate(SMALL.with_(days=2), policy, seed=3).tally
    assert set(tally.outcomes) <= set(OUTCOMES)
    assert sum(tally.outcomes.values()) == tally.dials > 0
    assert tally.live_persons == tally.outcomes["connected_live"] + tally.outcomes["abandoned_live"]


def test_agent_time_adds_up_to_the_logged_in_time():
    world = SMALL.with_(days=2)
    tally = simulate(world, FixedRatioPolicy(4.0), seed=3).tally
    states = (AgentState.READY, AgentState.ON_CALL, AgentState.WRAP_UP)
    assert sum(tally.time[s] for s in states) == pytest.approx(world.agents * world.shift_s * world.days)
    assert tally.time[AgentState.ON_CALL] > 0
    assert tally.time[AgentState.WRAP_UP] > 0


def test_a_ratio_that_floods_the_agents_abandons_and_progressive_never_does():
    flood = simulate(SMALL, FixedRatioPolicy(12.0), seed=2).tally.summary(0.03, ComplianceProfile.US)
    calm = simulate(SMALL, ProgressivePolicy(), seed=2).tally.summary(0.03, ComplianceProfile.US)
    assert flood.abandon_us > 0.1
    assert calm.abandon_us == 0.0
    assert calm.occupancy < flood.occupancy


def test_leads_are_the_same_random_numbers_for_every_policy():
    one, two = LeadStream(SMALL, seed=5), LeadStream(SMALL, seed=5)
    first = [one.next() for _ in range(3000)]
    assert [two.next() for _ in range(3000)] == first
    assert LeadStream(SMALL, seed=6).next() != first[0]


def test_only_the_oracle_sees_when_agents_will_be_free():
    seen = {}
    for name in ("ours", "oracle"):
        policy = make_policy(name)
        original = policy.lines_to_dial

        def spy(state, original=original, name=name):
            seen.setdefault(name, set()).update(a.free_at is not None for a in state.agents
                                                if a.state is AgentState.ON_CALL)
            return original(state)

        policy.lines_to_dial = spy
        Simulator(SMALL, policy, seed=1).run()
    assert seen == {"ours": {False}, "oracle": {True}}


def test_uk_profile_counts_amd_false_positives_as_abandons():
    world = SMALL.with_(profile=ComplianceProfile.UK, amd_false_positive=0.03)
    s = simulate(world, ProgressivePolicy(), seed=4).tally.summary(world.cap, world.profile)
    assert s.abandon_us == 0.0
    assert s.abandon_ofcom > 0.0


def test_breaks_staffing_varies_around_the_nominal_team():
    world = World(staffing="breaks")
    plan = staffing_plan(world, seed=1, day=0)

    def logged_in(t):
        return sum(any(a <= t < b for a, b in shift.intervals) for shift in plan)
    counts = [logged_in(t) for t in range(0, int(world.day_s), 300)]
    assert min(counts) < 48 < max(counts) <= 56
    assert 45 <= sum(counts) / len(counts) <= 51


def test_every_named_scenario_builds():
    for name in NAMES:
        assert scenario(name, days=2).days == 2
    with pytest.raises(ValueError, match="unknown scenario 'S99': one of S1, "):
        scenario("S99")
