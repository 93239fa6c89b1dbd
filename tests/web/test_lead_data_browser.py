"""The data manager and the director in a real browser: a vendor, a purchase, its file, its sample."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.web.test_browser import CHROMIUM, _login, live_url, page  # noqa: F401 - fixtures
from tests.web.test_lead_data import CSV, centre  # noqa: F401 - fixture

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed")
SHOTS = os.environ.get("SWITCHBOARD_SCREENSHOTS")  # a folder to keep the pages' screenshots in


def _shot(page, name: str) -> None:  # noqa: F811
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_a_purchase_from_its_form_to_its_sample_in_a_browser(app, centre, live_url, page, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    _login(page, live_url, "dm")
    page.click("text=Purchases")
    page.click("text=Vendors and their quality")
    page.fill("input[name=name]", "Acme")
    page.click("text=Add vendor")
    expect(page.locator(".flash")).to_contain_text("Vendor Acme added.")
    page.goto(f"{live_url}/data/purchases")
    page.fill("input[name=batch]", "ACME-11")
    page.fill("input[name=purchased_on]", "2026-11-20")
    page.fill("input[name=price]", "6000")
    page.fill("input[name=record_count]", "600")
    page.fill("input[name=consent_basis]", "opt-in")
    page.click("text=Record purchase")
    expect(page.locator("h1")).to_contain_text("Batch ACME-11")
    csv = tmp_path / "acme.csv"
    csv.write_text(CSV)
    page.goto(f"{live_url}/lists")
    page.set_input_files("input[name=file]", str(csv))
    page.select_option("select[name=purchase_id]", label="ACME-11 (Acme)")
    page.fill("input[name=region]", "GB")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/mapping")
    page.click("#mapping-form button[type=submit]")
    expect(page.locator("main")).to_contain_text("Imported 600 of 600 rows", timeout=60_000)
    page.goto(f"{live_url}/data/purchases/1")
    expect(page.locator("#planned")).to_have_text("235")
    _shot(page, "purchase-received")
    page.click("text=Draw the sample")
    expect(page.locator("#sample")).to_contain_text("235")
    expect(page.locator("#verdict")).to_contain_text("only 0 of the 235")
    _shot(page, "purchase-sampling")
