"""Customer call flows through the dialer core: event sequences in, commands and facts out."""

import pytest
from dialer_harness import T0, BrakedRatio, Harness, customer_originates, ny_leads, of_type

from orchestrator.amd import MachineAction
from orchestrator.commands import Bridge, EndpointKind, Hangup, Redirect, StartAmd, StartRecording
from orchestrator.dialer import DialMode
from orchestrator.dialer.facts import (
    AgentStatus,
    AmdDecided,
    AttemptAbandoned,
    AttemptAnswered,
    AttemptBridged,
    AttemptEnded,
    AttemptStarted,
    ComplianceCounted,
    DispositionRecorded,
    LeadUpdated,
)
from orchestrator.dialer.inputs import Disposition
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    AmdResult,
    AmdVerdict,
    Answered,
    CallArrived,
    ChannelCreated,
    DialplanSignal,
    HungUp,
    OriginateFailed,
)
from orchestrator.leads.model import Lead
from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.rules import HOUR
from orchestrator.leads.status import LeadStatus


def dial_one(h: Harness, at: float = T0 + 1):
    (orig,) = customer_originates(h.tick(at).commands)
    return orig


def test_human_is_bridged_to_the_ready_agent_recorded_then_wrapped_up():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(3), trunk="world", caller_id="+15550001")
    leg = h.login(1)
    step = h.tick(T0 + 1)
    (orig,) = customer_originates(step.commands)  # one ready agent, one line
    assert (orig.endpoint.kind, orig.endpoint.name, orig.endpoint.number) == (EndpointKind.TRUNK, "world",
                                                                           "+12125550001")
    assert orig.route == "sb-outbound"
    assert orig.caller_id == "+15550001"
    assert orig.variables["sb_amd"] == "yes"
    assert orig.variables["sb_lead_id"] == "1"
    assert orig.all_variables()["sb_attempt_id"] == orig.attempt_id
    (started,) = of_type(step.facts, AttemptStarted)
    assert (started.lead_id, started.channel_id, started.campaign_id) == (1, orig.channel_id, 7)

    step = h.feed(Answered(T0 + 5, orig.channel_id, orig.attempt_id))
    assert step.commands == (StartAmd(orig.channel_id),)
    assert of_type(step.facts, AttemptAnswered)

    step = h.feed(AmdResult(T0 + 7.8, orig.channel_id, orig.attempt_id, AmdVerdict.HUMAN))
    assert step.commands == (Bridge(orig.channel_id, leg),
                             StartRecording(orig.channel_id, f"7/{orig.attempt_id}.wav"))
    (bridged,) = of_type(step.facts, AttemptBridged)
    assert (bridged.agent_id, bridged.waited_s) == (1, 0.0)
    assert AgentStatus(T0 + 7.8, 1, AgentState.ON_CALL) in step.facts

    step = h.feed(HungUp(T0 + 67.8, orig.channel_id, orig.attempt_id, cause=16))
    (ended,) = of_type(step.facts, AttemptEnded)
    assert (ended.outcome, ended.talk_s) == (Outcome.CONNECTED, 60.0)
    (lead,) = of_type(step.facts, LeadUpdated)
    assert (lead.update.status, lead.update.attempts) == (LeadStatus.DONE, 1)
    assert AgentStatus(T0 + 67.8, 1, AgentState.WRAP_UP) in step.facts
    assert not customer_originates(h.tick(T0 + 68).commands)  # wrapping up: not ready

    step = h.feed(Disposition(T0 + 70, 7, 1, orig.attempt_id, "sale"))
    assert DispositionRecorded(T0 + 70, orig.attempt_id, 1, "sale") in step.facts
    assert AgentStatus(T0 + 70, 1, AgentState.READY) in step.facts
    assert len(customer_originates(h.tick(T0 + 71).commands)) == 1


def test_no_agent_within_2_s_of_the_greeting_end_hears_the_abandon_message_and_counts():
    """The 2 s run from the end of the greeting: AMD's HUMAN cause says it heard 800 ms of
    silence, so 1.2 s are left, minus the time the message needs to start (0.3 s)."""
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(5), policy=BrakedRatio(2.0))
    leg = h.login(1)
    first, second = customer_originates(h.tick(T0 + 1).commands)
    for o in (first, second):
        h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    assert of_type(h.feed(AmdResult(T0 + 6, first.channel_id, first.attempt_id, AmdVerdict.HUMAN)).commands,
                   Bridge) == [Bridge(first.channel_id, leg)]
    step = h.feed(AmdResult(T0 + 7, second.channel_id, second.attempt_id, AmdVerdict.HUMAN, "HUMAN-800-800"))
    assert not of_type(step.commands, Bridge)  # nobody ready: the customer waits
    assert h.dialer.next_wakeup() == pytest.approx(T0 + 7.9)
    assert not of_type(h.tick(T0 + 7.85).commands, Redirect)
    step = h.tick(T0 + 7.9)
    assert Redirect(second.channel_id, "sb-abandon") in step.commands
    (abandoned,) = of_type(step.facts, AttemptAbandoned)
    assert (abandoned.attempt_id, abandoned.reason) == (second.attempt_id, "no agent")
    assert abandoned.waited_s == pytest.approx(1.7)  # from the greeting's end
    step = h.feed(HungUp(T0 + 14, second.channel_id, second.attempt_id))
    (ended,) = of_type(step.facts, AttemptEnded)
    assert ended.outcome is Outcome.ABANDONED
    (lead,) = of_type(step.facts, LeadUpdated)
    assert lead.update.next_attempt_at >= T0 + 14 + 72 * HOUR
    assert lead.update.last_abandon_at == T0 + 14
    day, month = h.dialer.counter.windows(T0 + 15)
    assert (day.abandons, day.live_answers, month.abandons) == (1, 2, 1)
    counted = of_type(h.facts, ComplianceCounted)  # what the runner persists for the campaign's rates
    assert (sum(f.live_answers for f in counted), sum(f.abandons for f in counted)) == (2, 1)
    assert {f.campaign_id for f in counted} == {7}


def test_agent_freed_before_the_deadline_takes_the_waiting_customer():
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(2), policy=BrakedRatio(2.0))
    leg = h.login(1)
    first, second = customer_originates(h.tick(T0 + 1).commands)
    for o in (first, second):
        h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
        h.feed(AmdResult(T0 + 6, o.channel_id, o.attempt_id, AmdVerdict.HUMAN))
    h.feed(HungUp(T0 + 7, first.channel_id, first.attempt_id))
    step = h.feed(Disposition(T0 + 7.5, 7, 1, first.attempt_id, "no-sale"))
    assert Bridge(second.channel_id, leg) in step.commands
    assert not of_type(h.tick(T0 + 9).commands, Redirect)


def human_waiting_with_the_agent_paused(h: Harness):
    h.login(1)
    o = dial_one(h)
    h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    h.feed(AgentStateChanged(T0 + 5, 1, AgentState.PAUSED, "coffee"))
    step = h.feed(AmdResult(T0 + 6, o.channel_id, o.attempt_id, AmdVerdict.HUMAN))
    assert not of_type(step.commands, Bridge)
    return o


def test_customer_hanging_up_while_waiting_for_an_agent_counts_as_abandoned():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    o = human_waiting_with_the_agent_paused(h)
    step = h.feed(HungUp(T0 + 7, o.channel_id, o.attempt_id))
    assert AttemptAbandoned(T0 + 7, o.attempt_id, 1.0, "customer hung up") in step.facts
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.ABANDONED
    assert h.dialer.counter.windows(T0 + 8)[0].abandons == 1


def test_machine_is_hung_up_or_left_a_message_per_campaign():
    for action, expected in ((MachineAction.HANGUP, Hangup), (MachineAction.MESSAGE, Redirect)):
        h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1), machine_action=action)
        h.login(1)
        o = dial_one(h)
        h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
        step = h.feed(AmdResult(T0 + 7, o.channel_id, o.attempt_id, AmdVerdict.MACHINE, "LONGGREETING"))
        assert AmdDecided(T0 + 7, o.attempt_id, AmdVerdict.MACHINE, "LONGGREETING") in step.facts
        (command,) = step.commands
        assert isinstance(command, expected)
        if action is MachineAction.MESSAGE:
            assert command == Redirect(o.channel_id, "sb-leave-message")
        step = h.feed(HungUp(T0 + 30, o.channel_id, o.attempt_id))
        (lead,) = of_type(step.facts, LeadUpdated)
        assert (lead.update.last_outcome, lead.update.status) == (Outcome.MACHINE, LeadStatus.PENDING)
        assert lead.update.next_attempt_at == T0 + 30 + 4 * HOUR
        assert h.dialer.counter.windows(T0 + 31)[0].live_answers == 0


def test_machine_verdict_only_recorded_when_the_route_handles_machines():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1), route_handles_machines=True)
    h.login(1)
    o = dial_one(h)
    h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    step = h.feed(AmdResult(T0 + 7, o.channel_id, o.attempt_id, AmdVerdict.MACHINE))
    assert step.commands == ()
    assert of_type(step.facts, AmdDecided)


def test_notsure_and_a_missing_verdict_are_treated_as_human():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(2), amd_timeout_s=6.0)
    leg = h.login(1)
    o = dial_one(h)
    h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    assert h.dialer.next_wakeup() == T0 + 10
    step = h.tick(T0 + 10)
    assert AmdDecided(T0 + 10, o.attempt_id, AmdVerdict.NOTSURE, "timeout") in step.facts
    assert Bridge(o.channel_id, leg) in step.commands
    h2 = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    leg2 = h2.login(1)
    o2 = dial_one(h2)
    h2.feed(Answered(T0 + 4, o2.channel_id, o2.attempt_id))
    step = h2.feed(AmdResult(T0 + 6, o2.channel_id, o2.attempt_id, AmdVerdict.NOTSURE))
    assert Bridge(o2.channel_id, leg2) in step.commands


def test_campaign_without_amd_connects_on_answer():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1), amd=False)
    leg = h.login(1)
    o = dial_one(h)
    assert o.variables["sb_amd"] == "no"
    step = h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    assert not of_type(step.commands, StartAmd)
    assert Bridge(o.channel_id, leg) in step.commands


def test_busy_and_no_answer_schedule_retries_and_free_the_line():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(3))
    h.login(1)
    o = dial_one(h)
    step = h.feed(OriginateFailed(T0 + 3, o.channel_id, o.attempt_id, cause=17, reason="busy"))
    (ended,) = of_type(step.facts, AttemptEnded)
    assert (ended.outcome, ended.cause) == (Outcome.BUSY, 17)
    (lead,) = of_type(step.facts, LeadUpdated)
    assert (lead.update.status, lead.update.attempts, lead.update.next_attempt_at) == (
        LeadStatus.PENDING, 1, T0 + 3 + 600)
    o2 = dial_one(h, T0 + 4)  # the line is free again: next lead
    step = h.feed(HungUp(T0 + 29, o2.channel_id, o2.attempt_id, cause=19))
    assert of_type(step.facts, LeadUpdated)[0].update.next_attempt_at == T0 + 29 + 2 * HOUR
    # A late HungUp for an attempt already ended changes nothing.
    assert h.feed(HungUp(T0 + 30, o.channel_id, o.attempt_id, cause=17)).facts == ()


def test_hangup_during_amd_is_an_early_hangup_not_a_live_answer():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    h.login(1)
    o = dial_one(h)
    h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    step = h.feed(HungUp(T0 + 5, o.channel_id, o.attempt_id))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.EARLY_HANGUP
    assert h.dialer.counter.windows(T0 + 6)[0].live_answers == 0


def test_max_attempts_finishes_the_lead():
    h = Harness(DialMode.PROGRESSIVE, leads=[Lead(1, "+12125550001", attempts=4)])
    h.login(1)
    o = dial_one(h)
    step = h.feed(HungUp(T0 + 30, o.channel_id, o.attempt_id, cause=19))
    (lead,) = of_type(step.facts, LeadUpdated)
    assert (lead.update.status, lead.update.attempts) == (LeadStatus.DONE, 5)


def test_dialplan_abandon_signal_records_an_abandon_once():
    """A restarted runner missed the deadline: the PBX route's own timer sent the customer to the message."""
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    o = human_waiting_with_the_agent_paused(h)
    step = h.feed(DialplanSignal(T0 + 7, o.channel_id, o.attempt_id, name="abandon"))
    assert AttemptAbandoned(T0 + 7, o.attempt_id, 1.0, "pbx safety net") in step.facts
    assert not of_type(h.tick(T0 + 9).facts, AttemptAbandoned)
    step = h.feed(HungUp(T0 + 12, o.channel_id, o.attempt_id))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.ABANDONED


def test_a_connected_customer_passing_through_the_abandon_route_is_not_an_abandon():
    """On Asterisk a customer left alone after a bridge continues into sb-abandon."""
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    h.login(1)
    o = dial_one(h)
    h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    h.feed(AmdResult(T0 + 6, o.channel_id, o.attempt_id, AmdVerdict.HUMAN))
    assert h.feed(DialplanSignal(T0 + 60, o.channel_id, o.attempt_id, name="abandon")).facts == ()
    step = h.feed(HungUp(T0 + 62, o.channel_id, o.attempt_id))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.CONNECTED


def test_campaigns_that_do_not_record_bridge_without_mixmonitor():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1), amd=False, record_calls=False)
    leg = h.login(1)
    o = dial_one(h)
    step = h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    assert step.commands == (Bridge(o.channel_id, leg),)
    assert of_type(step.facts, AttemptBridged)[0].recording == ""



def test_a_disposition_given_during_the_call_is_applied_when_it_ends():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(3), wrap_up_s=30)
    h.login(1)
    orig = dial_one(h)
    h.feed(Answered(T0 + 5, orig.channel_id, orig.attempt_id))
    h.feed(AmdResult(T0 + 7, orig.channel_id, orig.attempt_id, AmdVerdict.HUMAN))
    # Still talking: kept, nothing recorded yet, the agent stays on the call.
    step = h.feed(Disposition(T0 + 20, 7, 1, orig.attempt_id, "no-sale"))
    step = h.feed(Disposition(T0 + 30, 7, 1, orig.attempt_id, "callback", callback_at=T0 + 86400,
                              final=False))
    assert step.facts == ()
    assert step.commands == ()
    assert h.dialer.agents.agents[1].state is AgentState.ON_CALL
    step = h.feed(HungUp(T0 + 40, orig.channel_id, orig.attempt_id, cause=16))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.CONNECTED
    assert of_type(step.facts, DispositionRecorded) == [
        DispositionRecorded(T0 + 40, orig.attempt_id, 1, "callback", T0 + 86400)]  # the last one given
    call_update, disposition_update = (f.update for f in of_type(step.facts, LeadUpdated))
    assert call_update.status is LeadStatus.DONE  # the call's own update, then the disposition's
    assert (disposition_update.status, disposition_update.callback_agent_id,
            disposition_update.next_attempt_at) == (LeadStatus.CALLBACK, 1, T0 + 86400)
    assert AgentStatus(T0 + 40, 1, AgentState.READY) in step.facts  # disposed: no wrap-up left
    assert len(customer_originates(h.tick(T0 + 41).commands)) == 1
    # Applied once: a repeat after the end finds nothing to classify.
    assert h.feed(Disposition(T0 + 42, 7, 1, orig.attempt_id, "sale")).facts == ()


def test_a_disposition_for_a_call_the_agent_is_not_on_is_not_kept():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(3))
    h.login(1)
    h.login(2, answer=False)  # logged in, not on the call
    orig = dial_one(h)
    h.feed(Answered(T0 + 5, orig.channel_id, orig.attempt_id))
    h.feed(AmdResult(T0 + 7, orig.channel_id, orig.attempt_id, AmdVerdict.HUMAN))
    assert h.feed(Disposition(T0 + 20, 7, 2, orig.attempt_id, "sale")).facts == ()
    step = h.feed(HungUp(T0 + 40, orig.channel_id, orig.attempt_id, cause=16))
    assert of_type(step.facts, DispositionRecorded) == []
    assert AgentStatus(T0 + 40, 1, AgentState.WRAP_UP) in step.facts


def test_a_call_reaching_the_node_is_not_the_campaigns():
    """An inbound call (legs keyed by a call id no attempt has) changes nothing for an outbound campaign."""
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(3))
    h.login(1)
    orig = dial_one(h)
    inbound = "sandbox-pbx-1796322676.406"
    for event in (ChannelCreated(T0 + 2, inbound, call_id=inbound),
                  CallArrived(T0 + 2, inbound, call_id=inbound, caller_number="15550142",
                              dialed_number="15550100", endpoint="world"),
                  Answered(T0 + 3, inbound, call_id=inbound),
                  HungUp(T0 + 4, inbound, call_id=inbound, cause=21)):
        step = h.feed(event)
        assert step.commands == ()
        assert step.facts == ()
    step = h.feed(Answered(T0 + 5, orig.channel_id, orig.attempt_id, call_id=orig.channel_id))
    assert step.commands == (StartAmd(orig.channel_id),)
