"""The agent panel's blind transfer, through its form, on both databases: a good request is queued for
the node's runner and audited; bad ones are refused with the reason and nothing written; what the
runner writes back (``runner.fact_writers.transfers``) pops the call on the receiving agent's panel,
leaves the first agent their part to classify, fails a refused request with its reason, and shows
on the call detail's timeline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from orchestrator.dialer.facts import CallTransferred, TransferRefused
from runner.persist import FactWriter
from store.enums import AgentState, DeskCommand, DeskRequestStatus, UserRole
from store.models import Agent, AuditLog, Call, CallTransfer, DeskRequest, Disposition, PbxNode, Seat, User
from tests.web import seed
from tests.web.conftest import PASSWORD
from web.auth import services as auth_services
from web.db import sealer, sessions

CUSTOMER = "+12015550147"


@pytest.fixture
def desk(app):
    """agent1 on a call on node "pbx"; agent2 READY on the same node; agent3 READY on another node."""
    with app.app_context(), sessions().begin() as s:
        for name in ("agent2", "agent3"):
            auth_services.create_user(s, name, PASSWORD, UserRole.AGENT)
        s.flush()
        attempt = seed.on_call(s, CUSTOMER)
        node = s.scalars(select(PbxNode)).one()
        other = PbxNode(name="fs", kind="freeswitch", host="127.0.0.1", port=2)
        ids = {}
        for name, at in (("agent2", node), ("agent3", other)):
            agent = s.scalars(select(Agent).join(Agent.user).where(User.username == name)).one()
            agent.seat = Seat(node=at, extension=f"81{agent.id:02d}", secret=sealer().seal("seatsecret123"))
            agent.state = AgentState.READY
            ids[name] = agent.id
        ids["agent1"] = attempt.agent_id
        s.flush()
        ids["node"] = node.id
        return attempt.id, ids


def _count(app, model, *where) -> int:
    with app.app_context(), sessions()() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_the_agent_transfers_to_a_ready_colleague_of_the_node_and_it_is_queued_and_audited(app, as_role,
                                                                                           desk):
    _, ids = desk
    agent1 = as_role("agent1")
    page = agent1.get("/agent/").get_data(as_text=True)
    assert 'id="transfer"' in page
    assert f'value="{ids["agent2"]}">agent2' in page
    assert ">agent3" not in page  # on another node: not offered
    response = agent1.post("/agent/transfer", {"to_agent_id": str(ids["agent2"]), "confirm": "yes"})
    assert response.status_code == 302
    assert "Transferring the customer to agent2" in agent1.get("/agent/").get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        (request,) = s.scalars(select(DeskRequest).where(DeskRequest.kind == DeskCommand.TRANSFER)).all()
        assert (request.agent_id, request.node_id, request.payload) == (
            ids["agent1"], ids["node"], {"to_agent_id": ids["agent2"]})
        (audit,) = s.scalars(select(AuditLog).where(AuditLog.action == "call.transfer")).all()
        assert (audit.actor, audit.details["to"]) == ("agent1", "agent2")


@pytest.mark.parametrize(("form", "prepare", "message"), [
    ({"to_agent_id": "agent2"}, None, "tick &#39;confirm&#39; to hand the customer to agent2"),
    ({"to_agent_id": "agent3", "confirm": "yes"}, None, "agent3 is not on a seat of your PBX node"),
    ({"to_agent_id": "agent2", "confirm": "yes"}, ("agent2", AgentState.PAUSED),
     "agent2 is not ready (they are paused)"),
    ({"to_agent_id": "agent1", "confirm": "yes"}, None, "the call is yours already"),
    ({"to_agent_id": "", "confirm": "yes"}, None, "choose the agent to transfer the call to"),
    ({"to_agent_id": "99999", "confirm": "yes"}, None, "choose the agent to transfer the call to"),
    ({"to_agent_id": "agent2", "confirm": "yes"}, ("agent1", AgentState.WRAP_UP), "you are not on a call"),
])
def test_a_bad_transfer_is_refused_with_the_reason_and_nothing_is_written(app, as_role, desk, form, prepare,
                                                                          message):
    _, ids = desk
    if prepare is not None:
        with app.app_context(), sessions().begin() as s:
            s.get(Agent, ids[prepare[0]]).state = prepare[1]
    agent1 = as_role("agent1")
    target = form["to_agent_id"]
    data = {**form, "to_agent_id": str(ids.get(target, target))}
    assert agent1.post("/agent/transfer", data).status_code == 302
    assert message in agent1.get("/agent/").get_data(as_text=True)
    assert _count(app, DeskRequest, DeskRequest.kind == DeskCommand.TRANSFER) == 0
    assert _count(app, AuditLog, AuditLog.action == "call.transfer") == 0


def test_after_the_runner_transferred_the_call_it_is_the_new_agents_and_the_first_classifies_their_part(
        app, as_role, desk):
    attempt_id, ids = desk
    agent1 = as_role("agent1")
    agent1.post("/agent/transfer", {"to_agent_id": str(ids["agent2"]), "confirm": "yes"})
    at = datetime.now(UTC).timestamp()
    with app.app_context(), sessions().begin() as s:
        request_id = s.scalar(select(DeskRequest.id).where(DeskRequest.kind == DeskCommand.TRANSFER))
        FactWriter(ids["node"]).write(s, None, [CallTransferred(at, request_id, ids["agent1"], ids["agent2"],
                                                                attempt_id=str(attempt_id))])
        s.get(Agent, ids["agent1"]).state = AgentState.WRAP_UP  # what the AgentStatus facts write
        s.get(Agent, ids["agent2"]).state = AgentState.ON_CALL
        dispositions = dict(s.execute(select(Disposition.code, Disposition.id)).all())

    agent2 = as_role("agent2")
    page = agent2.get("/agent/").get_data(as_text=True)
    assert f"Call: {CUSTOMER}" in page  # the panel pops with the customer's details
    assert 'id="transferred"' not in page
    form = {"attempt_id": str(attempt_id), "disposition_id": dispositions["NO"]}
    saved = agent2.post("/agent/dispose", form)
    assert saved.status_code == 302
    assert "Saved: Not interested" in agent2.get("/agent/").get_data(as_text=True)

    page = agent1.get("/agent/").get_data(as_text=True)
    assert 'id="transferred"' in page
    assert "to <strong>agent2</strong>" in page
    assert 'id="transfer"' not in page
    # The part takes no sale (the sale is the new agent's) and no callback, and is refused whole.
    refused = agent1.post("/agent/dispose", {**form, "product_id": "1", "quantity": "1"})
    assert refused.status_code == 302
    page = agent1.get("/agent/").get_data(as_text=True)
    assert "the sale is entered by the agent who has the call now" in page
    before = _count(app, DeskRequest, DeskRequest.agent_id == ids["agent1"])
    saved = agent1.post("/agent/dispose", {**form, "notes": "wanted the team leader"})
    assert saved.status_code == 302
    assert "Saved: Not interested (your part of the call)" in agent1.get("/agent/").get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        (row,) = s.scalars(select(CallTransfer)).all()
        assert (row.from_agent_id, row.to_agent_id, row.from_disposition_id, row.from_notes) == (
            ids["agent1"], ids["agent2"], dispositions["NO"], "wanted the team leader")
        ready = s.scalars(select(DeskRequest).where(DeskRequest.agent_id == ids["agent1"])
                          .order_by(DeskRequest.id.desc())).first()
        assert (ready.kind, ready.payload) == (DeskCommand.AGENT_STATE.value, {"state": "ready"})
        call_id = s.scalar(select(Call.id).where(Call.attempt_id == attempt_id))
    assert _count(app, DeskRequest, DeskRequest.agent_id == ids["agent1"]) == before + 1

    page = as_role("sup").get(f"/calls/{call_id}").get_data(as_text=True)
    assert 'data-step="transfer"' in page
    assert "from agent1 to agent2 (blind); agent1&#39;s part: Not interested" in page
    assert "bridge</strong> to agent1" in page  # the first bridge was to the first agent


def test_a_transfer_the_runner_refused_fails_with_its_reason_on_the_panel(app, as_role, desk):
    _, ids = desk
    agent1 = as_role("agent1")
    agent1.post("/agent/transfer", {"to_agent_id": str(ids["agent2"]), "confirm": "yes"})
    with app.app_context(), sessions().begin() as s:
        request_id = s.scalar(select(DeskRequest.id).where(DeskRequest.kind == DeskCommand.TRANSFER))
        reason = "that agent is not ready (they are on call)"
        refused = TransferRefused(datetime.now(UTC).timestamp(), request_id, reason)
        FactWriter(ids["node"]).write(s, None, [refused])
    with app.app_context(), sessions()() as s:
        request = s.get(DeskRequest, request_id)
        assert (request.status, request.error) == (DeskRequestStatus.FAILED, f"transfer: {reason}")
    assert _count(app, CallTransfer) == 0
    page = agent1.get("/agent/").get_data(as_text=True)
    assert "transfer: that agent is not ready (they are on call)" in page
