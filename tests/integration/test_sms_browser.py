"""A supervisor in a real browser (Playwright, Debian's Chromium) creates an SMS broadcast through the
form as a draft, sends it, and watches each message's status change on the page as Kannel's delivery
reports reach the web app: the lab's own Kannel, ``switchboard web`` and ``switchboard sms-sender``."""

from __future__ import annotations

import pytest

from lab.sms import SmsLab, zone_at
from tests.integration.test_sms import _phones, lab  # noqa: F401 - fixture
from tests.web.test_browser import page  # noqa: F401 - fixture
from tests.web.test_browser import pytestmark as needs_chromium
from web.auth.bootstrap import create_admin

pytestmark = [pytest.mark.sandbox, needs_chromium]
PASSWORD = "browser-sms-password"


def test_broadcast_created_in_the_browser_shows_each_delivery_report(lab: SmsLab, page) -> None:  # noqa: F811
    from playwright.sync_api import expect

    phones = _phones(3, 500)
    list_id = lab.lead_list(phones, zone=zone_at(12))
    create_admin(lab.url, "boss", PASSWORD)
    url = f"http://127.0.0.1:{lab.settings.web_port}"
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.goto(f"{url}/sms/new")
    page.fill("input[name=name]", "Order news")
    page.fill("textarea[name=template]", "{first_name}您好，订单{ref}已发货")  # noqa: RUF001
    page.select_option("select[name=target]", f"list:{list_id}")
    page.select_option("select[name=compliance_profile]", "us")
    page.fill("input[name=rate_per_s]", "20")
    page.click("text=Save as draft")
    expect(page.locator("h1")).to_have_text("SMS broadcast Order news")
    expect(page.locator(".state")).to_have_text("paused")
    expect(page.locator("#messages td.status")).to_have_text(["queued"] * 3)

    page.click("text=Send")
    expect(page.locator(".state")).to_have_text("scheduled")
    statuses = page.locator("#messages td.status")
    expect(statuses).to_have_text(["delivered"] * 3, timeout=30_000)  # swapped in without a reload
    expect(page.locator("#counts td.delivered")).to_have_text("3")
    assert sorted(to for to, _ in lab.received()) == phones
