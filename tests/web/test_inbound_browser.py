"""The inbound routes page in a real browser: an admin maps a trunk's DID to the hotline queue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from store.models import Agent, InboundRoute, PbxNode, Trunk
from tests.web import seed
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
