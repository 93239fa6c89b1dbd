"""Debian's Chromium through the supervisor's campaign and call pages and the admin's user editing.

Screenshots of each page go to the test's tmp dir (or ``SWITCHBOARD_SCREENSHOTS``, to look at them).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from store.enums import AgentState, CampaignState, LeadStatus, Outcome
from store.models import Agent, Call, Campaign, Recording, User
from tests.web import seed
from tests.web.test_browser import _login, live_url, page, pytestmark  # noqa: F401 - fixtures and the skip
from web.db import sessions


def _shot(browser_page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _seed(app, settings) -> tuple[int, int, int]:
    seed.wav(settings.recordings_dir / "b1.wav", frames=8000)
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        a = seed.agent(s)
        c = seed.campaign(s, "Spring offer")
        seed.state(s, a, AgentState.READY, now, campaign=c)
        c.desired_state = CampaignState.RUNNING
        leads = seed.leads(s, c, [f"+44207946002{i}" for i in range(8)])
        sale = seed.attempt(s, leads[0], agent=a, start=now - timedelta(minutes=30),
                            outcome=Outcome.CONNECTED, talk_s=75, disposition="SALE", amount="120.00",
                            recording="b1.wav")
        sale.notes = "Customer wants the yearly plan; call again in spring."
        sale.hangup_cause = 16
        seed.attempt(s, leads[1], agent=None, start=now - timedelta(minutes=20), outcome=Outcome.NO_ANSWER)
        # What the runner writes on the leads after those dials.
        leads[0].status, leads[0].attempts, leads[0].last_outcome = LeadStatus.DONE, 1, Outcome.CONNECTED
        leads[1].status, leads[1].attempts = LeadStatus.PENDING, 1
        leads[1].last_outcome = Outcome.NO_ANSWER
        leads[1].next_call_at = now + timedelta(hours=1)
        live = seed.attempt(s, leads[2], agent=a, start=now - timedelta(seconds=40), outcome=None,
                            ended=False)
        live.answered_at, live.bridged_at = now - timedelta(seconds=30), now - timedelta(seconds=29)
        leads[2].status = LeadStatus.DIALING
        s.flush()
        call_id = s.scalar(select(Call.id).where(Call.attempt_id == sale.id))
        return c.id, call_id, s.scalar(select(Recording.id))


def test_a_supervisor_reads_the_campaign_and_a_call_and_an_admin_edits_a_user(
        app, settings, live_url, page, tmp_path):  # noqa: F811 - the fixtures imported above
    from playwright.sync_api import expect

    campaign_id, call_id, recording_id = _seed(app, settings)
    _login(page, live_url, "sup")
    page.goto(f"{live_url}/campaigns/")
    page.click("text=Spring offer")
    expect(page).to_have_title("Spring offer · Campaign · Switchboard")
    expect(page.locator('[data-figure="total"] .big')).to_have_text("8")
    expect(page.locator('[data-figure="dialed"] .big')).to_have_text("2")
    expect(page.locator('[data-figure="due"] .big')).to_have_text("5")
    expect(page.locator('#why [data-check="agents"]')).to_contain_text("1 ready of 1 logged in")
    _shot(page, tmp_path, "campaign-running")
    with app.app_context(), sessions().begin() as s:  # the agent pauses: the page says so without a reload
        seed.state(s, s.scalars(select(Agent)).one(), AgentState.PAUSED, datetime.now(UTC))
    expect(page.locator('#why [data-check="agents"]')).to_contain_text("no agent ready", timeout=15_000)
    expect(page.locator("#why")).to_have_count(1)  # swapped in place, not nested
    page.click("#state button:has-text('Pause')")
    expect(page.locator("#last-change")).to_contain_text("Paused by sup")
    expect(page.locator('#why [data-check="state"]')).to_have_class("blocking")
    _shot(page, tmp_path, "campaign-paused")

    page.goto(f"{live_url}/wallboard/")  # the call agent1 is on links to its page
    expect(page.locator('#agents tr[data-agent="agent1"] a')).to_have_text(re.compile(r"call \d+"))
    _shot(page, tmp_path, "wallboard")
    page.locator('#agents tr[data-agent="agent1"] a').click()
    expect(page.locator("#call-summary .outcome")).to_have_text("in progress")
    expect(page.locator("#timeline li")).to_have_count(4)  # originate, ring, answer, bridge: no hangup yet

    page.goto(f"{live_url}/calls")
    page.click(f'a[href="/calls/{call_id}"]')
    expect(page).to_have_title(f"Call {call_id} · Switchboard")
    expect(page.locator("#timeline li")).to_have_count(5)  # originate, ring, answer, bridge, hangup
    expect(page.locator('#timeline [data-step="hangup"]')).to_contain_text("normal clearing")
    expect(page.locator("#notes")).to_have_text("Customer wants the yearly plan; call again in spring.")
    expect(page.locator(".recording audio")).to_have_attribute("src", f"/recordings/{recording_id}")
    _shot(page, tmp_path, "call-detail")
    page.click("text=Log out")

    _login(page, live_url, "admin")
    page.goto(f"{live_url}/admin/seats")
    secret = page.locator("#seats code.secret").first
    expect(secret).to_be_hidden()
    page.locator("#seats details.reveal summary").first.click()
    expect(secret).to_have_text("seatsecret123")
    page.goto(f"{live_url}/admin/users")
    page.click('a[aria-label="edit sup"]')
    page.select_option("select[name=role]", "director")
    page.click("text=Review changes")
    expect(page.locator("#confirm")).to_contain_text("role: supervisor → director")
    _shot(page, tmp_path, "user-confirm")
    page.click("#confirm button:has-text('Confirm')")
    expect(page.locator(".flash.ok")).to_contain_text("sup: role supervisor → director.")
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(User.role).where(User.username == "sup")).value == "director"
        assert s.get(Campaign, campaign_id).desired_state is CampaignState.PAUSED
