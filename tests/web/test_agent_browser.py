"""The agent panel in a real browser: what the agent types survives the call's state changes.

The runner's writes are played by the test (rows, as the runner's fact writer
leaves them) while Chromium shows the panel; the panel refreshes its status
part underneath the agent's typing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from store.enums import AgentState
from store.models import Agent, Attempt, DeskRequest, Order, Product
from tests.web import seed
from tests.web.test_browser import _login, live_url, page, pytestmark  # noqa: F401 - fixtures, skip mark
from web.db import sessions

NOTES = "Wants the blue one; call her husband first"


def test_typed_notes_and_amount_survive_a_state_change_and_are_saved(app, live_url, page):  # noqa: F811
    from playwright.sync_api import expect

    with app.app_context(), sessions().begin() as s:
        attempt_id = seed.on_call(s, "+442079460001").id
        s.add(Product(name="Plan", price=Decimal("199.00")))

    _login(page, live_url, "agent1")
    page.goto(f"{live_url}/agent/")
    expect(page.locator("#call-state")).to_contain_text("On the call with +442079460001")
    page.select_option("select[name=disposition_id]", label="Sale")
    amount = page.locator("input[name=amount]").first  # the first order line's
    page.locator("select[name=product_id]").first.select_option(label="Plan (199.00)")
    amount.fill("1.234")
    page.fill("textarea[name=notes]", NOTES)

    # The runner: the customer hung up, the agent is wrapping up.
    with app.app_context(), sessions().begin() as s:
        s.get(Attempt, attempt_id).ended_at = datetime.now(UTC)
        row = s.scalars(select(Agent)).one()
        row.state, row.state_since = AgentState.WRAP_UP, datetime.now(UTC)
    expect(page.locator("#agent-status")).to_have_attribute("data-state", "wrap_up", timeout=10_000)
    expect(page.locator("#call-state")).to_contain_text("ended: save its disposition")
    expect(page.locator("textarea[name=notes]")).to_have_value(NOTES)
    expect(amount).to_have_value("1.234")

    # A bad amount is refused next to the form; nothing typed is lost.
    page.click("text=Save disposition")
    expect(page.locator("#dispose-result")).to_contain_text("at most two decimals")
    expect(page.locator("textarea[name=notes]")).to_have_value(NOTES)
    amount.fill("1234.50")
    page.click("text=Save disposition")
    expect(page.locator("#dispose-result")).to_contain_text("Saved: Sale.")
    with app.app_context(), sessions()() as s:
        stored = s.get(Attempt, attempt_id)
        (order,) = s.scalars(select(Order).where(Order.attempt_id == attempt_id)).all()
        assert (str(order.amount), order.product.name, stored.notes) == ("1234.50", "Plan", NOTES)
        (command,) = s.scalars(select(DeskRequest).where(DeskRequest.kind == "disposition")).all()
        assert command.payload["attempt_id"] == str(attempt_id)
        assert command.payload["code"] == "SALE"
