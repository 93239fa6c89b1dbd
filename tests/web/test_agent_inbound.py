"""The agent panel and inbound calls: a hotline seat logs in with no campaign, the caller of the
inbound call they answered pops up with the lead that has the caller's number, and the agent disposes
of the call (outcome, notes, callback, sale) with the form of outbound calls, as the route's campaign."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from orchestrator.dialer.inputs import AgentLogin
from orchestrator.inbound.queue import CallerAnswered, CallerEnded, CallerQueued
from runner.commands_in import take_inputs, translate
from runner.persist import FactWriter
from store.enums import AgentState, CallDirection, CampaignState, LeadStatus, QueueOutcome
from store.models import Agent, Attempt, Call, Campaign, DeskRequest, InboundRoute, Lead, Order, Seat, Trunk
from tests.web import seed
from tests.web.test_agent import HTMX, _product
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


def _runner_writes(app, *facts) -> None:
    """What the node's runner writes for its queue's facts (its registry of writers)."""
    with app.app_context(), sessions().begin() as s:
        FactWriter(s.scalars(select(Seat)).one().node_id).write(s, None, facts)


def _runner_applies_desk_requests(app) -> None:
    """The runner takes the agent's requests; the route's campaign dials nowhere: applied at once."""
    with app.app_context(), sessions().begin() as s:
        node_id = s.scalars(select(Seat)).one().node_id
        assert take_inputs(s, node_id, time.time(), taken_by="test", running=set()) == []
        assert {r.error for r in s.scalars(select(DeskRequest))} == {""}  # every one done, none refused


def test_the_agent_disposes_of_an_inbound_call_as_of_an_outbound_one(app, as_role):
    """The route names the campaign whose dispositions its calls take: the answered call is an attempt of
    it, with the caller's lead. During the call the agent asks for a callback with notes; the call ends and
    the disposition, the notes and the callback stay (the lead is the agent's callback). The same customer
    calls again and buys: the agent saves a sale with an order line after that call. The call log shows
    both inbound calls with their dispositions."""
    _, agent_id = _hotline(app)
    with app.app_context(), sessions().begin() as s:
        route = s.scalars(select(InboundRoute)).one()
        route.campaign_id = s.scalar(select(Campaign.id).where(Campaign.name == "Outbound"))
        route_id = route.id
        s.get(Agent, agent_id).state = AgentState.ON_CALL
        codes = {d.code: d.id for d in route.campaign.dispositions}
        lead_id = s.scalar(select(Lead.id).where(Lead.phone == "+12125550141"))
    now = time.time()
    _runner_writes(app, CallerQueued(now, route_id, "in-1", "12125550141", 1, "14005550400"),
                   CallerAnswered(now + 2, route_id, "in-1", agent_id, 2.0, False))
    panel = as_role("agent1")
    page = panel.get("/agent/").get_data(as_text=True)
    assert "Inbound call: 12125550141" in page
    assert "Ada" in page
    assert "Disposition of the inbound call, as campaign Outbound: +12125550141" in page  # the known lead
    first = re.search(r'name="attempt_id" value="([^"]+)"', page).group(1)
    later = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None, second=0, microsecond=0)
    callback = {"attempt_id": first, "disposition_id": str(codes["CB"]), "notes": "call after 5",
                "callback_at": later.isoformat(timespec="minutes"), "tz_offset_min": "0"}
    assert panel.post("/agent/dispose", callback, headers=HTMX).status_code == 200
    _runner_applies_desk_requests(app)
    _runner_writes(app, CallerEnded(now + 60, route_id, "in-1", agent_id, 58.0))  # the caller hangs up
    with app.app_context(), sessions()() as s:
        attempt = s.get(Attempt, s.scalars(select(Call)).one().attempt_id)
        assert str(attempt.id) == first
        assert attempt.ended_at is not None
        assert (attempt.disposition.code, attempt.notes) == ("CB", "call after 5")
        lead = s.get(Lead, lead_id)
        assert (lead.status, lead.callback_agent_id) == (LeadStatus.CALLBACK, agent_id)
        assert lead.next_call_at.replace(tzinfo=UTC) == later.replace(tzinfo=UTC)
    assert 'name="attempt_id"' not in panel.get("/agent/").get_data(as_text=True)  # nothing left to dispose

    _runner_writes(app, CallerQueued(now + 100, route_id, "in-2", "12125550141", 1, "14005550400"),
                   CallerAnswered(now + 101, route_id, "in-2", agent_id, 1.0, False),
                   CallerEnded(now + 200, route_id, "in-2", agent_id, 99.0))
    page = panel.get("/agent/").get_data(as_text=True)  # after the call: the form waits for a disposition
    second = re.search(r'name="attempt_id" value="([^"]+)"', page).group(1)
    sale = {"attempt_id": second, "disposition_id": str(codes["SALE"]), "notes": "two plans",
            "product_id": str(_product(app)), "quantity": "2", "amount": "300.00"}
    assert panel.post("/agent/dispose", sale, headers=HTMX).status_code == 200
    _runner_applies_desk_requests(app)
    with app.app_context(), sessions()() as s:
        attempt = s.get(Attempt, uuid.UUID(second))
        assert (attempt.disposition.code, attempt.notes) == ("SALE", "two plans")
        assert [str(o.amount) for o in s.scalars(select(Order).where(Order.attempt_id == attempt.id))] == [
            "300.00"]
    log = as_role("sup").get("/calls?number=12125550141").get_data(as_text=True)
    assert "Sale (CN¥300.00)" in log  # money per the language
    assert "Call back" in log


def test_a_caller_no_lead_knows_becomes_a_finished_lead_of_the_routes_campaign(app, as_role):
    """Nobody dials them unless the agent's disposition says so; a route without a campaign has no form."""
    _, agent_id = _hotline(app)
    now = time.time()
    _runner_writes(app, CallerQueued(now, 1, "in-1", "12125550999", 1, "14005550400"),
                   CallerAnswered(now + 1, 1, "in-1", agent_id, 1.0, False))
    page = as_role("agent1").get("/agent/").get_data(as_text=True)
    assert "This route has no campaign: no disposition to give." in page
    assert 'name="attempt_id"' not in page
    with app.app_context(), sessions().begin() as s:
        s.scalars(select(InboundRoute)).one().campaign_id = s.scalar(select(Campaign.id))
    _runner_writes(app, CallerQueued(now + 5, 1, "in-2", "12125550999", 1, "14005550400"),
                   CallerAnswered(now + 6, 1, "in-2", agent_id, 1.0, False))
    with app.app_context(), sessions()() as s:
        lead = s.scalar(select(Lead).where(Lead.phone == "+12125550999"))
        assert lead.status is LeadStatus.DONE
        assert lead.list.name == "Inbound callers"
    assert 'name="attempt_id"' in as_role("agent1").get("/agent/").get_data(as_text=True)
