"""The agent panel and inbound calls: a hotline seat logs in with no campaign, and the caller of the
inbound call they answered pops up with the lead that has the caller's number."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from orchestrator.dialer.inputs import AgentLogin
from runner.commands_in import translate
from store.enums import CallDirection, CampaignState, QueueOutcome
from store.models import Agent, Call, DeskRequest, InboundRoute, Seat, Trunk
from tests.web import seed
from web.db import sessions


def _hotline(app) -> tuple[int, int]:
    """agent1 the hotline seat of a route whose trunk is on agent1's node; (seat id, agent id)."""
    with app.app_context(), sessions().begin() as s:
        agent = seed.agent(s)
        seat = s.scalars(select(Seat)).one()
        campaign = seed.campaign(s, "Outbound")
        campaign.desired_state = CampaignState.RUNNING
        seed.leads(s, campaign, ["+12125550141"])[0].fields = {"first_name": "Ada", "plan": "gold"}
        trunk = Trunk(name="carrier", managed=False, dids=["+14005550400"], nodes=[seat.node])
        s.add(trunk)
        s.flush()
        s.add(InboundRoute(name="400", did="+14005550400", trunk_id=trunk.id, hotline_agent_ids=[agent.id]))
        return seat.id, agent.id


def test_a_hotline_seat_logs_in_for_the_queue_only(app, as_role):
    seat_id, agent_id = _hotline(app)
    panel = as_role("agent1")
    assert "Hotline only (inbound calls)" in panel.get("/agent/").get_data(as_text=True)
    assert panel.post("/agent/login", {"seat_id": str(seat_id), "campaign_id": "0"}).status_code == 302
    with app.app_context(), sessions()() as s:
        request = s.scalars(select(DeskRequest)).one()
        assert request.campaign_id is None
        event = translate(s, request, request.node_id, time.time())
    assert isinstance(event, AgentLogin)
    assert (event.campaign_id, event.agent_id, event.queues) == (None, agent_id, (1,))


def test_an_agent_who_is_no_hotline_seat_cannot_log_in_without_a_campaign(app, as_role):
    seat_id, _ = _hotline(app)
    with app.app_context(), sessions().begin() as s:
        s.scalars(select(InboundRoute)).one().hotline_agent_ids = []
    panel = as_role("agent1")
    page = panel.post("/agent/login", {"seat_id": str(seat_id), "campaign_id": "0"}, follow_redirects=True)
    assert "you are no hotline seat" in page.get_data(as_text=True)


def test_the_inbound_caller_pops_up_with_the_known_lead(app, as_role):
    _, agent_id = _hotline(app)
    with app.app_context(), sessions().begin() as s:
        now = datetime.now(UTC)
        s.get(Agent, agent_id).state = "on_call"
        s.add(Call(direction=CallDirection.INBOUND, caller="12125550141", callee="14005550400",
                   started_at=now, answered_at=now, agent_id=agent_id, queue_outcome=QueueOutcome.ANSWERED,
                   queue_wait_s=Decimal("1.5"), pbx_call_id="in-1"))
    page = as_role("agent1").get("/agent/").get_data(as_text=True)
    assert "Inbound call: 12125550141" in page
    assert "To 14005550400, waited 1.5 s" in page
    assert "Ada" in page
    assert "gold" in page
    with app.app_context(), sessions().begin() as s:
        s.scalars(select(Call)).one().caller = "12125550999"
    page = as_role("agent1").get("/agent/").get_data(as_text=True)
    assert "No lead has this number." in page
