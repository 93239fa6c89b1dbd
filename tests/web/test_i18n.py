# ruff: noqa: RUF001 - the Chinese pages' own full-width punctuation is what is checked
"""The UI in English and Chinese (issue 19, item 8): which language a request gets, the switch in the nav,
times in the centre's zone, numbers and money per the language, and a catalogue with every string of the
pages translated, placeholders kept (on SQLite and PostgreSQL, through the web like a browser)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import LanguageAccept

from settings import Settings
from store.enums import AgentState, CampaignState, Outcome
from store.models import Call, User
from tests.web import seed
from web import catalogue
from web.app import create_app
from web.db import sessions
from web.i18n import from_accept_language

ZH = "zh_Hans_CN"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, centre_timezone="Asia/Shanghai")


@pytest.fixture
def board(app):
    """agent1 paused for lunch on a running campaign with one sale of 1288 yuan today."""
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        a = seed.agent(s)
        c = seed.campaign(s, "春季回访")
        c.desired_state = CampaignState.RUNNING
        (lead,) = seed.leads(s, c, ["+8613800138000"])
        seed.attempt(s, lead, agent=a, start=now - timedelta(minutes=5), outcome=Outcome.CONNECTED,
                     disposition="SALE", amount="1288.00")
        seed.state(s, a, AgentState.PAUSED, now - timedelta(minutes=2), c, reason="lunch")
        return c.id


def _language(app, username: str) -> str | None:
    with app.app_context(), sessions()() as s:
        return s.scalar(select(User.language).where(User.username == username))


def test_a_supervisor_who_chose_chinese_sees_the_wallboard_in_chinese(app, as_role, board):
    sup = as_role("sup")
    assert 'lang="en"' in sup.get("/wallboard/").get_data(as_text=True)  # no choice, no Accept-Language
    switched = sup.post("/language", {"language": ZH, "next": "/wallboard/"})
    assert (switched.status_code, switched.headers["Location"]) == (302, "/wallboard/")
    assert _language(app, "sup") == ZH  # saved on the user, not only in this browser
    page = sup.get("/wallboard/").get_data(as_text=True)
    assert '<html lang="zh-Hans-CN">' in page
    for words in ("实时大屏", "坐席", "置忙", "午餐", "外呼任务", "春季回访", "¥1,288.00",
                  "（Asia/Shanghai）"):
        assert words in page, words
    assert "Wallboard" not in page
    assert "Waiting for an agent" not in page
    live = sup.get("/wallboard/board").get_data(as_text=True)  # the live part, as htmx fetches it
    assert "置忙" in live
    assert "排队等待坐席" in live
    # Another browser of the same user (an English one, even) gets their choice.
    other = as_role("sup")
    assert "实时大屏" in other.get("/wallboard/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)


def test_the_live_board_is_shared_per_language(app, as_role, board):
    """Two supervisors of one scope share one reading of the board, but each gets their own language."""
    chinese, english = as_role("sup"), as_role("admin")
    chinese.post("/language", {"language": ZH, "next": "/"})
    assert "置忙" in chinese.get("/wallboard/board").get_data(as_text=True)
    page = english.get("/wallboard/board").get_data(as_text=True)
    assert "置忙" not in page
    assert "Waiting for an agent" in page


def test_accept_language_decides_until_the_user_chooses(app, as_role, board):
    sup = as_role("sup")
    page = sup.get("/wallboard/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert 'lang="zh-Hans-CN"' in page.get_data(as_text=True)
    assert "坐席" in page.get_data(as_text=True)
    english = sup.get("/wallboard/", headers={"Accept-Language": "en-GB,zh;q=0.5"}).get_data(as_text=True)
    assert 'lang="en"' in english
    assert "Waiting for an agent" in english
    fr = sup.get("/wallboard/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert 'lang="en"' in fr
    sup.post("/language", {"language": "en", "next": "/wallboard/"})
    chosen = sup.get("/wallboard/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="en"' in chosen
    assert _language(app, "sup") == "en"


def test_the_log_in_page_follows_the_browser_and_the_switch(client):
    assert "用户名" in client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "User name" in client.get("/login").get_data(as_text=True)
    client.post("/language", {"language": ZH, "next": "/login"})
    assert "用户名" in client.get("/login").get_data(as_text=True)  # kept in the session before log-in


@pytest.mark.parametrize("bad", ["klingon", "", "zh_Hans_CN\r\nX: y", "../../etc"])
def test_an_unknown_language_is_refused_plainly(app, as_role, bad):
    sup = as_role("sup")
    response = sup.post("/language", {"language": bad, "next": "/wallboard/"})
    assert response.status_code == 302
    assert "No such language." in sup.get("/wallboard/").get_data(as_text=True)
    assert _language(app, "sup") is None


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil", "wallboard"])
def test_the_switch_goes_back_only_to_this_site(as_role, target):
    response = as_role("sup").post("/language", {"language": ZH, "next": target})
    assert response.headers["Location"] == "/"


def test_the_switch_needs_the_csrf_token(app):
    raw = app.test_client()
    assert raw.post("/language", data={"language": ZH}).status_code == 400


def test_the_campaign_page_in_chinese(app, as_role, board):
    sup = as_role("sup")
    sup.post("/language", {"language": ZH, "next": "/"})
    page = sup.get(f"/campaigns/{board}/progress").get_data(as_text=True)
    for words in ("接通率", "<strong>坐席</strong>：没有空闲坐席（已签入 1 人，置忙 1 人）", "名单状态分布",
                  "新名单", "（预测式，us）"):
        assert words in page, words
    assert "Contact rate" not in page
    calls = sup.get("/calls").get_data(as_text=True)
    for words in ("通话记录", "外呼", "已接通", "¥1,288.00"):
        assert words in calls, words
    with app.app_context(), sessions()() as s:
        call_id = s.scalar(select(Call.id))
    detail = sup.get(f"/calls/{call_id}").get_data(as_text=True)
    for words in ("时间线", "<strong>发起呼叫</strong>", "<strong>振铃</strong> 振铃 5.0 秒",
                  "转接 agent1，应答后 1.0 秒", "挂机原因", "¥1,288.00"):
        assert words in detail, words
    reports = sup.get("/reports/").get_data(as_text=True)
    assert "话务量" in reports
    assert "按日" in reports


def test_money_numbers_and_percentages_follow_the_language(app):
    from web import i18n

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert (i18n.money(1234.5), i18n.number(12345), i18n.percent(0.0321, 2)) == \
            ("¥1,234.50", "12,345", "3.21%")
        late = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
        assert i18n.local_time(late, "yyyy-MM-dd HH:mm") == "2026-03-05 07:30"  # Shanghai's next morning
        assert i18n.listing(["甲", "乙", "丙"]) == "甲、乙和丙"
    with app.test_request_context():
        assert (i18n.money(1234.5), i18n.number(0.5, 2)) == ("CN¥1,234.50", "0.50")


def test_an_unknown_centre_time_zone_stops_the_start_said_why(settings):
    with pytest.raises(ValueError, match="centre_timezone: 'Mars/Olympus' is not an IANA time zone"):
        create_app(replace(settings, centre_timezone="Mars/Olympus"))


@pytest.mark.parametrize(("header", "language"), [
    ("zh-CN", ZH), ("zh-TW,en;q=0.5", ZH), ("zh-Hans", ZH), ("en-US,zh-CN;q=0.9", "en"),
    ("de-DE,zh;q=0.3", ZH), ("de-DE", "en"), ("", "en"),
])
def test_accept_language_picks_the_first_language_offered(header, language):
    from werkzeug.http import parse_accept_header

    assert from_accept_language(parse_accept_header(header, LanguageAccept)) == language


def test_every_string_of_the_pages_is_translated_with_its_placeholders():
    """The catalogue against what ``pybabel extract`` would find now: nothing missing, empty or fuzzy,
    and each translation names the placeholders its English does (a lost %(name)s would raise)."""
    template = catalogue.extract()
    assert len(template) > 300  # the pages were marked (an extraction that finds nothing proves nothing)
    assert catalogue.problems(ZH, template) == []
    assert not catalogue.stale_mo(ZH), "messages.mo is older than messages.po: run scripts/translations"


def test_the_placeholder_check_catches_a_lost_placeholder(tmp_path, monkeypatch):
    """The catalogue test can fail: a translation that drops a placeholder or is left empty is named."""
    po = catalogue.po_path(ZH).read_text(encoding="utf-8")
    broken = po.replace('msgstr "通话 %(id)s"', 'msgstr "通话"', 1)
    broken = broken.replace('msgstr "坐席工作台"', 'msgstr ""', 1)
    assert broken != po
    target = tmp_path / ZH / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_text(broken, encoding="utf-8")
    monkeypatch.setattr(catalogue, "TRANSLATIONS", tmp_path)
    found = catalogue.problems(ZH)
    assert any("placeholders differ: 'Call %(id)s'" in p for p in found), found
    assert any("untranslated: 'Agent panel'" in p for p in found), found
