"""Agent rows the runner writes (state, reason, since) and a disposition given during the call.

The runner without a PBX, as in ``test_feed``: hand-made events in, rows out, on both databases.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from orchestrator.events import AmdResult, AmdVerdict, Answered, HungUp, OriginateFailed, PbxConnected, Tick
from store import models as m
from store.enums import AgentState, LeadStatus
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
    node_id, campaign_id, agent_id = seeded
    runner, leg = logged_in(sessions)
    runner.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    runner.feed(Tick(time.time()))
    (dial,) = drain(runner)
    runner.feed(Answered(time.time(), dial.channel_id, dial.attempt_id))
    runner.feed(AmdResult(time.time(), dial.channel_id, dial.attempt_id, verdict=AmdVerdict.HUMAN))
    drain(runner)
    callback = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with sessions.begin() as s:  # what the panel writes while the agent talks
        code = "CB"
        s.add(m.Disposition(campaign_id=campaign_id, code=code, label="Call back", schedules_callback=True,
                            is_final=False))
        s.add(m.DeskRequest(kind="disposition", node_id=node_id, campaign_id=campaign_id, agent_id=agent_id,
                        payload={"attempt_id": dial.attempt_id, "code": code, "final": False,
                                 "callback_at": callback.timestamp()}))
    runner.poll_commands()
    assert _agent(sessions, agent_id) == (AgentState.ON_CALL, "")
    runner.feed(HungUp(time.time(), dial.channel_id, dial.attempt_id, cause=16))
    with sessions() as s:
        attempt = s.get(m.Attempt, uuid.UUID(dial.attempt_id))
        assert attempt.disposition is not None
        assert attempt.disposition.code == code
        lead = s.get(m.Lead, attempt.lead_id)
        assert (lead.status, lead.callback_agent_id) == (LeadStatus.CALLBACK, agent_id)
        assert lead.next_call_at == callback
        assert s.get(m.Agent, agent_id).state is AgentState.READY  # disposed: no wrap-up left
