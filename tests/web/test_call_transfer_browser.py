"""The panel's transfer control in a real browser: the agent picks a ready colleague, confirms, and
the panel says so; the runner's write-back (played by the test) pops the call on the colleague's
panel and shows on the call page's timeline. Screenshots go to ``SWITCHBOARD_SCREENSHOTS`` if set."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from orchestrator.dialer.facts import CallTransferred
from runner.persist import FactWriter
from store.enums import AgentState, DeskCommand
from store.models import Agent, Call, DeskRequest
from tests.web.test_browser import _login, live_url, page, pytestmark  # noqa: F401 - fixtures, skip mark
from tests.web.test_call_transfer import CUSTOMER, desk  # noqa: F401 - fixture
from web.db import sessions


def _shot(page, name: str) -> None:  # noqa: F811 - the page fixture's object
    folder = os.environ.get("SWITCHBOARD_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_the_agent_transfers_from_the_panel_and_the_call_page_shows_it(app, live_url, page, desk):  # noqa: F811
    from playwright.sync_api import expect

    attempt_id, ids = desk
    _login(page, live_url, "agent1")
    page.goto(f"{live_url}/agent/")
    expect(page.locator("#call-state")).to_contain_text(f"On the call with {CUSTOMER}")
    page.select_option("#transfer select[name=to_agent_id]", label=f"agent2 (81{ids['agent2']:02d})")
    _shot(page, "transfer-control")
    page.click("#transfer button")  # not confirmed: the browser asks for the tick first
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(DeskRequest.id).where(DeskRequest.kind == DeskCommand.TRANSFER)) is None
    page.check("#transfer input[name=confirm]")
    page.click("#transfer button")
    expect(page.locator("body")).to_contain_text("Transferring the customer to agent2")

    with app.app_context(), sessions().begin() as s:  # what the runner writes once the PBX bridged
        request_id = s.scalar(select(DeskRequest.id).where(DeskRequest.kind == DeskCommand.TRANSFER))
        FactWriter(ids["node"]).write(s, None, [CallTransferred(datetime.now(UTC).timestamp(), request_id,
                                                                ids["agent1"], ids["agent2"],
                                                                attempt_id=str(attempt_id))])
        s.get(Agent, ids["agent1"]).state = AgentState.WRAP_UP
        s.get(Agent, ids["agent2"]).state = AgentState.ON_CALL
        call_id = s.scalar(select(Call.id).where(Call.attempt_id == attempt_id))
    transferred = page.locator("#transferred")
    expect(transferred).to_contain_text("You transferred this call to agent2", timeout=10_000)
    expect(page.locator("#call-state")).to_contain_text("You transferred the call with")
    expect(page.locator("input[name=amount]")).to_have_count(0)  # the sale is the new agent's
    _shot(page, "panel-after-transfer")
    page.fill("textarea[name=notes]", "asked for a team leader")
    page.click("text=Save disposition")
    expect(page.locator("body")).to_contain_text("Saved: Sale (your part of the call).")

    page.context.clear_cookies()
    _login(page, live_url, "sup")
    page.goto(f"{live_url}/calls/{call_id}")
    step = page.locator('#timeline li[data-step="transfer"]')
    expect(step).to_contain_text("from agent1 to agent2 (blind); agent1's part: Sale")
    _shot(page, "call-detail-transfer")
