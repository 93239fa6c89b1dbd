"""The dialer core on PBXes that report the greeting's cadence (FreeSWITCH), and on machines found late."""

import pytest
from dialer_harness import T0, BrakedRatio, Harness, customer_originates, ny_leads, of_type

from orchestrator.amd import MachineAction
from orchestrator.commands import Bridge, Hangup, Redirect, StartRecording
from orchestrator.dialer import DialMode
from orchestrator.dialer.facts import AgentStatus, AmdDecided, AttemptEnded, ComplianceCounted
from orchestrator.events import AgentState, AmdResult, AmdVerdict, Answered, HungUp, VoiceCue, VoiceDetected
from orchestrator.leads.outcomes import Outcome

ACTIONS = [(MachineAction.HANGUP, Hangup), (MachineAction.MESSAGE, Redirect)]


def answered_call(h: Harness, at: float = T0 + 4):
    (o,) = customer_originates(h.tick(T0 + 1).commands)
    h.feed(Answered(at, o.channel_id, o.attempt_id))
    return o


def cue(o, at: float, kind: VoiceCue, held_ms: int) -> VoiceDetected:
    return VoiceDetected(at, o.channel_id, o.attempt_id, cue=kind, held_ms=held_ms)


def test_voice_then_silence_is_a_human_bridged_at_once():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    leg = h.login(1)
    o = answered_call(h)
    assert h.feed(cue(o, T0 + 4.74, VoiceCue.SPEECH, 120)).commands == ()
    step = h.feed(cue(o, T0 + 5.88, VoiceCue.SILENCE, 800))
    assert AmdDecided(T0 + 5.88, o.attempt_id, AmdVerdict.HUMAN, "HUMAN-800-800") in step.facts
    assert step.commands == (Bridge(o.channel_id, leg), StartRecording(o.channel_id, f"7/{o.attempt_id}.wav"))


@pytest.mark.parametrize(("action", "command"), ACTIONS)
def test_a_long_greeting_is_a_machine_handled_per_campaign(action, command):
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1), machine_action=action)
    h.login(1)
    o = answered_call(h)
    h.feed(cue(o, T0 + 4.74, VoiceCue.SPEECH, 120))
    step = h.feed(cue(o, T0 + 7.04, VoiceCue.NO_SILENCE, 800))
    (decided,) = of_type(step.facts, AmdDecided)
    assert decided.verdict is AmdVerdict.MACHINE
    assert decided.cause.startswith("LONGGREETING")
    (sent,) = step.commands
    assert isinstance(sent, command)
    assert sent.channel_id == o.channel_id
    # avmd's beep comes later: the call is already a machine, nothing more happens.
    assert h.feed(AmdResult(T0 + 10, o.channel_id, o.attempt_id, AmdVerdict.MACHINE, "beep")).commands == ()


def test_cues_after_the_verdict_change_nothing():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    h.login(1)
    o = answered_call(h)
    h.feed(AmdResult(T0 + 5, o.channel_id, o.attempt_id, AmdVerdict.HUMAN))
    step = h.feed(cue(o, T0 + 6, VoiceCue.NO_SILENCE, 800))
    assert step.commands == ()
    assert not of_type(step.facts, AmdDecided)


@pytest.mark.parametrize(("action", "command"), ACTIONS)
def test_a_machine_found_after_the_bridge_frees_the_agent_and_is_handled(action, command):
    # A short greeting classed human, bridged, then avmd hears the beep: not silently ignored.
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(2), machine_action=action, route_handles_machines=True)
    leg = h.login(1)
    o = answered_call(h)
    h.feed(AmdResult(T0 + 5, o.channel_id, o.attempt_id, AmdVerdict.HUMAN, "HUMAN-900-800"))
    step = h.feed(AmdResult(T0 + 9, o.channel_id, o.attempt_id, AmdVerdict.MACHINE, "beep"))
    assert AmdDecided(T0 + 9, o.attempt_id, AmdVerdict.MACHINE, "beep") in step.facts
    assert AgentStatus(T0 + 9, 1, AgentState.READY) in step.facts  # freed now, not after the message
    (sent,) = step.commands  # sent even where the route handles machines: it did not see this one
    assert isinstance(sent, command)
    assert sent.channel_id == o.channel_id
    assert ComplianceCounted(T0 + 9, 7, machines=1) in step.facts
    # The agent takes the next customer while the machine is hung up / left its message.
    (o2,) = customer_originates(h.tick(T0 + 10).commands)
    h.feed(Answered(T0 + 12, o2.channel_id, o2.attempt_id))
    assert Bridge(o2.channel_id, leg) in h.feed(
        AmdResult(T0 + 13, o2.channel_id, o2.attempt_id, AmdVerdict.HUMAN)).commands
    step = h.feed(HungUp(T0 + 20, o.channel_id, o.attempt_id))
    (ended,) = of_type(step.facts, AttemptEnded)
    assert ended.outcome is Outcome.MACHINE
    assert not of_type(step.facts, AgentStatus)  # the agent is on the next call, untouched


def test_a_machine_found_while_waiting_for_an_agent_is_not_an_abandon():
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(5), policy=BrakedRatio(2.0))
    h.login(1)
    first, second = customer_originates(h.tick(T0 + 1).commands)
    for o in (first, second):
        h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    h.feed(AmdResult(T0 + 6, first.channel_id, first.attempt_id, AmdVerdict.HUMAN))  # takes the agent
    h.feed(AmdResult(T0 + 6.5, second.channel_id, second.attempt_id, AmdVerdict.HUMAN))  # waits
    step = h.feed(AmdResult(T0 + 7, second.channel_id, second.attempt_id, AmdVerdict.MACHINE, "beep"))
    assert step.commands == (Hangup(second.channel_id),)
    assert not of_type(h.tick(T0 + 9).commands, Redirect)  # past the 2 s: no abandon message for a machine
    step = h.feed(HungUp(T0 + 9.5, second.channel_id, second.attempt_id))
    (ended,) = of_type(step.facts, AttemptEnded)
    assert ended.outcome is Outcome.MACHINE
    counted = of_type(h.facts, ComplianceCounted)
    assert sum(c.machines for c in counted) == 1
    assert sum(c.abandons for c in counted) == 0
    # The live answer counted at the HUMAN verdict stays: counters only add.
    assert h.dialer.counter.windows(T0 + 10)[0].live_answers == 2
