"""The seats page in a real browser: a sysadmin makes a remote seat, a bad number told plainly."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from store.models import PbxNode, Seat, Trunk
from tests.web import seed
from tests.web.test_browser import _login, live_url, page, pytestmark  # noqa: F401 - fixtures and the chromium skip
from web.db import sessions


def test_a_sysadmin_makes_a_remote_seat_in_a_browser(app, live_url, page, tmp_path: Path):  # noqa: F811
    from playwright.sync_api import expect

    with app.app_context(), sessions().begin() as s:
        seed.agent(s)
        node = s.scalars(select(PbxNode)).one()
        s.add(Trunk(name="carrier", managed=False, nodes=[node]))
    _login(page, live_url, "admin")
    page.goto(f"{live_url}/admin/seats")
    page.click("text=Add a remote seat")
    form = "#remote-seat-form"
    page.fill(f"{form} input[name=extension]", "9301")
    page.fill(f"{form} input[name=remote_number]", "201 555; Hangup")
    page.select_option(f"{form} select[name=trunk_id]", label=f"carrier ({node.name})")
    page.click(f"{form} button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("is not a phone number")
    page.click("text=Add a remote seat")
    page.fill(f"{form} input[name=extension]", "9301")
    page.fill(f"{form} input[name=remote_number]", "(201) 519-9000")
    page.click(f"{form} button[type=submit]")
    row = page.locator('#seats tr[data-ext="9301"]')
    expect(row).to_contain_text("remote: +12015199000 via carrier")
    expect(row.locator(".reg")).to_have_text("remote phone")  # not overwritten by the live poll
    page.screenshot(path=str(tmp_path / "remote-seat.png"), full_page=True)
    with app.app_context(), sessions()() as s:
        seat = s.scalars(select(Seat).where(Seat.extension == "9301")).one()
        assert (seat.remote_number, seat.trunk.name) == ("+12015199000", "carrier")
