"""Scoring a call in a real browser: the recording plays through the call log's route with a seek bar
and speed control, the call's disposition shows, and the score is saved (Playwright, Debian's Chromium)."""

from __future__ import annotations

import wave
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from orchestrator.quality import scorecard as sc
from store.enums import Outcome
from store.models import AuditLog, Call, QaScore, Scorecard, ScorecardVersion
from tests.web import seed
from tests.web.test_browser import _login, live_url, page, pytestmark  # noqa: F401 - fixtures, skip mark
from web.db import sessions

SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"


def test_a_qa_inspector_scores_a_call_in_the_browser(app, settings, live_url, page):  # noqa: F811
    from playwright.sync_api import expect

    wav_path = settings.recordings_dir / "b" / "call.wav"
    wav_path.parent.mkdir(parents=True)
    with wave.open(str(wav_path), "wb") as w:  # 12 s of a quiet tone
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x04\x00\xfc" * 4000 * 12)
    form = sc.Form((
        sc.Section("Opening", (sc.Item("i1", "Greets the customer by name", Decimal(20)),
                               sc.Item("i2", "Asks consent to record", Decimal(30), critical=True))),
        sc.Section("Close", (sc.Item("i3", "Summarises the order", Decimal(50), sc.Kind.SCALE, 4,
                                     allows_na=True),)),
    ))
    with app.app_context(), sessions().begin() as s:
        agent = seed.agent(s)
        campaign = seed.campaign(s)
        (lead,) = seed.leads(s, campaign, ["+12015550123"])
        attempt = seed.attempt(s, lead, agent=agent, start=datetime.now(UTC) - timedelta(hours=1),
                               outcome=Outcome.CONNECTED, talk_s=12, disposition="SALE", amount="249.00",
                               recording="b/call.wav")
        call_id = s.scalar(select(Call.id).where(Call.attempt_id == attempt.id))
        s.add(Scorecard(name="Sales call", versions=[
            ScorecardVersion(number=1, form=sc.to_json(form), published_at=datetime.now(UTC))]))

    _login(page, live_url, "qa")
    today = datetime.now(UTC).date()
    page.goto(f"{live_url}/qa/worklist?week={today.isoformat()}")
    page.select_option("select[name=team_id]", label="Team 1")
    page.fill("input[name=week]", today.isoformat())
    page.click("text=Draw the sample")
    expect(page.locator(".flash.ok")).to_contain_text("Sampled 1 call of the week of")
    expect(page.locator("#worklist tr")).to_have_count(2)  # the header and the one call
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "qa-worklist.png"), full_page=True)
    page.locator("#worklist").get_by_role("link", name="Score").click()
    expect(page).to_have_url(f"{live_url}/qa/calls/{call_id}")
    expect(page.locator("#disposition")).to_have_text("Sale (sold 249.00)")
    expect(page.locator("#qa-time")).to_have_text("0:00 / 0:12", timeout=10_000)  # metadata loaded
    page.locator("#qa-seek").evaluate("(el) => { el.value = 7; el.dispatchEvent(new Event('input')); }")
    expect(page.locator("#qa-time")).to_have_text("0:07 / 0:12")
    page.select_option("#qa-speed", "1.5")
    assert page.locator("#qa-audio").evaluate("(a) => a.playbackRate") == 1.5
    page.click("#qa-back")
    expect(page.locator("#qa-time")).to_have_text("0:02 / 0:12")
    page.check("input[name=a_i1][value=yes]")
    page.check("input[name=a_i2][value=yes]")
    page.check("input[name=a_i3][value='3']")
    page.fill("input[name=n_i3]", "Missed the delivery date")
    page.fill("textarea[name=comment]", "Friendly, clear; summarise fully next time.")
    page.screenshot(path=str(SHOTS / "qa-scoring.png"), full_page=True)
    page.click("#score-form button")
    # (20 + 30 + 50 * 3/4) / 100
    expect(page.locator(".flash.ok")).to_have_text("Saved: the call scores 87.50 %.")
    expect(page.locator("#calibration")).to_contain_text("qa")
    page.screenshot(path=str(SHOTS / "qa-scored.png"), full_page=True)
    with app.app_context(), sessions()() as s:
        score = s.scalars(select(QaScore)).one()
        assert (score.percent, score.item_notes) == (Decimal("87.50"), {"i3": "Missed the delivery date"})
        assert "recording.play" in s.scalars(select(AuditLog.action)).all()
