"""Agent rows the runner writes (state, reason, since) and a disposition given during the call.

The runner without a PBX, as in ``test_feed``: hand-made events in, rows out, on both databases.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from orchestrator.events import AmdResult, AmdVerdict, Answered, HungUp, OriginateFailed, PbxConnected, Tick
from store import models as m
from store.enums import AgentState, CampaignState, DeskRequestStatus, LeadStatus
from tests.runner.test_feed import NODE, drain, new_runner, seeded  # noqa: F401 - fixture


def logged_in(sessions):
    """A runner connected to its (absent) PBX, the seeded agent's leg originated: (runner, leg)."""
    runner = new_runner(sessions)
    runner.feed(PbxConnected(time.time(), NODE.name))
    runner.poll_commands()
    (leg,) = drain(runner)
    return runner, leg


def _agent(sessions, agent_id: int) -> tuple[AgentState, str]:
    with sessions() as s:
        row = s.get(m.Agent, agent_id)
        return row.state, row.state_reason


def test_a_seat_whose_phone_never_answers_leaves_the_agent_paused_with_the_reason(sessions, seeded):  # noqa: F811
    node_id, _, agent_id = seeded
    runner, leg = logged_in(sessions)
    assert _agent(sessions, agent_id) == (AgentState.PAUSED, "connecting")
    runner.feed(OriginateFailed(time.time(), leg.channel_id, leg.attempt_id, cause=20))  # not registered
    assert _agent(sessions, agent_id) == (AgentState.PAUSED, "phone disconnected")
    with sessions.begin() as s:  # Ready: the dialer tries the phone again
        s.add(m.DeskRequest(kind="agent_state", node_id=node_id, agent_id=agent_id,
                            payload={"state": "ready"}))
    runner.poll_commands()
    (leg,) = drain(runner)
    assert _agent(sessions, agent_id) == (AgentState.PAUSED, "connecting")
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    assert _agent(sessions, agent_id) == (AgentState.READY, "")


def test_a_disposition_saved_during_the_call_is_applied_at_hangup(sessions, seeded):  # noqa: F811
    _, _, agent_id = seeded
    runner, _, dial = _talking(sessions)
    request_id, callback = _queue_callback(sessions, seeded, dial.attempt_id)  # while the agent talks
    runner.poll_commands()
    assert _agent(sessions, agent_id) == (AgentState.ON_CALL, "")
    runner.feed(HungUp(time.time(), dial.channel_id, dial.attempt_id, cause=16))
    _assert_called_back(sessions, seeded, dial.attempt_id, request_id, callback)
    with sessions() as s:
        assert s.get(m.Agent, agent_id).state is AgentState.READY  # disposed: no wrap-up left


def _talking(sessions):
    """A runner whose agent is talking to a customer: (runner, leg, dial)."""
    runner, leg = logged_in(sessions)
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    runner.feed(Tick(time.time()))
    (dial,) = drain(runner)
    runner.feed(Answered(time.time(), dial.channel_id, dial.attempt_id))
    runner.feed(AmdResult(time.time(), dial.channel_id, dial.attempt_id, verdict=AmdVerdict.HUMAN))
    drain(runner)
    return runner, leg, dial


def _ended_call(sessions, seeded):  # noqa: F811
    """A runner whose agent talked to a customer who hung up, nothing disposed yet: (runner, leg, dial)."""
    runner, leg, dial = _talking(sessions)
    runner.feed(HungUp(time.time(), dial.channel_id, dial.attempt_id, cause=16))
    return runner, leg, dial


def _stop_campaign(sessions, runner, campaign_id: int, leg) -> None:
    """The supervisor stops the campaign; the agent's wrap-up runs out (the runner logs them out and
    hangs their leg up) before they save the disposition."""
    with sessions.begin() as s:
        campaign = s.get(m.Campaign, campaign_id)
        campaign.desired_state = CampaignState.STOPPED
        wrap_up_s = campaign.wrap_up_s
    runner.sync_campaigns()
    runner.feed(Tick(time.time() + wrap_up_s + 1))
    assert [type(x).__name__ for x in drain(runner)] == ["Hangup"]
    runner.feed(HungUp(time.time(), leg.channel_id, leg.attempt_id, cause=16))
    runner.sync_campaigns()
    assert campaign_id not in runner.slots


def _queue_callback(sessions, seeded, attempt_id: str) -> tuple[int, datetime]:  # noqa: F811
    """What the panel writes when the agent saves "call back tomorrow": (request id, callback time)."""
    node_id, campaign_id, agent_id = seeded
    callback = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with sessions.begin() as s:
        s.add(m.Disposition(campaign_id=campaign_id, code="CB", label="Call back", schedules_callback=True,
                            is_final=False))
        payload = {"attempt_id": attempt_id, "code": "CB", "final": False,
                   "callback_at": callback.timestamp()}
        request = m.DeskRequest(kind="disposition", node_id=node_id, campaign_id=campaign_id,
                                agent_id=agent_id, payload=payload)
        s.add(request)
        s.flush()
        return request.id, callback


def _assert_called_back(sessions, seeded, attempt_id: str, request_id: int, callback: datetime) -> None:  # noqa: F811
    _, _, agent_id = seeded
    with sessions() as s:
        request = s.get(m.DeskRequest, request_id)
        assert request.status is DeskRequestStatus.DONE, request.error
        attempt = s.get(m.Attempt, uuid.UUID(attempt_id))
        assert attempt.disposition is not None
        assert attempt.disposition.code == "CB"
        lead = s.get(m.Lead, attempt.lead_id)
        assert (lead.status, lead.callback_agent_id) == (LeadStatus.CALLBACK, agent_id)
        assert lead.next_call_at == callback


def test_a_disposition_saved_after_the_supervisor_stopped_the_campaign_is_kept(sessions, seeded):  # noqa: F811
    """Walked by hand: the campaign stopped while the agent wrapped up, and their disposition was refused."""
    _, campaign_id, _ = seeded
    runner, leg, dial = _ended_call(sessions, seeded)
    _stop_campaign(sessions, runner, campaign_id, leg)
    request_id, callback = _queue_callback(sessions, seeded, dial.attempt_id)
    runner.poll_commands()
    _assert_called_back(sessions, seeded, dial.attempt_id, request_id, callback)


def test_a_disposition_saved_after_a_runner_restart_is_applied(sessions, seeded):  # noqa: F811
    """The new runner's dialer never saw the call: it reschedules the lead as stored."""
    _, _, dial = _ended_call(sessions, seeded)
    restarted = new_runner(sessions)
    restarted.feed(PbxConnected(time.time(), NODE.name))
    request_id, callback = _queue_callback(sessions, seeded, dial.attempt_id)
    restarted.poll_commands()
    _assert_called_back(sessions, seeded, dial.attempt_id, request_id, callback)


def test_a_late_disposition_never_reschedules_a_lead_being_dialed_again(sessions, seeded):  # noqa: F811
    _, campaign_id, _ = seeded
    runner, leg, dial = _ended_call(sessions, seeded)
    _stop_campaign(sessions, runner, campaign_id, leg)
    with sessions.begin() as s:
        lead = s.get(m.Lead, s.get(m.Attempt, uuid.UUID(dial.attempt_id)).lead_id)
        lead.claimed_by, lead.status = "another runner", LeadStatus.DIALING
    request_id, _ = _queue_callback(sessions, seeded, dial.attempt_id)
    runner.poll_commands()
    with sessions() as s:
        request = s.get(m.DeskRequest, request_id)
        assert request.status is DeskRequestStatus.FAILED
        assert "dialed again" in request.error
        assert s.get(m.Lead, lead.id).status is LeadStatus.DIALING
