"""The main pages pass an automated accessibility check: axe-core (vendored, ``tests/web/vendor``) in
Debian's Chromium finds no serious or critical WCAG 2 A/AA violation on the wallboard, campaigns, the
call log, reports, the morning report, missed callers, inbound routes, seats and the agent panel."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web import seed
from tests.web.test_browser import ARGS, CHROMIUM, _login, live_url  # noqa: F401 - fixture
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.db import sessions

AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
PAGES = {"admin": ["/wallboard/", "/wallboard/?tv=1", "/campaigns/", "/calls",
                   "/reports/?from=2026-03-02&to=2026-03-02",  # two_teams' day: with its charts
                   "/reports/morning", "/inbound/missed", "/admin/inbound", "/admin/seats"],
         "agent1": ["/agent/"]}
#: What a screen-reader or keyboard user is stopped by; "moderate" and "minor" are reported, not failed.
BLOCKING = ("serious", "critical")


@pytest.fixture
def page():
    """A browser page that lets the test add axe's script despite the pages' own Content Security
    Policy (which allows only the app's scripts: what the check is run on is unchanged)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser.new_page(bypass_csp=True)
        finally:
            browser.close()


def _violations(tab, url: str) -> list[str]:
    response = tab.goto(url)
    assert response is not None
    assert response.status == 200, (url, response.status)
    assert "/login" not in tab.url, url  # the page itself, not the log-in form
    tab.add_script_tag(path=str(AXE))
    found = tab.evaluate("""async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))
        .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
    print(url, tab.title(), f"{len(found)} violations")
    for v in found:
        print(url, v["impact"], v["id"], v["help"], v["nodes"])
    return [f"{url}: {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found
            if v["impact"] in BLOCKING]


@pytest.mark.parametrize("user", list(PAGES))
def test_the_main_pages_have_no_serious_accessibility_violation(app, live_url, page, user, two_teams):  # noqa: F811
    with app.app_context(), sessions().begin() as s:
        seed.campaign(s, "Accessible campaign")
    _login(page, live_url, user)
    problems = [p for path in PAGES[user] for p in _violations(page, live_url + path)]
    assert problems == []
