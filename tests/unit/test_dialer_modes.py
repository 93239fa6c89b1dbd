"""Dialing modes (preview, progressive, predictive) and the checks made before every dial."""

import random
from dataclasses import replace

from dialer_harness import T0, BrakedRatio, Harness, customer_originates, ny_leads, of_type

from orchestrator.commands import Bridge, StartAmd, StartRecording
from orchestrator.dialer import DialMode
from orchestrator.dialer.attempts import Phase
from orchestrator.dialer.facts import AgentStatus, AttemptEnded, AttemptStarted, LeadUpdated
from orchestrator.dialer.inputs import Disposition, PreviewDial
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    AmdResult,
    AmdVerdict,
    Answered,
    HungUp,
    OriginateFailed,
    PbxDisconnected,
)
from orchestrator.leads.model import Lead
from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.status import LeadStatus
from orchestrator.pacing.base import AbandonWindow


def test_preview_agent_triggers_the_call_and_is_bridged_on_answer_without_amd():
    h = Harness(DialMode.PREVIEW, leads=ny_leads(5))
    leg = h.login(1)
    assert not customer_originates(h.tick(T0 + 1).commands)  # preview never dials by itself
    assert h.leads.claims == []
    step = h.feed(PreviewDial(T0 + 2, 7, 1, Lead(42, "+12125550042")))
    (o,) = customer_originates(step.commands)
    assert o.variables["sb_amd"] == "no"
    assert AgentStatus(T0 + 2, 1, AgentState.RESERVED, "preview") in step.facts
    assert of_type(step.facts, AttemptStarted)[0].agent_id == 1
    step = h.feed(Answered(T0 + 8, o.channel_id, o.attempt_id))
    assert not of_type(step.commands, StartAmd)
    recording = StartRecording(o.channel_id, f"7/{o.attempt_id}.wav")
    assert step.commands[:2] == (Bridge(o.channel_id, leg), recording)
    h.feed(HungUp(T0 + 60, o.channel_id, o.attempt_id))
    step = h.feed(Disposition(T0 + 65, 7, 1, o.attempt_id, "callback", callback_at=T0 + 86400))
    (lead,) = of_type(step.facts, LeadUpdated)
    assert (lead.update.status, lead.update.callback_agent_id) == (LeadStatus.CALLBACK, 1)
    assert AgentStatus(T0 + 65, 1, AgentState.READY) in step.facts


def test_preview_call_not_answered_frees_the_agent_and_schedules_the_lead():
    h = Harness(DialMode.PREVIEW)
    h.login(1)
    (o,) = customer_originates(h.feed(PreviewDial(T0 + 2, 7, 1, Lead(42, "+12125550042"))).commands)
    step = h.feed(OriginateFailed(T0 + 27, o.channel_id, o.attempt_id, cause=19))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.NO_ANSWER
    assert AgentStatus(T0 + 27, 1, AgentState.READY) in step.facts
    assert of_type(step.facts, LeadUpdated)[0].update.status is LeadStatus.PENDING


def test_preview_for_an_agent_who_is_not_ready_gives_the_lead_back():
    h = Harness(DialMode.PREVIEW)
    h.login(1)
    h.feed(AgentStateChanged(T0 + 1, 1, AgentState.PAUSED, "break"))
    step = h.feed(PreviewDial(T0 + 2, 7, 1, Lead(42, "+12125550042", callback_agent_id=1)))
    assert step.commands == ()
    (lead,) = of_type(step.facts, LeadUpdated)
    assert (lead.update.status, lead.update.next_attempt_at) == (LeadStatus.CALLBACK, T0 + 2)


def test_preview_of_a_dnc_number_is_refused_and_the_agent_stays_ready():
    h = Harness(DialMode.PREVIEW, dnc={"+12125550042"})
    h.login(1)
    step = h.feed(PreviewDial(T0 + 2, 7, 1, Lead(42, "+12125550042")))
    assert not customer_originates(step.commands)
    assert of_type(step.facts, LeadUpdated)[0].update.status is LeadStatus.DNC
    assert h.dialer.agents.agents[1].state is AgentState.READY


def test_dnc_is_checked_before_every_dial():
    leads = ny_leads(3)
    h = Harness(DialMode.PROGRESSIVE, leads=leads, dnc={leads[0].number})
    h.login(1)
    step = h.tick(T0 + 1)
    (skipped,) = of_type(step.facts, LeadUpdated)
    assert (skipped.update.lead_id, skipped.update.status) == (1, LeadStatus.DNC)
    assert not customer_originates(step.commands)
    (o,) = customer_originates(h.tick(T0 + 2).commands)  # the next tick claims the next lead
    assert o.endpoint.number == leads[1].number


def test_leads_outside_their_calling_hours_are_released_not_dialed():
    h = Harness(DialMode.PROGRESSIVE, leads=[*ny_leads(1), Lead(9, "+61255501000")])
    h.login(1)
    night_in_ny = T0 + 10 * 3600  # 22:00 New York, 14:00 next day in Sydney
    step = h.tick(night_in_ny)
    (released,) = [f for f in of_type(step.facts, LeadUpdated) if f.update.lead_id == 1]
    assert released.update.reason == "outside calling hours"
    assert released.update.next_attempt_at == T0 + 20 * 3600  # 08:00 New York
    assert [o.endpoint.number for o in customer_originates(step.commands)] == []
    (o,) = customer_originates(h.tick(night_in_ny + 1).commands)
    assert o.endpoint.number == "+61255501000"


def test_a_lead_abandoned_recently_is_not_recalled():
    h = Harness(DialMode.PROGRESSIVE, leads=[Lead(1, "+12125550001", 1, last_abandon_at=T0 - 3600)])
    h.login(1)
    step = h.tick(T0 + 1)
    assert not customer_originates(step.commands)
    (lead,) = of_type(step.facts, LeadUpdated)
    assert lead.update.next_attempt_at == T0 - 3600 + 72 * 3600


def test_a_number_that_fails_validation_is_marked_invalid_and_never_dialed():
    h = Harness(DialMode.PROGRESSIVE, leads=[Lead(1, "+1212555&0001")])
    h.login(1)
    step = h.tick(T0 + 1)
    assert not customer_originates(step.commands)
    assert of_type(step.facts, LeadUpdated)[0].update.status is LeadStatus.INVALID


def test_nothing_is_dialed_while_the_pbx_is_disconnected():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(3))
    h.login(1)
    h.feed(PbxDisconnected(T0 + 1, "pbx1", "eof"))
    assert not customer_originates(h.tick(T0 + 2).commands)
    assert h.leads.claims == []


def test_predictive_uses_the_policy_and_falls_back_to_one_to_one_over_the_abandon_cap():
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(20), policy=BrakedRatio(2.0), abandon_cap=0.03)
    for agent in (1, 2):
        h.login(agent)
    assert len(customer_originates(h.tick(T0 + 1).commands)) == 4
    h2 = Harness(DialMode.PREDICTIVE, leads=ny_leads(20), policy=BrakedRatio(2.0), abandon_cap=0.03)
    h2.dialer.counter.record(T0 - 600, live_answers=10, abandons=1)  # 10 % over the last day
    for agent in (1, 2):
        h2.login(agent)
    assert len(customer_originates(h2.tick(T0 + 1).commands)) == 2


def test_fixed_ratio_counts_lines_already_out():
    from orchestrator.pacing.base import AgentView, PacingState
    from orchestrator.pacing.simple import FixedRatioPolicy
    agents = tuple(AgentView(i, AgentState.READY, 1.0) for i in range(4))
    state = PacingState(now=0.0, agents=agents, lines_ringing=3, customers_waiting=1, abandon_cap=0.03,
                        windows=(AbandonWindow(86400, 0, 100),), max_lines=100)
    assert FixedRatioPolicy(1.5).lines_to_dial(state) == 2
    assert FixedRatioPolicy(1.5).lines_to_dial(replace(state, max_lines=1)) == 1


def test_progressive_never_has_more_lines_in_flight_than_ready_agents():
    """Random outcomes and agent moves; after a dialing tick, lines that may need an agent <= ready agents."""
    rng = random.Random(20261126)
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(400), wrap_up_s=3)
    for agent in range(1, 6):
        h.login(agent)
    now = T0
    for _ in range(600):
        now += 0.5
        live = h.dialer.attempts()
        if live and rng.random() < 0.6:
            a = rng.choice(live)
            if a.phase is Phase.DIALING:
                cause = rng.choice([17, 19])
                event = rng.choice([Answered(now, a.channel_id, a.attempt_id),
                                    OriginateFailed(now, a.channel_id, a.attempt_id, cause=cause)])
            elif a.phase is Phase.ANSWERED:
                event = AmdResult(now, a.channel_id, a.attempt_id, rng.choice(list(AmdVerdict)))
            else:
                event = HungUp(now, a.channel_id, a.attempt_id)
            h.feed(event)
        if rng.random() < 0.05:
            agent = rng.randint(1, 5)
            h.feed(AgentStateChanged(now, agent, rng.choice([AgentState.READY, AgentState.PAUSED])))
        step = h.tick(now)
        in_flight = sum(a.in_flight for a in h.dialer.attempts())
        if customer_originates(step.commands):
            assert in_flight <= len(h.dialer.agents.ready())
    assert len(h.leads.leads) < 350  # it did dial a lot
