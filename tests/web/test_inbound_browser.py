"""The inbound routes page and the agent panel in a real browser: an admin maps a trunk's DID to the hotline
queue, and an agent disposes of an inbound call."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from orchestrator.inbound.queue import CallerAnswered, CallerQueued
from store.enums import AgentState
from store.models import Agent, Attempt, Call, InboundRoute, PbxNode, Trunk
from tests.web import seed
from tests.web.test_agent_inbound import _hotline, _runner_writes
from tests.web.test_browser import _login, live_url, page, pytestmark  # noqa: F401 - fixtures and the chromium skip
from web.db import sessions


def test_an_admin_maps_a_did_to_the_hotline_in_a_browser(app, live_url, page, tmp_path: Path):  # noqa: F811
    from playwright.sync_api import expect

    with app.app_context(), sessions().begin() as s:
        seed.agent(s)
        node = s.scalars(select(PbxNode)).one()
        s.add(Trunk(name="carrier", managed=False, dids=["+14005550400", "+14005550401"], nodes=[node]))
    _login(page, live_url, "admin")
    page.goto(f"{live_url}/admin/inbound")
    expect(page.locator("#routes")).to_contain_text("No inbound route yet.")
    page.fill("#route-form input[name=name]", "400 hotline")
    page.select_option("#route-form select[name=did]", label="+14005550401 (carrier)")
    page.check("#route-form input[name=hotline]")
    page.fill("#route-form input[name=overflow_after_s]", "120")
    page.click("#route-form button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("longer than the wait before overflow")
    page.fill("#route-form input[name=overflow_after_s]", "15")
    page.fill("#route-form textarea[name=hours]", "mon-fri 08:00-20:00\nsat 09:00-13:00")
    page.fill("#route-form input[name=timezone]", "America/New_York")
    page.click("#route-form button[type=submit]")
    expect(page.locator("#routes")).to_contain_text("+14005550401")
    expect(page.locator("#routes")).to_contain_text("agent1")
    page.screenshot(path=str(tmp_path / "inbound.png"), full_page=True)
    with app.app_context(), sessions()() as s:
        route = s.scalars(select(InboundRoute)).one()
        agent = s.scalars(select(Agent)).one()
        assert (route.hotline_agent_ids, route.overflow_after_s, route.timezone) == ([agent.id], 15,
                                                                                     "America/New_York")
        assert route.hours["sat"] == [["09:00", "13:00"]]


def test_an_agent_disposes_of_an_inbound_call_in_a_browser(app, live_url, page, tmp_path: Path):  # noqa: F811
    """The admin gives the hotline its campaign and position announcements; the agent, on an inbound
    call, asks for a callback with a note in the panel's form: saved without leaving the page."""
    from playwright.sync_api import expect

    _, agent_id = _hotline(app)
    _login(page, live_url, "admin")
    page.goto(f"{live_url}/admin/inbound")
    page.click("#routes a")
    page.select_option("#route-form select[name=campaign_id]", label="Outbound")
    page.fill("#route-form input[name=announce_every_s]", "30")
    page.click("#route-form button[type=submit]")
    expect(page.locator("#routes")).to_contain_text("every 30 s")
    page.screenshot(path=str(tmp_path / "route.png"), full_page=True)
    with app.app_context(), sessions().begin() as s:
        s.get(Agent, agent_id).state = AgentState.ON_CALL
    now = time.time()
    _runner_writes(app, CallerQueued(now, 1, "in-1", "12125550141", 1, "14005550400"),
                   CallerAnswered(now + 2, 1, "in-1", agent_id, 2.0, False))
    page.context.clear_cookies()  # log the admin out: the agent signs in
    _login(page, live_url, "agent1")
    page.goto(f"{live_url}/agent/")
    expect(page.locator("#screen-pop")).to_contain_text("Inbound call: 12125550141")
    page.select_option("#dispose-form select[name=disposition_id]", label="Call back")
    tomorrow = datetime.now() + timedelta(days=1)  # the browser's local time
    page.fill("#dispose-form input[name=callback_at]", tomorrow.strftime("%Y-%m-%dT10:30"))
    page.fill("#dispose-form textarea[name=notes]", "wants the gold plan")
    page.click("#dispose-form button")
    expect(page.locator("#dispose-result")).to_have_text("Saved: Call back.")
    expect(page.locator("#call-state")).to_contain_text("you may save the disposition now, it is kept with")
    page.screenshot(path=str(tmp_path / "panel.png"), full_page=True)
    with app.app_context(), sessions()() as s:
        call = s.scalars(select(Call)).one()
        assert s.get(Attempt, call.attempt_id).notes == "wants the gold plan"
