"""The runner's wiring without a PBX: synthetic core events in, rows and queued commands out.

What the live campaign tests (tests/integration) check on real Asterisk is
checked here on both databases with hand-made events: every fact lands in the
right row, one transaction per input, commands queued in order, and a
restarted runner hands open attempts back to the core.
"""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from lab import demo
from orchestrator import commands as c
from orchestrator.events import AmdResult, AmdVerdict, Answered, HungUp, PbxConnected, Tick
from runner.ami_runner import AmiRunner, load_node
from store import compliance
from store import models as m
from store.enums import AgentState, CampaignMode, CampaignState, LeadStatus, Outcome
from store.leads import claim_leads
from store.types import utcnow
from tests.db.builders import TEST_SEALER

NODE = demo.NodeSpec("pbx-test", "127.0.0.1", 1, "user", "secret")


@pytest.fixture
def seeded(sessions):
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, NODE)
        agents = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "seat-secret-1")])
        campaign = demo.create_campaign(s, "progressive", CampaignMode.PROGRESSIVE, ["+33100000001"])
        demo.log_in(s, node, campaign, agents)
        return node.id, campaign.id, agents[0].id


def drain(runner: AmiRunner) -> list[c.Command]:
    out = []
    for queue in (runner._originates, runner._others):
        while not queue.empty():
            out.append(queue.get_nowait())
    return out


def new_runner(sessions) -> AmiRunner:
    with sessions() as s:
        runner = AmiRunner(sessions, load_node(s, NODE.name, TEST_SEALER))
    runner.recover()
    return runner


def test_a_connected_call_is_written_row_by_row(sessions, seeded):
    _, campaign_id, agent_id = seeded
    runner = new_runner(sessions)
    runner.feed(PbxConnected(time.time(), NODE.name))
    assert runner.poll_commands() == 1
    (leg,) = drain(runner)
    assert isinstance(leg, c.Originate)
    assert leg.endpoint.name == "agent001"
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    runner.feed(Tick(time.time()))
    (dial,) = drain(runner)
    assert isinstance(dial, c.Originate)
    assert dial.endpoint.number == "+33100000001"
    with sessions() as s:
        lead = s.scalar(select(m.Lead))
        assert lead.status is LeadStatus.DIALING
        assert lead.claimed_by == "runner:pbx-test"
        attempt = s.get(m.Attempt, uuid.UUID(dial.attempt_id))
        assert attempt.channel_id == dial.channel_id
        assert attempt.ended_at is None
    runner.feed(Answered(time.time(), dial.channel_id, dial.attempt_id))
    assert drain(runner) == [c.StartAmd(dial.channel_id)]  # a no-op on Asterisk: the route runs AMD()
    runner.feed(AmdResult(time.time(), dial.channel_id, dial.attempt_id, verdict=AmdVerdict.HUMAN,
                          cause="HUMAN-1"))
    bridge, record = drain(runner)
    assert bridge == c.Bridge(dial.channel_id, leg.channel_id)
    assert isinstance(record, c.StartRecording)
    runner.feed(HungUp(time.time(), dial.channel_id, dial.attempt_id, cause=16))
    with sessions() as s:
        attempt = s.get(m.Attempt, uuid.UUID(dial.attempt_id))
        assert attempt.outcome is Outcome.CONNECTED
        assert attempt.amd_verdict is AmdVerdict.HUMAN
        assert attempt.answered_at
        assert attempt.bridged_at
        assert attempt.ended_at
        assert attempt.agent_id == agent_id
        assert s.scalar(select(m.Recording.path)) == record.filename
        assert s.scalar(select(m.Call.hangup_cause)) == 16
        lead = s.scalar(select(m.Lead))
        assert lead.status is LeadStatus.DONE
        assert lead.attempts == 1
        assert lead.claimed_by is None
        assert s.get(m.Agent, agent_id).state is AgentState.WRAP_UP
        states = s.scalars(select(m.AgentStateLog.state).order_by(m.AgentStateLog.id)).all()
        assert states == [AgentState.PAUSED, AgentState.READY, AgentState.ON_CALL, AgentState.WRAP_UP]
        (window, _) = compliance.campaign_windows(s, campaign_id, utcnow())
        assert (window.live_answers, window.abandons) == (1, 0)
        assert s.scalar(select(m.DeskRequest.status)).value == "done"


@pytest.mark.parametrize("live", [True, False], ids=["call-still-up", "call-gone"])
def test_a_restarted_runner_reconciles_the_open_attempt(sessions, seeded, live):
    runner = new_runner(sessions)
    runner.feed(PbxConnected(time.time(), NODE.name))
    runner.poll_commands()
    (leg,) = drain(runner)
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    runner.feed(Tick(time.time()))
    (dial,) = drain(runner)
    runner.feed(Answered(time.time(), dial.channel_id, dial.attempt_id))
    # kill -9 here: a new runner reads the store back
    again = new_runner(sessions)
    slot = again.slots[seeded[1]]
    (restored,) = slot.dialer.attempts()
    assert restored.attempt_id == dial.attempt_id
    assert restored.answered_at is not None
    live_ids = frozenset({dial.channel_id} if live else set())
    again.feed(PbxConnected(time.time(), NODE.name, live_channel_ids=live_ids))
    with sessions() as s:
        attempt = s.get(m.Attempt, uuid.UUID(dial.attempt_id))
        lead = s.scalar(select(m.Lead))
        if live:
            assert attempt.ended_at is None
            assert lead.status is LeadStatus.DIALING
        else:
            assert attempt.outcome is Outcome.LOST
            assert lead.status is LeadStatus.PENDING
            assert lead.next_call_at > utcnow()  # never redialed at once


def test_claims_never_dialed_are_given_back_on_restart(sessions, seeded):
    with sessions.begin() as s:
        lead = s.scalar(select(m.Lead))
        lead.status, lead.claimed_by, lead.claimed_at = LeadStatus.DIALING, "runner:pbx-test", utcnow()
    new_runner(sessions)
    with sessions() as s:
        assert s.scalar(select(m.Lead.status)) is LeadStatus.NEW


def test_a_paused_campaign_claims_nothing_and_a_stopped_one_logs_agents_out(sessions, seeded):
    _, campaign_id, agent_id = seeded
    runner = new_runner(sessions)
    runner.feed(PbxConnected(time.time(), NODE.name))
    runner.poll_commands()
    (leg,) = drain(runner)
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    with sessions.begin() as s:
        s.get(m.Campaign, campaign_id).desired_state = CampaignState.PAUSED
    runner.sync_campaigns()
    runner.feed(Tick(time.time()))
    assert drain(runner) == []
    with sessions.begin() as s:
        s.get(m.Campaign, campaign_id).desired_state = CampaignState.STOPPED
    runner.sync_campaigns()
    assert drain(runner) == [c.Hangup(leg.channel_id)]
    assert campaign_id not in runner.slots
    with sessions() as s:
        assert s.get(m.Agent, agent_id).state is AgentState.LOGGED_OUT


def test_preview_dial_and_disposition_come_from_the_desk_queue(sessions):
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, NODE)
        (agent,) = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "seat-secret-1")])
        campaign = demo.create_campaign(s, "preview", CampaignMode.PREVIEW, ["+33100000002"])
        demo.log_in(s, node, campaign, [agent])
        agent_id, campaign_id, node_id = agent.id, campaign.id, node.id
    runner = new_runner(sessions)
    runner.feed(PbxConnected(time.time(), NODE.name))
    runner.poll_commands()
    (leg,) = drain(runner)
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    runner.feed(Tick(time.time()))
    assert drain(runner) == []  # preview: nothing is dialed unless the agent asks
    with sessions.begin() as s:
        (lead,) = claim_leads(s, campaign_id, 1, utcnow(), claimed_by="preview:agent:1")
        s.add(m.DeskRequest(kind="preview_dial", node_id=node_id, campaign_id=campaign_id, agent_id=agent_id,
                        lead_id=lead.id))
    runner.poll_commands()
    (dial,) = drain(runner)
    assert dial.endpoint.number == "+33100000002"
    runner.feed(Answered(time.time(), dial.channel_id, dial.attempt_id))  # no AMD in preview
    bridge, _record = drain(runner)
    assert bridge == c.Bridge(dial.channel_id, leg.channel_id)
    runner.feed(HungUp(time.time(), dial.channel_id, dial.attempt_id, cause=16))
    with sessions.begin() as s:
        s.add(m.DeskRequest(kind="disposition", node_id=node_id, campaign_id=campaign_id, agent_id=agent_id,
                        payload={"attempt_id": dial.attempt_id, "code": "done"}))
        s.add(m.DeskRequest(kind="launch_rockets", node_id=node_id, agent_id=agent_id))
    runner.poll_commands()
    with sessions() as s:
        attempt = s.get(m.Attempt, uuid.UUID(dial.attempt_id))
        assert attempt.agent_id == agent_id
        assert attempt.outcome is Outcome.CONNECTED
        done = s.scalar(select(m.Disposition.id).where(m.Disposition.code == "done"))
        assert attempt.disposition_id == done
        assert s.get(m.Agent, agent_id).state is AgentState.READY  # the disposition ended the wrap-up
        statuses = dict(s.execute(select(m.DeskRequest.kind, m.DeskRequest.status)).all())
        assert statuses["disposition"].value == "done"
        assert statuses["launch_rockets"].value == "failed"


def test_agent_pause_with_a_reason_and_back_to_ready(sessions, seeded):
    node_id, _, agent_id = seeded
    runner = new_runner(sessions)
    runner.feed(PbxConnected(time.time(), NODE.name))
    runner.poll_commands()
    (leg,) = drain(runner)
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    for state, reason in (("paused", "lunch"), ("ready", "")):
        with sessions.begin() as s:
            s.add(m.DeskRequest(kind="agent_state", node_id=node_id, agent_id=agent_id,
                            payload={"state": state, "reason": reason}))
        runner.poll_commands()
        with sessions() as s:
            row = s.scalar(select(m.AgentStateLog).where(m.AgentStateLog.ended_at.is_(None)))
            assert (row.state.value, row.reason) == (state, reason)
    runner.feed(Tick(time.time()))
    (dial,) = drain(runner)  # ready again: the campaign dials for them
    assert dial.endpoint.number == "+33100000001"
