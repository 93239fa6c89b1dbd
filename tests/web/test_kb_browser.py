"""The knowledge base in the agent panel, in a real browser: on a call, with notes typed into the
disposition form, the agent searches in Chinese and English, reads an article and says it didn't
help; the form keeps every character, and the disposition still saves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from store import knowledge as kb
from store.enums import AgentState, UserRole
from store.models import Agent, Attempt, KbFeedback, User
from tests.web import seed
from tests.web.conftest import _password_hash
from tests.web.test_browser import _login, live_url, page, pytestmark  # noqa: F401 - fixtures, skip mark
from web.db import sessions

SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
NOTES = "客户说上个月扣了两次费 / charged twice last month"


def test_kb_search_during_a_call_leaves_the_disposition_form_alone(app, live_url, page):  # noqa: F811
    from playwright.sync_api import expect

    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        attempt_id = seed.on_call(s, "+8613800138000").id
        tina = User(username="tina", password_hash=_password_hash(), role=UserRole.TRAINER)
        s.add(tina)
        s.flush()
        for title, body, tags in (
            ("退款申请流程", "客户申请退款时，先核对订单号，再提交退款申请。七个工作日内到账。", "退款"),  # noqa: RUF001
            ("Double charge refund", "If a customer was charged twice, refund the second debit.", "refund"),
        ):
            kb.save_article(s, None, kb.ArticleInput(title, body, tags), tina.id, now)

    _login(page, live_url, "agent1")
    page.goto(f"{live_url}/agent/")
    expect(page.locator("#call-state")).to_contain_text("On the call with +8613800138000")
    page.select_option("select[name=disposition_id]", label="Not interested")
    page.fill("textarea[name=notes]", NOTES)

    page.fill("#kb-q", "退款")  # two characters: the LIKE fallback; results come as you type
    expect(page.locator("#kb-results li")).to_have_count(1)
    expect(page.locator("#kb-results")).to_contain_text("退款申请流程")
    page.fill("#kb-q", "charged twi")  # parts of two English words
    expect(page.locator("#kb-results")).to_contain_text("Double charge refund")
    expect(page.locator("#kb-results li")).to_have_count(1)
    page.click("#kb-results a:has-text('Double charge refund')")
    expect(page.locator("#kb-article")).to_contain_text("refund the second debit")

    # The runner: the customer hung up; the status part refreshes underneath.
    with app.app_context(), sessions().begin() as s:
        s.get(Attempt, attempt_id).ended_at = datetime.now(UTC)
        row = s.scalars(select(Agent)).one()
        row.state, row.state_since = AgentState.WRAP_UP, datetime.now(UTC)
    expect(page.locator("#agent-status")).to_have_attribute("data-state", "wrap_up", timeout=10_000)
    page.fill("#kb-article input[name=note]", "没有说怎么查第二笔")
    page.click("text=Didn't help")
    expect(page.locator("#kb-feedback")).to_contain_text("did not help")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "agent-kb-search.png"), full_page=True)

    expect(page.locator("textarea[name=notes]")).to_have_value(NOTES)
    expect(page.locator("select[name=disposition_id]")).to_have_value(
        page.locator("select[name=disposition_id] option", has_text="Not interested").get_attribute("value")
    )
    page.click("text=Save disposition")
    expect(page.locator("#dispose-result")).to_contain_text("Saved: Not interested.")
    with app.app_context(), sessions()() as s:
        assert s.get(Attempt, attempt_id).notes == NOTES
        feedback = s.scalars(select(KbFeedback).order_by(KbFeedback.id)).all()
        assert [(f.kind, f.query) for f in feedback] == [
            ("opened", "charged twi"),
            ("unhelpful", "charged twi"),
        ]
        assert feedback[0].call_id is not None  # the read counts against the call on screen
