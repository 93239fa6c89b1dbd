"""A real browser (Playwright driving Debian's Chromium, headless) through the main pages.

The app runs in a thread on an ephemeral loopback port; the test plays an
admin then a supervisor, and a "runner" writes an attempt row to check that the
wallboard updates without a reload.
"""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from store.models import Lead
from tests.web import seed
from tests.web.conftest import PASSWORD
from web.db import sessions

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
CSV = "name,phone\nAnn,+44 20 7946 0001\nBad,not-a-number\nBob,+44 20 7946 0002\n"

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed")


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _login(page, url: str, user: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_admin_and_supervisor_in_a_browser(app, live_url, page, tmp_path: Path):
    from playwright.sync_api import expect

    # Admin: a PBX node and 8 seats in 2 teams.
    _login(page, live_url, "admin")
    expect(page.locator("h1").first).to_have_text("PBX nodes")
    page.fill("input[name=name]", "pbx1")
    page.fill("input[name=host]", "127.0.0.1")
    page.fill("input[name=port]", "5038")
    page.click("text=Add node")
    page.fill("#seat-form input[name=first]", "8001")
    page.fill("#seat-form input[name=last]", "8008")
    page.fill("#seat-form input[name=teams]", "2")
    page.click("text=Create seats")
    expect(page.locator("#seats tr[data-ext]")).to_have_count(8)
    expect(page.locator("#seats")).to_contain_text("Team 2")
    page.click("text=Log out")

    # Supervisor: import a CSV with a bad row, create and start a campaign, watch the wallboard.
    _login(page, live_url, "sup")
    page.goto(f"{live_url}/campaigns/new")
    page.fill("input[name=name]", "Browser campaign")
    page.select_option("select[name=mode]", "progressive")
    page.select_option("select[name=compliance_profile]", "uk")
    page.click("text=Save campaign")
    expect(page.locator("#campaigns")).to_contain_text("Browser campaign")

    csv_path = tmp_path / "leads.csv"
    csv_path.write_text(CSV)
    page.goto(f"{live_url}/lists")
    page.set_input_files("input[name=file]", str(csv_path))
    page.select_option("select[name=campaign_id]", label="Browser campaign")
    page.fill("input[name=region]", "GB")
    page.click("#upload-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Map the columns")
    page.click("text=Import")
    expect(page.locator("#summary")).to_have_text("Imported 2 of 3 rows; rejected 1 (duplicates 0, DNC 0).")
    with page.expect_download() as download:
        page.click("#errors")
    report = Path(download.value.path()).read_text()
    assert "3,not a phone number" in report or "3,invalid phone number" in report

    page.goto(f"{live_url}/campaigns/")
    row = page.locator('tr[data-campaign="Browser campaign"]')
    row.locator("text=Start").click()
    expect(row.locator(".state")).to_have_text("running")

    page.goto(f"{live_url}/wallboard/")
    camp = page.locator('#campaigns tr[data-campaign="Browser campaign"]')
    expect(camp).to_contain_text("running")
    expect(page.locator("#ringing")).to_have_text("0")
    with app.app_context(), sessions().begin() as s:  # the runner dials a lead
        lead = s.scalars(select(Lead).order_by(Lead.id)).first()
        seed.attempt(s, lead, agent=None, start=datetime.now(UTC), outcome=None, ended=False)
    expect(page.locator("#ringing")).to_have_text("1", timeout=10_000)
    expect(camp.locator("td").nth(3)).to_have_text("1")  # in flight
