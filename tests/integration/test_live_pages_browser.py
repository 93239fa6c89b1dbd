"""Live pages in a real browser (Playwright, Debian's Chromium) with the runner dialing on the sandbox.

The web app is served by waitress, as ``switchboard web`` serves it, on the
campaign's database; a supervisor watches the wallboard and an agent
(``agent007``, a sandbox phone) watches their panel, neither reloading. The
runner bridges a talking customer to the agent: the wallboard shows the call
within a second of the bridge; the agent types a note while the customer
talks; the customer hangs up and the panel says so, with the note still typed;
the disposition saves it.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from waitress.server import TcpWSGIServer, create_server
from werkzeug.security import generate_password_hash

from lab.sandbox.world import Outcome as World
from store import models as m
from store.enums import AgentState, CampaignMode, UserRole
from tests.integration.campaign_kit import Kit, Sandbox, mixed_leads
from tests.web.test_browser import ARGS, CHROMIUM
from tests.web.test_browser_admin import _shot
from web.app import create_app
from web.serve import THREADS

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed"),
]

PHONE_INDEX = 6  # agent007, as the other panel test (never at the same time in one run)
TALK_S = 12  # the customer talks this long after AMD: the agent types meanwhile
NOTE = "Asked about the family plan; prefers evenings"
SHOWN_WITHIN_MS = 1000  # the bound: the call on the wallboard within 1 s of the bridge


@pytest.fixture
def served(sandbox: Sandbox, tmp_path: Path) -> Iterator[tuple[Kit, str]]:
    """A kit on the sandbox and its web app behind waitress on an ephemeral port."""
    kit = Kit(sandbox, tmp_path)
    settings = dataclasses.replace(
        sandbox.settings,
        database_url=kit.url,
        instance_dir=tmp_path / "web",
        secret_key="live-pages-test",
        secrets_key=kit.secrets_key,
    )
    app = create_app(settings)
    server = create_server(app, host="127.0.0.1", port=0, threads=THREADS)
    assert isinstance(server, TcpWSGIServer)  # one address: one socket
    port = server.getsockname()[1]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield kit, f"http://127.0.0.1:{port}"
    finally:
        app.extensions["sb_live"].stop()
        # Closed by its own loop thread (a close from here pulls the socket from under its select:
        # EBADF in that thread); the thread is a daemon and idles on its trigger until the end.
        server.trigger.pull_trigger(server.close)
        server.task_dispatcher.shutdown()
        app.extensions["sb_engine"].dispose()
        kit.close()


def _log_in(browser, url: str, username: str, password: str):
    page = browser.new_context().new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return page


def test_the_wallboard_shows_the_call_and_the_agents_note_survives_its_end(served, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    kit, url = served
    (agent_id,) = kit.agents(1, first=PHONE_INDEX)
    with kit.sessions.begin() as s:
        s.add(
            m.User(
                username="sup",
                password_hash=generate_password_hash(kit.agent_password),
                role=UserRole.SUPERVISOR,
                display_name="sup",
            )
        )
    leads = mixed_leads({World.HUMAN: 1}, first_serial=720, talk={World.HUMAN: (TALK_S,)})
    campaign = kit.campaign("live-pages", CampaignMode.PROGRESSIVE, leads, wrap_up_s=120)
    agent_name = f"agent{PHONE_INDEX + 1:03d}"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            board = _log_in(browser, url, "sup", kit.agent_password)
            board.goto(f"{url}/wallboard/")
            panel = _log_in(browser, url, agent_name, kit.agent_password)
            panel.goto(f"{url}/agent/")
            row = board.locator(f'#agents tr[data-agent="{agent_name}"]')
            expect(row).to_be_visible()

            runner = kit.runner()
            runner.start()
            try:
                kit.wait_for("the customer bridged to the agent", kit.bridged(campaign), runner)
                with kit.sessions() as s:
                    call_id = s.scalar(
                        select(m.Call.id)
                        .join(m.Attempt, m.Call.attempt_id == m.Attempt.id)
                        .where(m.Attempt.campaign_id == campaign)
                    )
                # No reload: the wallboard is told and fetches its part.
                expect(row.locator("a")).to_have_text(f"call {call_id}", timeout=SHOWN_WITHIN_MS)
                expect(row.locator(".state")).to_have_text("on call", timeout=SHOWN_WITHIN_MS)
                _shot(board, tmp_path, "wallboard-live-call")

                expect(panel.locator("#call-state")).to_contain_text("On the call with")
                panel.fill("textarea[name=notes]", NOTE)
                panel.locator("input[name=amount]").first.fill("49.90")

                kit.wait_for(
                    "the customer hung up",
                    lambda s: (
                        s.scalar(select(m.Attempt.ended_at).where(m.Attempt.campaign_id == campaign))
                        is not None
                    ),
                    runner,
                )
                expect(panel.locator("#call-state")).to_contain_text("ended: save its disposition")
                expect(panel.locator("#agent-status")).to_have_attribute(
                    "data-state", AgentState.WRAP_UP.value
                )
                expect(panel.locator("textarea[name=notes]")).to_have_value(
                    NOTE
                )  # not replaced under the typing
                expect(panel.locator("input[name=amount]").first).to_have_value("49.90")
                expect(row.locator("a")).to_have_count(0)  # the wallboard: the call is over
                _shot(panel, tmp_path, "panel-after-call")

                panel.locator("input[name=amount]").first.fill("")  # no order line: the outcome is "Done"
                panel.select_option("select[name=disposition_id]", label="Done")
                panel.click("text=Save disposition")
                expect(panel.locator("#dispose-result")).to_contain_text("Saved: Done.")
                kit.wait_for(
                    "the disposition applied",
                    lambda s: (
                        s.scalar(select(m.Attempt.disposition_id).where(m.Attempt.campaign_id == campaign))
                        is not None
                    ),
                    runner,
                )
                kit.stop_campaign(campaign, runner)
            finally:
                assert runner.stop() == 0, runner.tail()
        finally:
            browser.close()

    (attempt,) = kit.attempts(campaign)
    assert attempt.notes == NOTE
    assert attempt.agent_id == agent_id
