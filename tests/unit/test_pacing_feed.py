"""One observation feed for the live dialer and the simulator; the live policy from the campaign."""

from __future__ import annotations

import pytest
from dialer_harness import T0, Harness, customer_originates, ny_leads

from orchestrator.dialer import DialMode
from orchestrator.dialer.callflow import greeting_silence_s
from orchestrator.dialer.config import CampaignConfig
from orchestrator.events import AgentState, AmdResult, AmdVerdict, Answered, HungUp
from orchestrator.pacing.base import (
    AgentView,
    CallResult,
    Connected,
    DialOutcome,
    PacingState,
    TalkEnded,
    WrapEnded,
)
from orchestrator.pacing.catalog import campaign_policy
from orchestrator.pacing.predictive import PredictivePolicy
from simulation import World, simulate


class Recorder:
    """A policy that dials a fixed number of lines per tick and keeps what it is shown."""

    name = "recorder"

    def __init__(self, lines: int = 0) -> None:
        self.lines = lines
        self.seen: list[object] = []
        self.states: list[PacingState] = []

    def lines_to_dial(self, state: PacingState) -> int:
        self.states.append(state)
        return self.lines

    def observe(self, event: object) -> None:
        self.seen.append(event)


def test_the_live_dialer_feeds_its_policy_observations_not_raw_pbx_events():
    policy = Recorder(lines=1)
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(3), policy=policy, wrap_up_s=5)
    h.login(1)
    (o,) = customer_originates(h.tick(T0 + 1).commands)
    h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    h.feed(AmdResult(T0 + 6, o.channel_id, o.attempt_id, AmdVerdict.HUMAN, "HUMAN-800-800"))
    h.feed(HungUp(T0 + 36, o.channel_id, o.attempt_id, cause=16))
    h.tick(T0 + 42)
    kinds = [type(x) for x in policy.seen]
    assert kinds == [DialOutcome, Connected, TalkEnded, WrapEnded]
    assert policy.seen[0] == DialOutcome(T0 + 6, CallResult.LIVE, ring_s=3.0, setup_s=5.0)


def test_the_live_pacing_state_carries_ringing_dial_times_and_lines_awaiting_amd():
    policy = Recorder(lines=3)
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(10), policy=policy)
    h.login(1)
    first, _second, _third = customer_originates(h.tick(T0 + 1).commands)
    h.feed(Answered(T0 + 3, first.channel_id, first.attempt_id))
    policy.lines = 0
    h.tick(T0 + 4)
    state = policy.states[-1]
    assert (state.lines_ringing, state.lines_answered) == (3, 1)
    assert state.ring_started == (T0 + 1, T0 + 1)


def test_the_simulator_teaches_the_policy_through_the_same_feed():
    """Every kind of observation the live feed derives reaches the policy in a simulated hour."""
    policy = Recorder(lines=1)
    world = World(agents=2, days=1, warmup_s=0, shift_s=1800, talk_mean=30, wrap_mean=5)
    simulate(world, policy, seed=3)
    kinds = {type(x) for x in policy.seen}
    assert {DialOutcome, Connected, TalkEnded, WrapEnded} <= kinds
    results = {x.result for x in policy.seen if isinstance(x, DialOutcome)}
    assert {CallResult.LIVE, CallResult.MACHINE, CallResult.NO_ANSWER} <= results
    assert any(s.ring_started for s in policy.states)
    assert any(s.lines_answered for s in policy.states)


def _state(agents: tuple[AgentView, ...], ringing: int = 0, waiting: int = 0) -> PacingState:
    return PacingState(now=1000.0, agents=agents, lines_ringing=ringing, customers_waiting=waiting,
                       abandon_cap=0.03, max_lines=100)


def test_predictive_never_dials_fewer_lines_than_progressive_while_no_window_is_over_the_cap():
    policy = PredictivePolicy(z_start=4.0)  # as cautious as it gets
    ready = tuple(AgentView(i, AgentState.READY, 5.0) for i in range(4))
    assert policy.lines_to_dial(_state(ready, ringing=1)) >= 3


def test_short_calls_are_learned_within_a_few_calls_not_hundreds():
    """Prior talk is 240 s; a campaign whose calls last 12-23 s must soon count an agent 15 s
    into a call as likely free (the tables were rebuilt only every 300 observations)."""
    def trained(talks: int) -> PredictivePolicy:
        policy = PredictivePolicy()
        for i in range(60):
            result = CallResult.LIVE if i % 2 else CallResult.NO_ANSWER
            policy.observe(DialOutcome(100.0 + i, result, ring_s=5.0, setup_s=7.0))
        policy.lines_to_dial(_state(()))  # the tables are built from the priors here
        for i in range(talks):
            policy.observe(TalkEnded(200.0 + i, 12.0 + i))
            policy.observe(WrapEnded(200.0 + i, 3.0))
        return policy

    on_call = tuple(AgentView(i, AgentState.ON_CALL, 15.0, since=985.0) for i in range(20))
    assert trained(0).lines_to_dial(_state(on_call)) == 0
    assert trained(12).lines_to_dial(_state(on_call)) >= 2


def test_the_live_policy_uses_the_campaigns_wait_budget():
    config = CampaignConfig(campaign_id=1, mode=DialMode.PREDICTIVE, abandon_after_s=2.0,
                            amd_verdict_lag_s=0.8)
    assert config.wait_after_verdict_s == pytest.approx(0.9)
    policy = campaign_policy(config)
    assert isinstance(policy, PredictivePolicy)
    assert policy.grace_s == pytest.approx(0.9)
    no_amd = CampaignConfig(campaign_id=1, mode=DialMode.PREDICTIVE, amd=False, abandon_after_s=2.0)
    assert campaign_policy(no_amd).grace_s == pytest.approx(1.7)


@pytest.mark.parametrize(("cause", "expected"), [
    ("HUMAN-800-800", 0.8), ("HUMAN-1200-800", 1.2), ("", 0.5), ("MAXWORDS-3-3", 0.5), ("HUMAN-x-800", 0.5),
    ("HUMAN-99999999-800", 5.0),
])
def test_the_greeting_ended_as_long_ago_as_the_detector_heard_silence(cause, expected):
    config = CampaignConfig(campaign_id=1, mode=DialMode.PREDICTIVE, amd_verdict_lag_s=0.5)
    assert greeting_silence_s(cause, config) == pytest.approx(expected)
