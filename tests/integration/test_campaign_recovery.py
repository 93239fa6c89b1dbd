"""Crashes mid-campaign on the real sandbox: the runner killed with SIGKILL, the pbx restarted.

Either way no lead may be lost (each ends dialed, in a final or retry state),
none dialed twice (the world's own AMI counts the calls it received against
the attempts in the database), and the calls in flight at the crash end up
reconciled: finished normally if they survived, LOST (retried later, never at
once) if they did not.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lab.faults import restart_pbx
from lab.sandbox.credentials import phone_credentials
from lab.sandbox.world import Outcome as World
from runner.node import AGENT_LEG_VAR, runner_identity
from store import models as m
from store.enums import CampaignMode
from store.types import utcnow
from tests.integration.campaign_kit import AmiWatcher, Kit, check_campaign, mixed_leads

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


def open_attempts(kit: Kit, campaign_id: int) -> set:
    with kit.sessions() as s:
        return set(
            s.scalars(
                select(m.Attempt.id).where(m.Attempt.campaign_id == campaign_id, m.Attempt.ended_at.is_(None))
            )
        )


def run_with_crash(sandbox, tmp_path, serial: int, crash, phones: int, *,
                   pbx_cuts_calls: bool = False) -> tuple[Kit, int, dict, set, object]:
    kit = Kit(sandbox, tmp_path)
    kit.agents(4, first=phones)
    leads = mixed_leads(MIX, first_serial=serial)
    campaign = kit.campaign("crash", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    runner = kit.runner()
    with AmiWatcher(sandbox.pbx) as pbx, AmiWatcher(sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("attempts over and in flight", mid_campaign(campaign), runner)
            in_flight = open_attempts(kit, campaign)
            crash(runner)
            kit.wait_for("every lead dialed and ended", kit.finished(campaign), runner)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
        report = check_campaign(kit, campaign, leads, pbx, world, restarted=True,
                                cut=frozenset(in_flight) if pbx_cuts_calls else frozenset())
    return kit, campaign, leads, in_flight, report


def test_runner_killed_mid_campaign_loses_nothing_and_dials_nothing_twice(sandbox, tmp_path):
    def crash(runner):
        runner.kill9()
        runner.start()

    kit, campaign, leads, in_flight, report = run_with_crash(sandbox, tmp_path, 300, crash, phones=0)
    print("kill -9:", report.summary(), f"in flight at the kill: {len(in_flight)}")
    assert in_flight
    ended = {a.id: a for a in kit.attempts(campaign)}
    assert all(ended[i].outcome is not None for i in in_flight)
    assert report.attempts == len(leads)  # nothing redialed: LOST leads wait for their retry delay
    kit.close()


def test_pbx_restart_mid_campaign_reconnects_and_resumes(sandbox, tmp_path):
    restarted_at = []

    def crash(runner):
        restart_pbx(sandbox.settings)
        restarted_at.append(utcnow())

    kit, campaign, leads, in_flight, report = run_with_crash(sandbox, tmp_path, 400, crash, phones=4,
                                                             pbx_cuts_calls=True)
    print("pbx restart:", report.summary(), f"in flight at the restart: {len(in_flight)}")
    runner_log = (tmp_path / "runner.log").read_text()
    assert runner_log.count("pbx connected") >= 2
    attempts = kit.attempts(campaign)
    ended = {a.id: a for a in attempts}
    # Calls cut by the restart end as the PBX reported them (it hangs them up as it stops),
    # or LOST if their hangup was never seen.
    assert all(ended[i].outcome is not None for i in in_flight)
    assert any(a.originated_at > restarted_at[0] for a in attempts)  # dialing resumed
    assert any(a.bridged_at is not None and a.bridged_at > restarted_at[0] for a in attempts)
    assert report.attempts == len(leads)
    kit.close()


def test_an_agent_on_a_call_when_the_runner_is_killed_keeps_one_leg(sandbox, tmp_path):
    """kill -9 while the agent talks: the restarted runner takes over the agent's leg, in its call,
    instead of ringing the seat a second time; the next customer comes through that same leg."""
    kit = Kit(sandbox, tmp_path)
    (agent_id,) = kit.agents(1, first=7)
    seat = phone_credentials(sandbox.settings)[7].extension
    leads = mixed_leads({World.HUMAN: 2}, first_serial=500, talk={World.HUMAN: (14,)})
    campaign = kit.campaign("one-leg", CampaignMode.PROGRESSIVE, leads, wrap_up_s=1)
    runner = kit.runner()
    mark = f"{runner_identity(kit.sessions, kit.node_id)}-{agent_id}"

    def seat_channels(pbx: AmiWatcher) -> list[str]:
        """Our legs to the agent's seat (other tests may share the sandbox phone)."""
        return [e["Uniqueid"] for e in pbx.matching(
            lambda e: e.get("Event") == "VarSet" and e.get("Variable") == AGENT_LEG_VAR
            and e.get("Value") == mark and e.get("Channel", "").startswith(f"PJSIP/{seat}-"))]

    def on_call(s) -> bool:
        return s.scalar(select(func.count()).select_from(m.Attempt).where(
            m.Attempt.campaign_id == campaign, m.Attempt.bridged_at.is_not(None),
            m.Attempt.ended_at.is_(None))) == 1

    with AmiWatcher(sandbox.pbx) as pbx:
        runner.start()
        try:
            kit.wait_for("the agent on a call", on_call, runner, 60)
            (leg,) = seat_channels(pbx)
            runner.kill9()
            runner.start()
            kit.wait_for("every lead dialed and ended", kit.finished(campaign), runner, 120)
            assert "agent keeps their leg" in runner.tail(400)
            assert seat_channels(pbx) == [leg]  # never rung a second time
            bridged = [a for a in kit.attempts(campaign) if a.bridged_at is not None]
            assert len(bridged) == 2 and all(a.agent_id == agent_id for a in bridged)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
    kit.close()
