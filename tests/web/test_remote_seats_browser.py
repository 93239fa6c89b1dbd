"""The seats page in a real browser: a sysadmin makes a remote seat, a bad number told plainly."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from store.enums import AgentState
from store.models import Agent, PbxNode, Seat, Trunk
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
    expect(page.locator(f"{form} input[name=confirm_answer]")).to_be_checked()  # press 1 to accept: on
    page.screenshot(path=str(tmp_path / "remote-seat-form.png"), full_page=True)
    page.click(f"{form} button[type=submit]")
    row = page.locator('#seats tr[data-ext="9301"]')
    expect(row).to_contain_text("remote: +12015199000 via carrier (press 1 to accept)")
    expect(row.locator(".reg")).to_have_text("remote phone")  # not overwritten by the live poll
    page.screenshot(path=str(tmp_path / "remote-seat.png"), full_page=True)
    with app.app_context(), sessions()() as s:
        seat = s.scalars(select(Seat).where(Seat.extension == "9301")).one()
        assert (seat.remote_number, seat.trunk.name, seat.confirm_answer) == ("+12015199000", "carrier", True)


def test_the_wallboard_shows_an_agent_whose_phone_did_not_press_1(app, live_url, page, tmp_path: Path):  # noqa: F811
    """The state the runner writes when the hold route hung up an unconfirmed leg, as a supervisor sees it."""
    from playwright.sync_api import expect

    with app.app_context(), sessions().begin() as s:
        agent = seed.agent(s)
        agent.state, agent.state_reason = AgentState.PAUSED, "phone not confirmed"
        name = agent.user.username
    _login(page, live_url, "admin")
    page.goto(f"{live_url}/wallboard/")
    reason = page.locator(f'#agents tr[data-agent="{name}"] td.reason')
    expect(reason).to_have_text("phone not confirmed")
    expect(reason).to_have_class("reason over")  # marked like a lost phone: the agent cannot take calls
    page.screenshot(path=str(tmp_path / "wallboard-not-confirmed.png"), full_page=True)
    with app.app_context(), sessions()() as s:
        assert s.get(Agent, agent.id).state is AgentState.PAUSED
