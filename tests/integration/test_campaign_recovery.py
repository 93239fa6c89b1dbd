"""Crashes mid-campaign on the real sandbox, on each PBX (the Asterisk pbx with agent00N phones, the
FreeSWITCH node with fsagent00N): the runner killed with SIGKILL, the PBX restarted.

Either way no lead may be lost (each ends dialed, in a final or retry state),
none dialed twice (the world's own AMI counts the calls it received against
the attempts in the database), and the calls in flight at the crash end up
reconciled: finished normally if they survived, LOST (retried later, never at
once) if they did not. Their recordings end finalised (playing as real audio
from the web) or, for calls the PBX itself cut, marked empty, damaged or
missing by the scheduler's check: never a header that looks fine over no audio.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ami.session import run_actions
from lab.campaign import world_inbound
from lab.faults import restart_pbx
from lab.sandbox.world import Outcome as World
from orchestrator.dialer import routes
from runner.node import runner_identity
from store import models as m
from store.enums import CampaignMode, Outcome, PbxKind
from store.types import utcnow
from tests.integration.campaign_kit import (
    BOTH_PBXES,
    AmiWatcher,
    FreeswitchEvidence,
    Kit,
    PbxEvidence,
    check_campaign,
    check_crash_recordings,
    kit_on,
    mixed_leads,
    pbx_evidence,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

MIX = {World.HUMAN: 14, World.BUSY: 4, World.NO_ANSWER: 4, World.MACHINE: 4, World.UNALLOCATED: 4}


def mid_campaign(campaign_id: int):
    """Some attempts over and some in flight: the moment to crash something."""

    def pred(s) -> bool:
        ended = s.scalar(
            select(func.count())
            .select_from(m.Attempt)
            .where(m.Attempt.campaign_id == campaign_id, m.Attempt.ended_at.is_not(None))
        )
        bridged = s.scalar(
            select(func.count())
            .select_from(m.Attempt)
            .where(
                m.Attempt.campaign_id == campaign_id,
                m.Attempt.ended_at.is_(None),
                m.Attempt.bridged_at.is_not(None),
            )
        )
        return ended >= 8 and bridged >= 1

    return pred


def one_on_call(campaign_id: int):
    """Exactly one call of the campaign bridged to its agent and not ended."""

    def pred(s) -> bool:
        return s.scalar(select(func.count()).select_from(m.Attempt).where(
            m.Attempt.campaign_id == campaign_id, m.Attempt.bridged_at.is_not(None),
            m.Attempt.ended_at.is_(None))) == 1

    return pred


def open_attempts(kit: Kit, campaign_id: int) -> set:
    with kit.sessions() as s:
        return set(
            s.scalars(
                select(m.Attempt.id).where(m.Attempt.campaign_id == campaign_id, m.Attempt.ended_at.is_(None))
            )
        )


def run_with_crash(sandbox, tmp_path, kind: PbxKind, serial: int, crash,
                   phones: int) -> tuple[Kit, int, dict, frozenset, object, frozenset]:
    """Crash mid-campaign; also returns the calls whose recording start the PBX's events show (a
    watcher of FreeSWITCH's events does not outlive its restart)."""
    kit = kit_on(sandbox, tmp_path, kind)
    kit.agents(4, first=phones)
    leads = mixed_leads(MIX, first_serial=serial)
    campaign = kit.campaign("crash", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    runner = kit.runner()
    with pbx_evidence(kit) as pbx, AmiWatcher(sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("attempts over and in flight", mid_campaign(campaign), runner)
            in_flight = frozenset(open_attempts(kit, campaign))
            crash(runner)
            kit.wait_for("every lead dialed and ended", kit.finished(campaign), runner)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
        report = check_campaign(kit, campaign, leads, pbx, world, restarted=True, cut=in_flight)
        recorded = frozenset(a.id for a in kit.attempts(campaign) if pbx.recording_started(a.channel_id))
    return kit, campaign, leads, in_flight, report, recorded


@BOTH_PBXES
def test_runner_killed_mid_campaign_loses_nothing_and_dials_nothing_twice(sandbox, tmp_path, kind):
    def crash(runner):
        runner.kill9()
        runner.start()

    kit, campaign, leads, in_flight, report, recorded = run_with_crash(sandbox, tmp_path, kind, 300, crash,
                                                                       phones=0)
    print(f"kill -9 ({kind}):", report.summary(), f"in flight at the kill: {len(in_flight)}")
    assert in_flight
    ended = {a.id: a for a in kit.attempts(campaign)}
    assert all(ended[i].outcome is not None for i in in_flight)
    assert report.placed == len(leads)  # nothing redialed: LOST leads wait for their retry delay
    bridged = {a.id for a in kit.attempts(campaign) if a.bridged_at is not None}
    assert bridged - in_flight <= recorded  # the PBX recorded every call the kill spared
    # The PBX kept recording the calls the runner lost sight of: every file it started is whole and plays.
    statuses = check_crash_recordings(kit, tmp_path, campaign, in_flight, frozenset(bridged - recorded),
                                      pbx_stopped=False)
    print("recordings:", statuses)
    kit.close()


@BOTH_PBXES
def test_pbx_restart_mid_campaign_reconnects_and_resumes(sandbox, tmp_path, kind):
    restarted_at = []

    def crash(runner):
        restart_pbx(sandbox.settings, kind)
        restarted_at.append(utcnow())

    kit, campaign, leads, in_flight, report, _ = run_with_crash(sandbox, tmp_path, kind, 400, crash, phones=4)
    print(f"pbx restart ({kind}):", report.summary(), f"in flight at the restart: {len(in_flight)}")
    runner_log = (tmp_path / "runner.log").read_text()
    assert runner_log.count("pbx connected") >= 2
    attempts = kit.attempts(campaign)
    ended = {a.id: a for a in attempts}
    # Calls cut by the restart end as the PBX reported them (it hangs them up as it stops),
    # or LOST if their hangup was never seen.
    assert all(ended[i].outcome is not None for i in in_flight)
    assert any(a.originated_at > restarted_at[0] for a in attempts)  # dialing resumed
    assert any(a.bridged_at is not None and a.bridged_at > restarted_at[0] for a in attempts)
    # Nothing redialed; a dial FreeSWITCH refused while its SIP profile came back up is no dial.
    assert report.placed == len(leads)
    # The calls the restart cut: their recordings finalised, or marked so the web never plays them.
    statuses = check_crash_recordings(kit, tmp_path, campaign, in_flight, frozenset(), pbx_stopped=True)
    print("recordings:", statuses)
    kit.close()


@BOTH_PBXES
def test_an_agent_on_a_call_when_the_runner_is_killed_keeps_one_leg(sandbox, tmp_path, kind):
    """kill -9 while the agent talks: the restarted runner takes over the agent's leg, in its call,
    instead of ringing the seat a second time; the next customer comes through that same leg."""
    kit = kit_on(sandbox, tmp_path, kind)
    (agent_id,) = kit.agents(1, first=7)
    # The first customer (dialed first: leads go in id order) talks through the kill and the restart;
    # the second only has to reach the agent through the same leg, so talks as long as any human lead.
    leads = mixed_leads({World.HUMAN: 2}, first_serial=500, talk={World.HUMAN: (14, 5)})
    campaign = kit.campaign("one-leg", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    runner = kit.runner()
    mark = f"{runner_identity(kit.sessions, kit.node_id)}-{agent_id}"

    with pbx_evidence(kit) as pbx:
        runner.start()
        try:
            kit.wait_for("the agent on a call", one_on_call(campaign), runner, 60)
            (leg,) = pbx.agent_legs(mark)  # our leg to the agent's seat (other tests may share the phone)
            runner.kill9()
            runner.start()
            kit.wait_for("every lead dialed and ended", kit.finished(campaign), runner, 120)
            assert "agent keeps their leg" in runner.tail(400)
            assert pbx.agent_legs(mark) == {leg}  # never rung a second time
            bridged = [a for a in kit.attempts(campaign) if a.bridged_at is not None]
            assert len(bridged) == 2
            assert all(a.agent_id == agent_id for a in bridged)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
    kit.close()


def unbridge(kit: Kit, pbx: PbxEvidence, channel_id: str) -> None:
    """Take the customer out of their bridge and back to where answered customers wait for an agent,
    with the runner dead: the PBX now shows what it shows when a runner died between storing a
    bridge and sending it (Asterisk: ``sb-outbound``'s wait, whose safety net plays the abandon
    message 10 s later; FreeSWITCH: parked, as the route leaves a customer, with no safety net)."""
    if isinstance(pbx, FreeswitchEvidence):
        assert pbx.events.send(f"api uuid_park {channel_id}").text().startswith("+OK")
        return
    (reply,) = run_actions(kit.sandbox.pbx, [{"Action": "Redirect", "Channel": channel_id,
                                              "Context": routes.OUTBOUND, "Exten": "s", "Priority": "hold"}])
    assert not isinstance(reply, list), reply
    assert reply.get("Response") == "Success", reply


@BOTH_PBXES
def test_a_call_stored_bridged_that_the_pbx_never_bridged_gets_an_agent_after_the_restart(sandbox, tmp_path,
                                                                                          kind):
    """The runner killed between storing a customer's bridge and sending it, made on purpose: killed
    while the customer talks, the customer then taken out of the bridge on the PBX. The restarted
    runner finds the call in no bridge (the PBX's channel list) and treats the customer as waiting:
    put through to the agent's new leg, or the abandon message if no leg is up in time; never
    left alone on the line while the store says connected."""
    kit = kit_on(sandbox, tmp_path, kind)
    (agent_id,) = kit.agents(1, first=5)
    leads = mixed_leads({World.HUMAN: 1}, first_serial=700, talk={World.HUMAN: (25,)})
    campaign = kit.campaign("unbridged", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    runner = kit.runner()

    with pbx_evidence(kit) as pbx:
        runner.start()
        try:
            kit.wait_for("the agent on a call", one_on_call(campaign), runner, 60)
            runner.kill9()
            (call,) = kit.attempts(campaign)
            unbridge(kit, pbx, call.channel_id)
            restarted_at = utcnow()
            runner.start()
            kit.wait_for("the call ended", kit.finished(campaign), runner, 60)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
    (call,) = kit.attempts(campaign)
    print(f"unbridged ({kind}): abandoned={call.abandoned} bridged_at={call.bridged_at} "
          f"restarted_at={restarted_at} outcome={call.outcome}")
    if call.abandoned:  # no agent leg came up within the abandon deadline: the message, from the core
        assert call.bridged_at is None
        assert call.agent_id is None
        assert pbx.abandon_heard(call.channel_id)
    else:  # put through again, to the agent's new leg
        assert call.bridged_at is not None
        assert call.bridged_at > restarted_at
        assert call.agent_id == agent_id
        assert call.outcome is Outcome.CONNECTED
    kit.close()


GAP_S = 20.0  # the runner stays down until the customer hung up: at most this long


def hung_up(world: AmiWatcher, number: str):
    """The world's customer on ``number`` has hung up (its channel's ``Hangup`` on the world)."""

    def pred(_s) -> bool:
        channels = {e["Uniqueid"] for e in world_inbound(world, {number})}
        return bool(world.matching(lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") in channels))

    return pred


@BOTH_PBXES
def test_a_call_that_ends_while_the_runner_is_stopped_keeps_its_own_talk_time(sandbox, tmp_path, kind):
    """The demo stopped (SIGTERM, as ``scripts/run`` stops) while an agent talked, and the customer hung
    up during the gap: after the restart the call ends as CONNECTED, on both PBXes, no later than the
    last moment its runner was known to be watching; its talk time is not the whole gap."""
    kit = kit_on(sandbox, tmp_path, kind)
    kit.agents(1, first=6)
    leads = mixed_leads({World.HUMAN: 1}, first_serial=600, talk={World.HUMAN: (6,)})
    (number,) = leads
    campaign = kit.campaign("gap", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    runner = kit.runner()

    with AmiWatcher(sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("the agent on a call", one_on_call(campaign), runner, 60)
            assert runner.stop() == 0, runner.tail()
            stopped_at = utcnow()
            kit.wait_for("the customer hung up during the gap", hung_up(world, number), timeout=GAP_S)
            runner.start()
            kit.wait_for("every lead dialed and ended", kit.finished(campaign), runner, 60)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
    (call,) = [a for a in kit.attempts(campaign) if a.bridged_at is not None]
    talk = (call.ended_at - call.bridged_at).total_seconds()  # as the reports read it
    print(f"stopped ({kind}): outcome={call.outcome} talk={talk:.1f}s "
          f"ended {(stopped_at - call.ended_at).total_seconds():.1f}s before the stop")
    assert call.outcome is Outcome.CONNECTED
    assert call.bridged_at <= call.ended_at <= stopped_at
    assert talk < GAP_S
    kit.close()
