# ruff: noqa: RUF001 - the Chinese pages' own full-width punctuation is what is checked
"""The Chinese UI in Debian's Chromium: the wallboard and the campaign page compared against stored
baseline screenshots (``tests/web/baselines``), the agent panel read for English left over, and axe-core
still finding no serious violation with ``lang="zh-Hans-CN"``.

What would make a screenshot differ from run to run is fixed: the data (seeded below, relative to
``NOW``), the server's clock (the views' ``utcnow``), the browser's clock (``page.clock``), the centre's
time zone (Asia/Shanghai), the window size and the font: every text is drawn in WenQuanYi Zen Hei, the
CJK font ``scripts/bootstrap`` installs (Debian's ``fonts-wqy-zenhei``), whatever else the machine has.
A baseline is compared pixel by pixel with a tolerance (anti-aliasing moves a little between Chromium
builds); ``SWITCHBOARD_UPDATE_BASELINES=1`` writes new ones after a deliberate change of the pages.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from sqlalchemy import select

from settings import Settings
from store.enums import AgentState, CampaignState, LeadStatus, Outcome, UserRole
from store.models import Order, PacingNote, PbxNode, Seat, Team, User
from tests.web import seed
from tests.web.conftest import PASSWORD
from tests.web.test_accessibility import AXE, BLOCKING
from tests.web.test_browser import ARGS, CHROMIUM, live_url  # noqa: F401 - fixture
from web.auth import services as auth_services
from web.db import sessions

BASELINES = Path(__file__).with_name("baselines")
NOW = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, a Wednesday
FONT = "WenQuanYi Zen Hei"
#: Every text in the one CJK font the project installs: the same glyphs on every machine.
FONT_CSS = f'* {{ font-family: "{FONT}" !important; }}'
VIEWPORT = {"width": 1280, "height": 1000}
#: A pixel differs when a channel moves more than this; the page differs when more than this share do.
CHANNEL_TOLERANCE = 48
SHARE_TOLERANCE = 0.01
#: English words the Chinese pages must not show (nav, headings, states, buttons of the pages checked).
ENGLISH = ("Wallboard", "Campaign", "Agents", "Ready", "Pause", "Log out", "Disposition", "Outcome",
           "on call", "paused", "lunch", "Why ", "Leads", "Dialed", "Contact rate", "Updated")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, centre_timezone="Asia/Shanghai")


@pytest.fixture
def frozen(monkeypatch):
    """The server's clock stopped at ``NOW`` (the pages' "now", today's figures, times in state)."""
    import web.agent.views
    import web.campaigns.views
    import web.wallboard.views

    for module in (web.wallboard.views, web.campaigns.views, web.agent.views):
        if hasattr(module, "utcnow"):
            monkeypatch.setattr(module, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def centre(app, frozen):
    """A running predictive campaign with a Chinese name, a team of three agents (on a call, paused for
    lunch, ready), a morning of calls with two sales, and the pacer's note; the supervisor reads Chinese."""
    with app.app_context(), sessions().begin() as s:
        for name in ("agent2", "agent3"):
            auth_services.create_user(s, name, PASSWORD, UserRole.AGENT)
        s.flush()
        s.scalars(select(User).where(User.username == "sup")).one().language = "zh_Hans_CN"
        agents = [seed.agent(s, name, "一组") for name in ("agent1", "agent2", "agent3")]
        seats = s.scalars(select(Seat).order_by(Seat.id)).all()
        for a, seat in zip(agents, seats, strict=True):
            a.seat = seat
        c = seed.campaign(s, "春季回访")
        c.desired_state = CampaignState.RUNNING
        leads = seed.leads(s, c, [f"+8613800138{n:03d}" for n in range(12)])
        outcomes = [Outcome.CONNECTED, Outcome.NO_ANSWER, Outcome.BUSY, Outcome.CONNECTED,
                    Outcome.MACHINE, Outcome.CONNECTED, Outcome.NO_ANSWER]
        for i, (lead, outcome) in enumerate(zip(leads, outcomes, strict=False)):
            start = NOW - timedelta(hours=3) + timedelta(minutes=20 * i)
            sale = i in (0, 3)
            seed.attempt(s, lead, agent=agents[i % 2] if outcome is Outcome.CONNECTED else None,
                         start=start, outcome=outcome, talk_s=90, disposition="SALE" if sale else None,
                         amount="1288.00" if sale else None)
            lead.attempts, lead.status, lead.last_outcome = 1, LeadStatus.DONE, outcome
        for lead in leads[7:]:
            lead.next_call_at = NOW - timedelta(hours=4)  # due since the morning, not since the test ran
        seed.attempt(s, leads[8], agent=agents[0], start=NOW - timedelta(seconds=75),
                     outcome=Outcome.CONNECTED, ended=False)
        leads[8].status, leads[8].attempts = LeadStatus.DIALING, 1
        seed.state(s, agents[0], AgentState.ON_CALL, NOW - timedelta(seconds=70), c)
        seed.state(s, agents[1], AgentState.PAUSED, NOW - timedelta(minutes=12), c, reason="lunch")
        seed.state(s, agents[2], AgentState.READY, NOW - timedelta(seconds=40), c)
        node = s.scalar(select(PbxNode))
        s.add(PacingNote(campaign_id=c.id, node_id=node.id, at=NOW, reasons="cap_brake",
                         text="abandon brake: worst window 2.4 % of a 3.0 % cap, aiming at 1.5 %"))
        team = s.scalars(select(Team)).one()
        for order in s.scalars(select(Order)):
            order.team_id = team.id
        campaign_id = c.id
    return campaign_id


@pytest.fixture
def page():
    """Chromium in the centre's zone, its clock stopped at ``NOW``, the page's window fixed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Shanghai", locale="zh-CN",
                                          device_scale_factor=1, bypass_csp=True)
            tab = context.new_page()
            tab.clock.set_fixed_time(NOW)
            yield tab
        finally:
            browser.close()


def _cjk_font() -> None:
    """The font the baselines were drawn with is on this machine, else a clear word of what to install."""
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                           check=False).stdout
    assert FONT in fonts, (f"no {FONT} font (fc-list :lang=zh found {fonts.strip()!r}): install Debian's "
                           "fonts-wqy-zenhei (scripts/bootstrap does)")


def _login(tab, url: str, user: str) -> None:
    tab.goto(f"{url}/login")
    tab.fill("input[name=username]", user)
    tab.fill("input[name=password]", PASSWORD)
    tab.locator("main button").click()
    tab.wait_for_url(lambda u: "/login" not in u)


def _shoot(tab, url: str, path: Path) -> Image.Image:
    tab.goto(url)
    tab.add_style_tag(content=FONT_CSS)
    tab.evaluate("document.fonts.ready")
    tab.wait_for_function("() => !window.Chart || Object.keys(Chart.instances).length"
                          " === document.querySelectorAll('canvas.chart').length")
    tab.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    with Image.open(path) as shot:
        return shot.convert("RGB")


def _differs(name: str, shot: Image.Image, out: Path) -> str | None:
    """None when ``shot`` matches the stored baseline within the tolerance, else why (with the files)."""
    baseline = BASELINES / f"{name}.png"
    shot.save(out / f"{name}.png")
    if os.environ.get("SWITCHBOARD_UPDATE_BASELINES") == "1" or not baseline.exists():
        assert os.environ.get("SWITCHBOARD_UPDATE_BASELINES") == "1", f"no baseline {baseline}: run with " \
            "SWITCHBOARD_UPDATE_BASELINES=1 once and look at it"
        BASELINES.mkdir(exist_ok=True)
        shot.save(baseline, optimize=True)
        return None
    with Image.open(baseline) as stored:
        expected = stored.convert("RGB")
    if expected.size != shot.size:
        return f"{name}: size {shot.size} against the baseline's {expected.size} (see {out / name}.png)"
    diff = ImageChops.difference(expected, shot)
    moved = sum(1 for px in diff.getdata() if max(px) > CHANNEL_TOLERANCE)
    share = moved / (shot.width * shot.height)
    if share > SHARE_TOLERANCE:
        diff.point(lambda v: 255 if v > CHANNEL_TOLERANCE else 0).save(out / f"{name}-diff.png")
        return (f"{name}: {share:.2%} of the pixels differ (> {SHARE_TOLERANCE:.0%}; "
                f"see {out}/{name}-diff.png)")
    return None


def test_the_chinese_wallboard_and_campaign_page_match_their_baselines(app, live_url, page, centre,  # noqa: F811
                                                                       tmp_path):
    _cjk_font()
    _login(page, live_url, "sup")
    wallboard = _shoot(page, f"{live_url}/wallboard/", tmp_path / "wallboard-shot.png")
    assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
    text = page.locator("main").inner_text()
    for words in ("坐席", "置忙", "通话中", "午餐"):
        assert words in text, words
    assert "呼损接近上限" in text  # the pacer's reason in Chinese, not its English note
    assert "¥2,576.00" in text  # two sales of 1288 yuan, per the Chinese locale
    assert "更新于 12:00:00（Asia/Shanghai）" in text  # the centre's time
    campaign = _shoot(page, f"{live_url}/campaigns/{centre}/progress", tmp_path / "campaign-shot.png")
    text = page.locator("body").inner_text()
    for words in ("为什么没有拨号", "呼损上限：正在制动（呼损接近上限）", "接通率", "实时大屏"):
        assert words in text, words
    problems = [p for p in (_differs("zh-wallboard", wallboard, tmp_path),
                            _differs("zh-campaign", campaign, tmp_path)) if p]
    assert problems == []


def test_the_chinese_agent_panel_shows_no_english(app, live_url, page, centre, tmp_path):  # noqa: F811
    _login(page, live_url, "agent1")
    page.goto(f"{live_url}/agent/")
    page.locator("#language-switch select").select_option("zh_Hans_CN")
    page.locator("#language-switch button").click()
    page.wait_for_url(f"{live_url}/agent/")
    page.add_style_tag(content=FONT_CSS)
    text = page.locator("main").inner_text()
    for words in ("坐席工作台", "通话中", "保存通话小结"):
        assert words in text, words
    left = [word for word in ENGLISH if word in text]
    assert left == []
    page.screenshot(path=str(tmp_path / "zh-agent-panel.png"), full_page=True)  # for a person (--basetemp)


def test_axe_finds_no_serious_violation_in_chinese(app, live_url, page, centre):  # noqa: F811
    _login(page, live_url, "sup")
    problems = []
    for path in ("/wallboard/", f"/campaigns/{centre}/progress", "/campaigns/", "/calls", "/reports/"):
        page.goto(live_url + path)
        assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
        page.add_script_tag(path=str(AXE))
        found = page.evaluate("""async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))
            .violations.map(v => ({id: v.id, impact: v.impact,
                                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
        problems += [f"{path}: {v['id']} ({v['impact']}) at {v['nodes']}" for v in found
                     if v["impact"] in BLOCKING]
    assert problems == []
