"""Complaint handling in a real browser (Playwright, Debian's Chromium): a supervisor walks a complaint to
its assignee, the scheduler escalates it once late and the team leader finds it by the nav's count and
"my escalations"; the assignee books the return visit with the browser's date picker in their own time
zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from store.models import Lead, Ticket
from tests.web.test_browser import _login, live_url, page, pytestmark  # noqa: F401 - fixtures, skip mark
from tests.web.test_return_visit import care_campaign
from tests.web.test_ticket_escalation import _run_job_at
from tests.web.test_tickets import calls  # noqa: F401 - fixture: a call of agent1 (Team 1, led by lea)
from web.agent import services
from web.db import sessions

SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"


def _log_out(page) -> None:  # noqa: F811
    page.get_by_role("button", name="Log out").click()


def test_a_complaint_is_escalated_and_its_return_visit_booked_in_the_browser(
        app, settings, live_url, page, calls, monkeypatch):  # noqa: F811
    from playwright.sync_api import expect

    care, _ = care_campaign(app)
    SHOTS.mkdir(parents=True, exist_ok=True)

    _login(page, live_url, "sup")
    page.goto(f"{live_url}/tickets")
    page.fill("#new-ticket input[name=call_id]", str(calls[0]))
    page.fill("#new-ticket input[name=subject]", "Never got the refund")
    page.click("#new-ticket button")
    expect(page.locator(".flash.ok")).to_contain_text("Complaint 1 opened.")
    page.click("#step button")  # accepted
    page.select_option("#step select[name=assignee_id]", label="agent1 (agent)")
    page.click("#step button")
    expect(page.locator("#state")).to_have_text("assigned")
    _log_out(page)

    with app.app_context(), sessions()() as s:
        assigned = s.get_one(Ticket, 1).state_since
    _run_job_at(monkeypatch, settings, assigned + timedelta(hours=25))

    _login(page, live_url, "lea")
    expect(page.locator("#my-escalations")).to_have_text("1")
    page.locator("nav").get_by_role("link", name="Complaints").click()  # straight to "my escalations"
    expect(page.locator("input[name=mine]")).to_be_checked()
    expect(page.locator("#tickets .badge.escalated")).to_have_text("escalated to lea (team leader)")
    page.screenshot(path=str(SHOTS / "tickets-escalated.png"), full_page=True)
    page.get_by_role("link", name="1", exact=True).click()
    expect(page.locator("#events tr.escalated")).to_contain_text("escalated to lea (team leader)")
    page.screenshot(path=str(SHOTS / "ticket-escalated.png"), full_page=True)
    _log_out(page)

    _login(page, live_url, "sup")
    page.goto(f"{live_url}/tickets/1")
    page.click("#step button")  # supervised
    _log_out(page)

    _login(page, live_url, "agent1")
    page.goto(f"{live_url}/tickets/1")
    page.click("#step button")  # followed up: the assignee's step
    expect(page.locator("#state")).to_have_text("followed up")
    at = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    offset = page.evaluate("new Date().getTimezoneOffset()")
    local = at - timedelta(minutes=offset)
    page.fill("#visit input[name=at]", local.strftime("%Y-%m-%dT%H:%M"))
    page.screenshot(path=str(SHOTS / "ticket-return-visit.png"), full_page=True)
    page.click("#visit button")
    expect(page.locator(".flash.ok")).to_contain_text(f"Return visit booked for {at:%Y-%m-%d %H:%M} UTC")
    expect(page.locator("#visit-booked")).to_contain_text("Care calls")
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Lead.next_call_at).where(Lead.campaign_id == care.id)).one() == at
    page.goto(f"{live_url}/agent/")
    expect(page.locator("#callbacks")).to_contain_text("+12015550101")
    expect(page.locator("#callbacks")).to_contain_text("complaint 1: Never got the refund")
    monkeypatch.setattr(services, "utcnow", lambda: at + timedelta(minutes=1))  # the panel's clock: its time
    page.locator("#preview").get_by_role("button", name="Next lead").click()
    expect(page.locator("#preview")).to_contain_text("complaint: 1: Never got the refund")
    expect(page.locator("#preview").get_by_role("button", name="Dial")).to_be_visible()
    page.screenshot(path=str(SHOTS / "agent-return-visit-preview.png"), full_page=True)
