"""Blind transfer from the agent panel, on each PBX of the sandbox, against a real runner.

Two agents are logged in for a progressive campaign (no AMD: the customer is bridged at the answer)
with one lead, a world human who talks long enough. The customer is bridged to one of them (A); the
other (B) is ready. A transfers the call to B through the real panel (the Flask app on the kit's
database, the form the browser posts). Then, seen on the PBX's own event stream (not the runner's
word): the customer's channel is bridged to B's held-open leg. A is in wrap-up, saves their part's
disposition in the panel and is ready again; B has the call (attempt and panel), and it ends when
the customer hangs up. The call page shows the transfer in its timeline, and the one recording of
the call (the customer's channel is recorded, through both agents' parts) plays: HTTP 200 with audio
longer than A's part.
"""

from __future__ import annotations

import io
import re
import uuid
import wave

import pytest
from sqlalchemy import select

from lab.sandbox.world import Outcome as World
from orchestrator.dialer import routes
from store import models as m
from store.enums import AgentState, CampaignMode, DeskCommand, DeskRequestStatus, Outcome, UserRole
from tests.integration.campaign_kit import (
    BOTH_PBXES,
    AsteriskEvidence,
    Kit,
    PbxEvidence,
    kit_on,
    mixed_leads,
    pbx_evidence,
    sweep_recordings,
    web_client,
)
from tests.integration.test_agent_panel_live import HTMX, panel_client

pytestmark = [pytest.mark.sandbox]

PHONE_INDEX = 6  # agent007 and agent008 (fsagent...), as the agent panel's live tests (never together)
TALK_S = 20  # the customer talks this long after the answer: A's part, the transfer, B's part


def legs_of(evidence: PbxEvidence, agent_id: int) -> set[str]:
    """The channels the runner rang for ``agent_id``'s held-open leg (their ``sb_agent_id`` variable)."""
    if isinstance(evidence, AsteriskEvidence):
        return {e["Uniqueid"] for e in evidence.pbx.matching(
            lambda e: e.get("Event") == "VarSet" and e.get("Variable") == routes.VAR_AGENT
            and e.get("Value") == str(agent_id))}
    return {e.get("Unique-ID") for e in evidence.events.events(  # type: ignore[attr-defined]
        lambda e: e.get(f"variable_{routes.VAR_AGENT}") == str(agent_id))}


def bridged_with(evidence: PbxEvidence, channel: str, legs: set[str]) -> bool:
    """The PBX put ``channel`` in one bridge with one of ``legs`` (Asterisk ``BridgeEnter`` of both in one
    bridge; FreeSWITCH ``CHANNEL_BRIDGE`` naming both)."""
    if isinstance(evidence, AsteriskEvidence):
        enters = evidence.pbx.matching(lambda e: e.get("Event") == "BridgeEnter")
        bridges = {e.get("BridgeUniqueid") for e in enters if e.get("Uniqueid") == channel}
        return any(e.get("BridgeUniqueid") in bridges and e.get("Uniqueid") in legs for e in enters)
    return bool(evidence.events.events(  # type: ignore[attr-defined]
        lambda e: e.name == "CHANNEL_BRIDGE"
        and {e.get("Bridge-A-Unique-ID"), e.get("Bridge-B-Unique-ID")} & {channel}
        and {e.get("Bridge-A-Unique-ID"), e.get("Bridge-B-Unique-ID")} & legs))


def _state(s, agent_id: int) -> AgentState:
    return s.get(m.Agent, agent_id).state


@BOTH_PBXES
def test_the_agent_transfers_the_customer_to_a_ready_colleague_from_the_panel(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    agent_ids = kit.agents(2, first=PHONE_INDEX)
    with kit.sessions() as s:
        names = {i: s.get(m.Agent, i).user.username for i in agent_ids}
    leads = mixed_leads({World.HUMAN: 1}, first_serial=760, talk={World.HUMAN: (TALK_S,)})
    with pbx_evidence(kit) as pbx:
        campaign = kit.campaign("transfer-live", CampaignMode.PROGRESSIVE, leads, amd_enabled=False,
                                record_calls=True, wrap_up_s=60)
        with kit.sessions() as s:  # the demo campaign's one disposition
            done = s.scalar(select(m.Disposition.id).where(m.Disposition.campaign_id == campaign))
        runner = kit.runner()
        runner.start()
        try:
            kit.wait_for("the customer bridged to one agent, the other ready", lambda s: sorted(
                _state(s, i) for i in agent_ids) == sorted([AgentState.ON_CALL, AgentState.READY]), runner)
            with kit.sessions() as s:
                (first,) = [i for i in agent_ids if _state(s, i) is AgentState.ON_CALL]
            (second,) = [i for i in agent_ids if i != first]
            panel_a = panel_client(kit, tmp_path / "a", names[first])
            page = panel_a.get("/agent/").get_data(as_text=True)
            assert f'<option value="{second}">{names[second]}' in page  # offered: ready, same node
            attempt_id = re.search(r'name="attempt_id" value="([^"]+)"', page).group(1)
            response = panel_a.post("/agent/transfer", {"to_agent_id": str(second), "confirm": "yes"})
            assert response.status_code == 302
            kit.wait_for("B on the call, A wrapping up", lambda s: (_state(s, second), _state(s, first)) == (
                AgentState.ON_CALL, AgentState.WRAP_UP), runner, timeout=15)
            with kit.sessions() as s:
                attempt = s.get(m.Attempt, uuid.UUID(attempt_id))
                assert attempt.agent_id == second  # the call is B's now
                customer = attempt.channel_id
            kit.wait_for("the PBX bridged the customer to B's leg",
                         lambda _s: bridged_with(pbx, customer, legs_of(pbx, second)), runner, timeout=10)
            assert bridged_with(pbx, customer, legs_of(pbx, first))  # A had them first

            # B's panel pops the call; A's shows their part, whose disposition ends the wrap-up.
            panel_b = panel_client(kit, tmp_path / "b", names[second])
            assert f'name="attempt_id" value="{attempt_id}"' in panel_b.get("/agent/").get_data(as_text=True)
            said = panel_b.post("/agent/dispose", {"attempt_id": attempt_id, "disposition_id": str(done),
                                                   "notes": "B closed it"}, headers=HTMX)
            assert "It is applied when the call ends." in said.get_data(as_text=True)  # the call's, B's
            page = panel_a.get("/agent/").get_data(as_text=True)
            assert f"You transferred this call to <strong>{names[second]}</strong>" in page
            said = panel_a.post("/agent/dispose", {"attempt_id": attempt_id, "disposition_id": str(done),
                                                   "notes": "handed to a colleague"}, headers=HTMX)
            assert said.status_code == 200, said.get_data(as_text=True)
            assert "your part of the call" in said.get_data(as_text=True)
            kit.wait_for("A ready again after their part", lambda s: _state(s, first) is AgentState.READY,
                         runner, timeout=15)
            assert _state_now(kit, second) is AgentState.ON_CALL
            kit.wait_for("the customer hung up on B", kit.finished(campaign), runner, timeout=TALK_S + 20)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()

    (attempt,) = kit.attempts(campaign)
    with kit.sessions() as s:
        request = s.scalars(select(m.DeskRequest).where(m.DeskRequest.kind == DeskCommand.TRANSFER)).one()
        transfer = s.scalars(select(m.CallTransfer)).one()
        log = [(row.state, row.started_at) for row in s.scalars(
            select(m.AgentStateLog).where(m.AgentStateLog.agent_id == first).order_by(m.AgentStateLog.id))]
        call_id = s.scalar(select(m.Call.id).where(m.Call.attempt_id == attempt.id))
    assert request.status is DeskRequestStatus.DONE
    assert (attempt.outcome, attempt.agent_id, attempt.disposition_id) == (Outcome.CONNECTED, second, done)
    assert (transfer.from_agent_id, transfer.to_agent_id, transfer.call_id) == (first, second, call_id)
    assert transfer.from_disposition_id is not None
    assert attempt.bridged_at < transfer.at < attempt.ended_at
    states = [state for state, at in log if at >= transfer.at]
    assert states[:2] == [AgentState.WRAP_UP, AgentState.READY]  # A: wrap-up, then ready

    recordings = [r for r in sweep_recordings(kit).values() if r.call_id == call_id]
    assert len(recordings) == 1  # one recording: the customer's channel, through both parts
    web = web_client(kit, tmp_path, UserRole.SUPERVISOR)
    page = web.get(f"/calls/{call_id}").get_data(as_text=True)
    assert 'data-step="transfer"' in page
    assert f"from {names[first]} to {names[second]} (blind)" in page
    assert f"/recordings/{recordings[0].id}" in page
    played = web.get(f"/recordings/{recordings[0].id}")
    assert (played.status_code, played.mimetype) == (200, "audio/wav")
    with wave.open(io.BytesIO(played.get_data())) as w:
        heard_s = w.getnframes() / w.getframerate()
    a_part = (transfer.at - attempt.bridged_at).total_seconds()
    assert heard_s > a_part + 2.0, (heard_s, a_part)  # it went on after the transfer
    kit.close()


def _state_now(kit: Kit, agent_id: int) -> AgentState:
    with kit.sessions() as s:
        return _state(s, agent_id)
