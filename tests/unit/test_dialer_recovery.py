"""PBX reconnects and runner restarts: calls that vanished end as LOST, none is re-dialed at once."""

from collections import Counter

from dialer_harness import T0, BrakedRatio, Harness, counting_ids, customer_originates, ny_leads, of_type

from orchestrator.commands import Bridge, EndpointKind, Originate, Redirect, StartAmd
from orchestrator.dialer import DialMode, OpenAttempt
from orchestrator.dialer.facts import (
    AmdDecided,
    AttemptAbandoned,
    AttemptAnswered,
    AttemptBridged,
    AttemptEnded,
    AttemptStarted,
    AttemptUnbridged,
    LeadUpdated,
)
from orchestrator.events import (
    AgentState,
    AgentStateChanged,
    AmdResult,
    AmdVerdict,
    Answered,
    DialplanSignal,
    HungUp,
    PbxConnected,
    PbxDisconnected,
    VoiceCue,
    VoiceDetected,
)
from orchestrator.leads.outcomes import Outcome
from orchestrator.leads.rules import DEFAULT_DELAYS
from orchestrator.leads.status import LeadStatus


def four_calls_two_agents(h: Harness):
    legs = [h.login(1), h.login(2)]
    a, b, c, d = customer_originates(h.tick(T0 + 1).commands)
    h.feed(Answered(T0 + 4, a.channel_id, a.attempt_id))
    h.feed(AmdResult(T0 + 6, a.channel_id, a.attempt_id, AmdVerdict.HUMAN))  # bridged to agent 1
    h.feed(Answered(T0 + 5, c.channel_id, c.attempt_id))  # awaiting AMD
    return legs, (a, b, c, d)


def dialed_numbers(h: Harness) -> Counter:
    return Counter(o.endpoint.number for o in customer_originates(h.commands))


def test_reconnect_ends_vanished_calls_as_lost_and_keeps_live_ones():
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(30), policy=BrakedRatio(2.0))
    (leg1, _), (a, b, c, d) = four_calls_two_agents(h)
    h.feed(PbxDisconnected(T0 + 7, "pbx1", "connection reset"))
    assert not customer_originates(h.tick(T0 + 8).commands)
    step = h.feed(PbxConnected(T0 + 9, "pbx1", frozenset({a.channel_id, d.channel_id, leg1})))
    ended = {f.attempt_id: f.outcome for f in of_type(step.facts, AttemptEnded)}
    assert ended == {b.attempt_id: Outcome.LOST, c.attempt_id: Outcome.LOST}
    for update in (f.update for f in of_type(step.facts, LeadUpdated)):
        assert update.status is LeadStatus.PENDING
        assert update.next_attempt_at == T0 + 9 + DEFAULT_DELAYS[Outcome.LOST]
    # Agent 2's leg vanished with the PBX: a new one is nailed up (no customer is re-dialed).
    (new_leg,) = of_type(step.commands, Originate)
    assert new_leg.endpoint.kind is EndpointKind.SEAT
    assert new_leg.endpoint.name == "seat2"
    assert h.dialer.agents.agents[2].state is AgentState.PAUSED
    # Live calls carry on where they were.
    assert h.feed(Answered(T0 + 10, d.channel_id, d.attempt_id)).commands == (StartAmd(d.channel_id),)
    step = h.feed(HungUp(T0 + 30, a.channel_id, a.attempt_id))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.CONNECTED
    for t in range(40):
        h.tick(T0 + 31 + t)
    assert max(dialed_numbers(h).values()) == 1


def test_a_waiting_customer_lost_in_a_pbx_restart_counts_as_abandoned():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    h.login(1)
    (o,) = customer_originates(h.tick(T0 + 1).commands)
    h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    h.feed(AgentStateChanged(T0 + 5, 1, AgentState.PAUSED, "break"))  # stepped away while AMD ran
    h.feed(AmdResult(T0 + 6, o.channel_id, o.attempt_id, AmdVerdict.HUMAN))
    step = h.feed(PbxConnected(T0 + 7, "pbx1", frozenset()))
    assert AttemptAbandoned(T0 + 7, o.attempt_id, 1.0, "lost") in step.facts
    (lead,) = of_type(step.facts, LeadUpdated)
    assert lead.update.next_attempt_at == T0 + 7 + 72 * 3600


def open_attempts_from_facts(facts, leads_by_id) -> list[OpenAttempt]:
    """What the runner reads back from the store after a crash: started, not ended."""
    ended = {f.attempt_id for f in of_type(facts, AttemptEnded)}
    answered = {f.attempt_id: f.at for f in of_type(facts, AttemptAnswered)}
    live = {f.attempt_id: f.at for f in of_type(facts, AmdDecided) if f.verdict is not AmdVerdict.MACHINE}
    bridged = {f.attempt_id: f for f in of_type(facts, AttemptBridged)}
    return [OpenAttempt(s.attempt_id, s.channel_id, leads_by_id[s.lead_id], s.at,
                        bridged[s.attempt_id].agent_id if s.attempt_id in bridged else s.agent_id,
                        answered.get(s.attempt_id), live.get(s.attempt_id),
                        bridged[s.attempt_id].at if s.attempt_id in bridged else None)
            for s in of_type(facts, AttemptStarted) if s.attempt_id not in ended]


def test_runner_killed_and_restarted_never_dials_a_lead_twice():
    leads = ny_leads(30)
    h = Harness(DialMode.PREDICTIVE, leads=leads, policy=BrakedRatio(2.0))
    (_, _), (a, b, c, d) = four_calls_two_agents(h)
    # kill -9: the store still holds the facts written so far; the lead source hands out no claimed lead.
    restarted = h.make_dialer(ids=counting_ids("r"),
                              open_attempts=open_attempts_from_facts(h.facts, {x.lead_id: x for x in leads}))
    h.dialer = restarted
    step = h.feed(PbxConnected(T0 + 20, "pbx1", frozenset({a.channel_id, c.channel_id})))
    ended = {f.attempt_id: f.outcome for f in of_type(step.facts, AttemptEnded)}
    assert ended == {b.attempt_id: Outcome.LOST, d.attempt_id: Outcome.LOST}
    assert all(f.update.next_attempt_at > T0 + 20 for f in of_type(step.facts, LeadUpdated))
    h.login(1, T0 + 21)
    h.login(2, T0 + 21)
    # c was awaiting AMD when the runner died: its verdict still reaches a (new) agent.
    step = h.feed(AmdResult(T0 + 22, c.channel_id, c.attempt_id, AmdVerdict.HUMAN))
    assert len(of_type(step.commands, Bridge)) == 1
    step = h.feed(HungUp(T0 + 40, a.channel_id, a.attempt_id))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.CONNECTED
    for t in range(60):
        h.tick(T0 + 41 + t)
    assert max(dialed_numbers(h).values()) == 1
    assert len(dialed_numbers(h)) > 4  # it went on dialing new leads


def test_a_restored_customer_already_waiting_too_long_hears_the_abandon_message():
    h = Harness(DialMode.PROGRESSIVE, connect=False)
    lead = ny_leads(1)[0]
    h.dialer = h.make_dialer(open_attempts=[OpenAttempt("att1", "chan1", lead, T0, None, T0 + 3, T0 + 5)])
    h.feed(PbxConnected(T0 + 6, "pbx1", frozenset({"chan1"})))
    step = h.tick(T0 + 7)
    assert Redirect("chan1", "sb-abandon") in step.commands
    assert of_type(step.facts, AttemptAbandoned)[0].waited_s == 2.0


def test_a_restored_customer_already_abandoned_is_neither_abandoned_nor_counted_again():
    """The runner that abandoned the call died while the customer heard the message (a standby took
    over): the call hears it on, ends as abandoned, and the abandon counts once (the dead runner's)."""
    h = Harness(DialMode.PROGRESSIVE, connect=False)
    lead = ny_leads(1)[0]
    h.dialer = h.make_dialer(open_attempts=[OpenAttempt("att1", "chan1", lead, T0, None, T0 + 3, T0 + 5,
                                                        abandoned=True)])
    h.feed(PbxConnected(T0 + 6, "pbx1", frozenset({"chan1"})))
    h.login(1, T0 + 6)
    steps = [h.tick(T0 + t) for t in range(7, 12)]
    assert not [c for step in steps for c in step.commands if isinstance(c, (Redirect, Bridge))]
    assert not [f for step in steps for f in of_type(step.facts, AttemptAbandoned)]
    step = h.feed(HungUp(T0 + 15, "chan1", "att1"))
    assert of_type(step.facts, AttemptEnded)[0].outcome is Outcome.ABANDONED
    assert h.dialer.counter.windows(T0 + 16)[0].abandons == 0  # counted by the runner that sent it there


def test_milestones_missed_during_a_restart_are_inferred_from_later_events():
    """Restored as DIALING, the call was in fact answered while no runner was listening."""
    h = Harness(DialMode.PROGRESSIVE, connect=False)
    lead1, lead2 = ny_leads(2)
    h.dialer = h.make_dialer(open_attempts=[OpenAttempt("att1", "chan1", lead1, T0),
                                            OpenAttempt("att2", "chan2", lead2, T0)])
    h.feed(PbxConnected(T0 + 6, "pbx1", frozenset({"chan1", "chan2"})))
    leg = h.login(1, T0 + 6)
    step = h.feed(AmdResult(T0 + 7, "chan1", "att1", AmdVerdict.HUMAN))
    assert Bridge("chan1", leg) in step.commands
    step = h.feed(DialplanSignal(T0 + 16, "chan2", "att2", name="abandon"))
    assert AttemptAbandoned(T0 + 16, "att2", 0.0, "pbx safety net") in step.facts
    assert h.dialer.counter.windows(T0 + 17)[0].live_answers == 2



def test_a_restored_call_whose_greeting_began_unheard_is_put_through_at_its_first_silence():
    """FreeSWITCH reports the greeting's cadence, not a verdict: the voice cue of a call answered just
    before the runner died went unheard, so the new runner decides on the silence after it instead of
    leaving the person waiting out the analysis."""
    h = Harness(DialMode.PROGRESSIVE, connect=False)
    lead = ny_leads(1)[0]
    h.dialer = h.make_dialer(open_attempts=[OpenAttempt("att1", "chan1", lead, T0, None, T0 + 3)])
    h.feed(PbxConnected(T0 + 4, "pbx1", frozenset({"chan1"})))
    leg = h.login(1, T0 + 4)
    step = h.feed(VoiceDetected(T0 + 4.6, "chan1", "att1", cue=VoiceCue.SILENCE, held_ms=800))
    assert AmdDecided(T0 + 4.6, "att1", AmdVerdict.HUMAN, "HUMAN-800-800") in step.facts
    assert Bridge("chan1", leg) in step.commands


def test_a_call_found_gone_after_a_restart_ends_when_last_known_alive_not_at_the_restart():
    """The demo stopped for minutes: a bridged call's talk time is what the store last saw, not the gap."""
    h = Harness(DialMode.PROGRESSIVE, connect=False)
    lead1, lead2 = ny_leads(2)
    h.dialer = h.make_dialer(open_attempts=[
        OpenAttempt("att1", "chan1", lead1, T0, 7, T0 + 3, T0 + 5, T0 + 6, seen_at=T0 + 40),
        OpenAttempt("att2", "chan2", lead2, T0, seen_at=T0 + 40)])
    step = h.feed(PbxConnected(T0 + 220, "pbx1", frozenset()))
    ended = {f.attempt_id: f for f in of_type(step.facts, AttemptEnded)}
    connected = ended["att1"]
    assert (connected.outcome, connected.at, connected.talk_s) == (Outcome.CONNECTED, T0 + 40, 34.0)
    assert (ended["att2"].outcome, ended["att2"].at) == (Outcome.LOST, T0 + 40)
    (lost,) = [f.update for f in of_type(step.facts, LeadUpdated) if f.update.lead_id == lead2.lead_id]
    assert lost.next_attempt_at == T0 + 220 + DEFAULT_DELAYS[Outcome.LOST]  # retried from now, never at once


def test_a_call_gone_during_a_pbx_outage_ends_at_the_disconnect():
    h = Harness(DialMode.PROGRESSIVE, leads=ny_leads(1))
    h.login(1)
    (o,) = customer_originates(h.tick(T0 + 1).commands)
    h.feed(Answered(T0 + 4, o.channel_id, o.attempt_id))
    h.feed(PbxDisconnected(T0 + 5, "pbx1"))
    step = h.feed(PbxConnected(T0 + 95, "pbx1", frozenset()))
    (ended,) = of_type(step.facts, AttemptEnded)
    assert (ended.outcome, ended.at) == (Outcome.LOST, T0 + 5)


def restored_bridged(h: Harness) -> None:
    """A runner stored the bridge of att1 to agent 1 and died before sending it."""
    lead = ny_leads(1)[0]
    bridged = OpenAttempt("att1", "chan1", lead, T0, 1, T0 + 3, T0 + 5, T0 + 5)
    h.dialer = h.make_dialer(open_attempts=[bridged])


def test_a_call_stored_bridged_but_in_no_bridge_on_the_pbx_waits_for_the_next_agent():
    h = Harness(DialMode.PROGRESSIVE, connect=False)
    restored_bridged(h)
    step = h.feed(PbxConnected(T0 + 8, "pbx1", frozenset({"chan1"}), bridged_channel_ids=frozenset()))
    assert AttemptUnbridged(T0 + 8, "att1") in step.facts
    leg = h.login(2, T0 + 9)  # the first agent whose leg comes up takes the customer
    assert Bridge("chan1", leg) in h.commands
    bridged = of_type(h.facts, AttemptBridged)[-1]
    assert (bridged.attempt_id, bridged.agent_id, bridged.waited_s) == ("att1", 2, 1.0)


def test_an_unbridged_call_with_no_agent_in_time_hears_the_abandon_message():
    h = Harness(DialMode.PROGRESSIVE, connect=False)
    restored_bridged(h)
    h.feed(PbxConnected(T0 + 8, "pbx1", frozenset({"chan1"}), bridged_channel_ids=frozenset()))
    step = h.tick(T0 + 11)
    assert Redirect("chan1", "sb-abandon") in step.commands
    assert of_type(step.facts, AttemptAbandoned)[0].waited_s == 3.0


def test_a_call_the_pbx_shows_bridged_or_an_adapter_that_did_not_ask_keeps_it_connected():
    for bridged in (frozenset({"chan1"}), None):
        h = Harness(DialMode.PROGRESSIVE, connect=False)
        restored_bridged(h)
        step = h.feed(PbxConnected(T0 + 8, "pbx1", frozenset({"chan1"}), bridged_channel_ids=bridged))
        assert not of_type(step.facts, AttemptUnbridged)
        assert not of_type(h.tick(T0 + 20).commands, Redirect)
        assert h.dialer.attempts()[0].agent_id == 1
