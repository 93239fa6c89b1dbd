"""Agent panel: every action becomes a command the runner understands; the runner's state is shown.

Each command is also run through the runner's own translator
(``runner.commands_in.translate``): the web and the runner agree on
the protocol, not just on a table.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from orchestrator.commands import Endpoint, EndpointKind
from orchestrator.dialer.inputs import AgentLeaving, AgentLogin, Disposition, PreviewDial
from orchestrator.events import AgentStateChanged
from runner.commands_in import translate
from store.enums import AgentState, CampaignMode, CampaignState, LeadStatus, Outcome
from store.models import Agent, Attempt, DeskRequest, Lead, LeadList, Order, Product, Seat, User
from tests.web import seed
from web.db import sessions


def _agent(app) -> Agent:
    with app.app_context(), sessions()() as s:
        return s.scalars(select(Agent)).one()


def _runner_sets(app, state: AgentState) -> None:
    """What the runner writes back once it carried out a command."""
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent)).one()
        a.state, a.state_since = state, datetime.now(UTC)


def _last_command(app):
    """The newest command and the core event the runner makes of it."""
    with app.app_context(), sessions()() as s:
        command = s.scalars(select(DeskRequest).order_by(DeskRequest.id.desc())).first()
        return command, translate(s, command, command.node_id, time.time())


@pytest.fixture
def running(app):
    with app.app_context(), sessions().begin() as s:
        seed.agent(s)
        c = seed.campaign(s, "Outbound")
        c.desired_state = CampaignState.RUNNING
        seed.campaign(s, "Stopped one")
    with app.app_context(), sessions()() as s:
        return s.scalar(select(Seat.id)), c.id


def test_login_ready_pause_logout_are_commands(app, as_role, running):
    seat_id, campaign_id = running
    agent = as_role("agent1")
    page = agent.get("/agent/").get_data(as_text=True)
    assert "Log in to seat" in page
    assert "Outbound" in page
    assert "Stopped one" not in page
    agent.post("/agent/login", {"seat_id": str(seat_id), "campaign_id": str(campaign_id)})
    command, event = _last_command(app)
    assert command.kind == "agent_login"
    assert isinstance(event, AgentLogin)
    with app.app_context(), sessions()() as s:
        seat = s.get(Seat, seat_id)
        assert s.scalars(select(Agent)).one().seat_id == seat_id
        phone = Endpoint(EndpointKind.SEAT, seat.extension)
        assert (event.campaign_id, event.phone, command.node_id) == (campaign_id, phone, seat.node_id)
    assert "waiting for the dialer" in agent.get("/agent/").get_data(as_text=True)
    _runner_sets(app, AgentState.PAUSED)
    agent.post("/agent/ready")
    command, event = _last_command(app)
    assert isinstance(event, AgentStateChanged)
    assert event.state is AgentState.READY
    _runner_sets(app, AgentState.READY)
    agent.post("/agent/pause", {"reason": "nap"})  # not a reason code: refused, nothing queued
    assert _last_command(app)[0].id == command.id
    agent.post("/agent/pause", {"reason": "lunch"})
    _, event = _last_command(app)
    assert (event.state, event.reason) == (AgentState.PAUSED, "lunch")
    agent.post("/agent/leaving", {"reason": "log out", "at": ""})  # after this call
    command, event = _last_command(app)
    assert command.kind == "agent_leaving"
    assert isinstance(event, AgentLeaving)
    assert (event.leaving_at, event.state) == (None, AgentState.LOGGED_OUT)
    agent.post("/agent/leaving", {"reason": "lunch", "at": "25:00"})  # not a time: refused, nothing queued
    assert _last_command(app)[0].id == command.id
    agent.post("/agent/logout")
    _, event = _last_command(app)
    assert event.state is AgentState.LOGGED_OUT
    assert agent.get("/agent/status.json").get_json()["state"] == "ready"  # until the runner says otherwise


def test_login_refuses_disabled_seat_and_foreign_campaign(app, as_role, running):
    seat_id, campaign_id = running
    agent = as_role("agent1")
    agent.get("/agent/")
    with app.app_context(), sessions().begin() as s:
        stopped = s.scalars(select(seed.Campaign).where(seed.Campaign.name == "Stopped one")).one().id
    page = agent.post(
        "/agent/login", {"seat_id": str(seat_id), "campaign_id": str(stopped)}, follow_redirects=True
    )
    assert b"not running for your team" in page.data
    with app.app_context(), sessions().begin() as s:
        s.get(Seat, seat_id).enabled = False
    page = agent.post(
        "/agent/login", {"seat_id": str(seat_id), "campaign_id": str(campaign_id)}, follow_redirects=True
    )
    assert b"disabled or taken" in page.data
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(DeskRequest)).all() == []


def test_screen_pop_and_disposition_with_callback(app, as_role, running):
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent)).one()
        a.seat = s.scalars(select(Seat)).one()
        c = s.scalars(select(seed.Campaign).where(seed.Campaign.name == "Outbound")).one()
        (lead,) = seed.leads(s, c, ["+442079460001"])
        seed.attempt(
            s, lead, agent=a, start=now - timedelta(seconds=30), outcome=Outcome.CONNECTED, ended=False
        )
        a.state, a.state_since = AgentState.ON_CALL, now
    agent = as_role("agent1")
    page = agent.get("/agent/").get_data(as_text=True)
    assert "+442079460001" in page
    assert "Cust 0001" in page
    assert "Say hello" in page
    status = agent.get("/agent/status.json").get_json()
    assert status["state"] == "on_call"
    assert status["bridged"] is True
    with app.app_context(), sessions()() as s:
        attempt = s.scalars(select(Attempt)).one()
        sale, callback = s.scalars(select(Lead)).one().campaign.dispositions[:2]
    later = (now + timedelta(days=1)).replace(tzinfo=None, second=0, microsecond=0)
    agent.post(
        "/agent/dispose",
        {
            "attempt_id": str(attempt.id),
            "disposition_id": str(callback.id),
            "tz_offset_min": "60",
            "notes": "no callback time",
        },
    )
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(DeskRequest)).all() == []  # a callback without a time is refused
    agent.post(
        "/agent/dispose",
        {
            "attempt_id": str(attempt.id),
            "disposition_id": str(callback.id),
            "callback_at": later.isoformat(timespec="minutes"),
            "tz_offset_min": "60",
            "notes": "call after 5",
        },
    )
    _, event = _last_command(app)
    assert isinstance(event, Disposition)
    assert (event.code, event.final) == ("CB", False)
    # The browser said UTC-1 (offset +60 min): the callback is one hour later in UTC.
    assert event.callback_at == (later.replace(tzinfo=UTC) + timedelta(hours=1)).timestamp()
    agent.post(
        "/agent/dispose",
        {"attempt_id": str(attempt.id), "disposition_id": str(sale.id), "product_id": str(_product(app)),
         "amount": "12.50"},
    )
    _, event = _last_command(app)
    assert (event.code, event.final, event.callback_at) == ("SALE", True, None)
    with app.app_context(), sessions()() as s:
        stored = s.get(Attempt, attempt.id)
        assert [str(o.amount) for o in _orders(s, attempt.id)] == ["12.50"]
        assert stored.notes == ""
        assert s.scalars(select(Lead)).one().status is LeadStatus.NEW  # the runner moves the lead


def test_cannot_dispose_someone_elses_call(app, as_role, running):
    with app.app_context(), sessions().begin() as s:
        c = s.scalars(select(seed.Campaign).where(seed.Campaign.name == "Outbound")).one()
        (lead,) = seed.leads(s, c, ["+442079460001"])
        other = seed.attempt(s, lead, agent=None, start=datetime.now(UTC), outcome=Outcome.CONNECTED)
        sale = c.dispositions[0]
    agent = as_role("agent1")
    agent.get("/agent/")
    page = agent.post(
        "/agent/dispose", {"attempt_id": str(other.id), "disposition_id": str(sale.id)}, follow_redirects=True
    )
    assert b"not yours" in page.data


def test_preview_next_skip_and_dial(app, as_role, running):
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent)).one()
        a.seat = s.scalars(select(Seat)).one()
        a.state = AgentState.READY
        c = seed.campaign(s, "Preview", CampaignMode.PREVIEW)
        c.desired_state = CampaignState.RUNNING
        seed.leads(s, c, ["+442079460001", "+442079460002"])
    agent = as_role("agent1")
    assert "Next lead" in agent.get("/agent/").get_data(as_text=True)
    agent.post("/agent/preview/next", {"campaign_id": str(c.id)})
    page = agent.get("/agent/").get_data(as_text=True)
    shown = "+442079460001" if "+442079460001" in page else "+442079460002"
    agent.post("/agent/preview/skip")
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Lead).where(Lead.phone == shown)).one().status is LeadStatus.NEW
    agent.post("/agent/preview/next", {"campaign_id": str(c.id)})
    agent.post("/agent/preview/dial")
    command, event = _last_command(app)
    assert command.kind == "preview_dial"
    assert isinstance(event, PreviewDial)
    assert event.campaign_id == c.id
    assert event.lead.number in ("+442079460001", "+442079460002")


def test_my_callbacks_are_listed(app, as_role, running):
    due = datetime(2030, 5, 6, 7, 8, tzinfo=UTC)
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent)).one()
        c = s.scalars(select(seed.Campaign).where(seed.Campaign.name == "Outbound")).one()
        mine, other = seed.leads(s, c, ["+442079460001", "+442079460002"])
        mine.status, mine.callback_agent_id, mine.next_call_at = LeadStatus.CALLBACK, a.id, due
        other.status = LeadStatus.CALLBACK
    page = as_role("agent1").get("/agent/").get_data(as_text=True)
    assert "My callbacks" in page
    assert "+442079460001" in page
    assert "2030-05-06 07:08 UTC" in page
    assert "+442079460002" not in page


HTMX = {"HX-Request": "true"}


def _product(app, name: str = "Plan", price: str = "199.00") -> int:
    """A product in the catalogue (the director's page adds them; tests/web/test_sales.py drives it)."""
    with app.app_context(), sessions().begin() as s:
        product = Product(name=name, price=Decimal(price))
        s.add(product)
        s.flush()
        return product.id


def _orders(s, attempt_id) -> list[Order]:
    return list(s.scalars(select(Order).where(Order.attempt_id == attempt_id).order_by(Order.id)))


def _on_call(app, phone: str = "+442079460001", ended: bool = False):
    """The runner bridged a customer to the agent (the call still up unless ``ended``)."""
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent)).one()
        a.seat = s.scalars(select(Seat)).one()
        c = s.scalars(select(seed.Campaign).where(seed.Campaign.name == "Outbound")).one()
        (lead,) = seed.leads(s, c, [phone])
        attempt = seed.attempt(
            s, lead, agent=a, start=now - timedelta(seconds=30), outcome=Outcome.CONNECTED, ended=ended
        )
        a.state, a.state_since = AgentState.ON_CALL, now
        return attempt.id, {d.code: d.id for d in c.dispositions}


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("NaN", "must be a number"),
        ("inf", "must be a number"),
        ("-Infinity", "must be a number"),
        ("-1", "between 0 and 10,000,000,000"),
        ("1e11", "between 0 and 10,000,000,000"),
        ("10000000000.01", "between 0 and 10,000,000,000"),
        ("1.234", "at most two decimals"),
        ("12,50", "is not a number"),
        ("lots", "is not a number"),
    ],
)
def test_bad_sale_amounts_are_refused_with_a_clear_message(app, as_role, running, typed, error):
    attempt_id, codes = _on_call(app)
    product = _product(app)
    agent = as_role("agent1")
    agent.get("/agent/")
    form = {"attempt_id": str(attempt_id), "disposition_id": str(codes["SALE"]), "product_id": str(product),
            "amount": typed}
    response = agent.post("/agent/dispose", form, headers=HTMX)
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    page = agent.post("/agent/dispose", form, follow_redirects=True).get_data(as_text=True)  # without htmx
    assert error in page
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(DeskRequest)).all() == []
        assert _orders(s, attempt_id) == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("0", "0.00"), ("12.5", "12.50"), ("10000000000", "10000000000.00"), (" 1E+3 ", "1000.00")],
)
def test_sale_amounts_up_to_ten_billion_with_cents_are_stored(app, as_role, running, typed, stored):
    attempt_id, codes = _on_call(app)
    product = _product(app)
    agent = as_role("agent1")
    agent.get("/agent/")
    form = {"attempt_id": str(attempt_id), "disposition_id": str(codes["SALE"]), "product_id": str(product),
            "amount": typed}
    assert agent.post("/agent/dispose", form, headers=HTMX).status_code == 200
    with app.app_context(), sessions()() as s:
        assert [str(o.amount) for o in _orders(s, attempt_id)] == [stored]


def test_a_disposition_during_the_call_is_accepted_for_when_it_ends(app, as_role, running):
    attempt_id, codes = _on_call(app)
    agent = as_role("agent1")
    agent.get("/agent/")
    later = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None, second=0, microsecond=0)
    form = {"attempt_id": str(attempt_id), "disposition_id": str(codes["CB"]), "notes": "after 5",
            "callback_at": later.isoformat(timespec="minutes"), "tz_offset_min": "0"}
    response = agent.post("/agent/dispose", form, headers=HTMX)
    assert "Saved: Call back. It is applied when the call ends." in response.get_data(as_text=True)
    _, event = _last_command(app)
    assert isinstance(event, Disposition)
    assert event.attempt_id == str(attempt_id)
    assert event.callback_at == later.replace(tzinfo=UTC).timestamp()
    for bad, error in (("9999-12-31T23:59", "more than a year ahead"), ("soon", "not a date")):
        response = agent.post("/agent/dispose", {**form, "callback_at": bad}, headers=HTMX)
        assert response.status_code == 422
        assert error in response.get_data(as_text=True)


def test_the_live_part_swaps_the_call_only_when_another_call_is_on_screen(app, as_role, running):
    attempt_id, _ = _on_call(app)
    agent = as_role("agent1")
    page = agent.get("/agent/").get_data(as_text=True)
    assert 'hx-get="/agent/live"' in page
    assert "htmx-2.0.11.min.js" in page
    controls = re.search(r'name="shown_controls" value="([^"]*)"', page).group(1)
    shown = {"shown_controls": controls, "shown_call": str(attempt_id)}
    live = agent.get("/agent/live", query_string=shown).get_data(as_text=True)
    assert 'id="agent-status" hx-swap-oob="true"' in live
    assert "On the call with" in live
    assert 'id="screen-pop"' not in live
    assert 'id="agent-controls"' not in live
    with app.app_context(), sessions().begin() as s:  # the runner: the call ended, wrap-up
        s.get(Attempt, attempt_id).ended_at = datetime.now(UTC)
        s.scalars(select(Agent)).one().state = AgentState.WRAP_UP
    live = agent.get("/agent/live", query_string=shown).get_data(as_text=True)
    assert 'data-state="wrap_up"' in live
    assert "ended: save its disposition" in live
    assert 'id="screen-pop"' not in live
    live = agent.get("/agent/live", query_string={**shown, "shown_call": ""}).get_data(as_text=True)
    assert 'id="screen-pop" hx-swap-oob="true"' in live
    assert 'name="attempt_id"' in live


def test_a_phone_that_is_not_connected_is_said_on_the_panel_and_the_wallboard(app, as_role, running):
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent)).one()
        a.seat = s.scalars(select(Seat)).one()
        # What the runner writes when the seat's phone does not answer the dialer's call.
        a.state, a.state_reason = AgentState.PAUSED, "phone disconnected"
        a.state_since = datetime.now(UTC) - timedelta(seconds=65)
        extension = a.seat.extension
    agent = as_role("agent1")
    page = agent.get("/agent/").get_data(as_text=True)
    assert f"Your phone ({extension}) is not connected" in page
    assert "(phone disconnected)" in page
    assert re.search(r", for <span data-since=\"[^\"]+\">1:0[56]</span>", page)  # the page's clock goes on
    assert agent.get("/agent/status.json").get_json()["reason"] == "phone disconnected"
    board = as_role("sup").get("/wallboard/snapshot.json").get_json()
    (row,) = [r for r in board["agents"] if r["name"] == "agent1"]
    assert (row["state"], row["reason"]) == ("paused", "phone disconnected")
    assert row["seconds"] >= 65
    assert "<th>Reason</th>" in as_role("sup").get("/wallboard/").get_data(as_text=True)


def test_preview_offers_my_own_records_first_and_never_another_agents(app, as_role, running):
    """Records a team leader handed to an agent are that agent's in preview: theirs first, then the
    unowned pool; a colleague's are never offered."""
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent)).one()
        a.seat = s.scalars(select(Seat)).one()
        a.state = AgentState.READY
        colleague = Agent(user=User(username="bo", password_hash="x", role="agent"))
        s.add(colleague)
        c = seed.campaign(s, "Preview", CampaignMode.PREVIEW)
        c.desired_state = CampaignState.RUNNING
        seed.leads(s, c, ["+442079460001"])  # the campaign's pool
        s.flush()
        for owner, phone in ((colleague, "+442079460003"), (a, "+442079460002")):
            held = LeadList(name=f"held by {owner.id}", campaign_id=c.id, agent_id=owner.id)
            s.add(held)
            s.flush()
            s.add(Lead(list_id=held.id, campaign_id=c.id, phone=phone))
    agent = as_role("agent1")
    agent.get("/agent/")
    agent.post("/agent/preview/next", {"campaign_id": str(c.id)})
    assert "+442079460002" in agent.get("/agent/").get_data(as_text=True)  # my own record first
    agent.post("/agent/preview/skip")
    with app.app_context(), sessions().begin() as s:
        s.scalars(select(Lead).where(Lead.phone == "+442079460002")).one().status = LeadStatus.DONE
    agent.post("/agent/preview/next", {"campaign_id": str(c.id)})
    page = agent.get("/agent/").get_data(as_text=True)
    assert "+442079460001" in page  # then the unowned pool
    assert "+442079460003" not in page
    agent.post("/agent/preview/skip")
    with app.app_context(), sessions().begin() as s:
        s.scalars(select(Lead).where(Lead.phone == "+442079460001")).one().status = LeadStatus.DONE
    agent.post("/agent/preview/next", {"campaign_id": str(c.id)})
    assert "+442079460003" not in agent.get("/agent/").get_data(as_text=True)  # the colleague's stays theirs
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Lead).where(Lead.phone == "+442079460003")).one().status is LeadStatus.NEW
