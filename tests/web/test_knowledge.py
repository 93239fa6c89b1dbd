# ruff: noqa: RUF001 - Chinese text uses full-width punctuation, and agents type full-width Latin
"""The knowledge base through the web: the trainer writes articles (kept as versions), agents search
them from their panel in Chinese and English by parts of words, read them and say when one did not
help, and the trainer sees both. On SQLite (FTS5 trigram) and PostgreSQL (pg_trgm)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from store import knowledge as kb
from store.enums import UserRole
from store.models import AuditLog, KbArticle, KbFeedback, User
from tests.web.conftest import _password_hash
from web.db import sessions

ARTICLES = {
    "zh": {
        "title": "退款申请流程",
        "product": "会员卡",
        "tags": "退款，售后",
        "body": "客户申请退款时，先核对订单号，再提交退款申请。退款在七个工作日内到账。",
    },
    "en": {
        "title": "Refund policy for annual plans",
        "product": "Gold plan",
        "tags": "refund, billing",
        "body": "Customers may ask for a refund within 30 days of the renewal. Check the invoice first.",
    },
    "ship": {
        "title": "Delivery times",
        "product": "",
        "tags": "shipping",
        "body": "Parcels arrive in 3-5 working days. An invoice is in the parcel.",
    },
    "invoice": {
        "title": "Invoice copies",
        "product": "",
        "tags": "billing",
        "body": "Send a copy by e-mail from the billing page.",
    },
}


@pytest.fixture
def trainer(app, as_role):
    with app.app_context(), sessions().begin() as s:
        s.add(User(username="tina", password_hash=_password_hash(), role=UserRole.TRAINER))
    return as_role("tina")


def _text(page) -> str:
    return page.get_data(as_text=True)


def _write(trainer, key: str) -> int:
    page = trainer.post("/kb/new", ARTICLES[key])
    assert page.status_code == 302, _text(page)
    return int(page.headers["Location"].rsplit("/", 1)[1])


@pytest.fixture
def articles(trainer) -> dict[str, int]:
    return {key: _write(trainer, key) for key in ARTICLES}


def _found(agent, query: str, product: str = "") -> list[str]:
    """The titles the panel's search lists, in order (the fragment htmx puts into the panel)."""
    page = agent.get(
        "/agent/kb/search", query_string={"q": query, "product": product}, headers={"HX-Request": "true"}
    )
    assert page.status_code == 200
    body = _text(page)
    assert "<html" not in body  # a fragment: htmx swaps it into the panel, nothing else moves
    return re.findall(r'hx-target="#kb-article">([^<]+)</a>', body)


def test_agents_find_chinese_and_english_articles_by_parts_of_words(app, as_role, articles):
    agent = as_role("agent1")
    assert _found(agent, "申请流") == ["退款申请流程"]  # three characters from the middle of a word
    assert _found(agent, "退款") == ["退款申请流程"]  # two characters: below a trigram, LIKE finds it
    assert _found(agent, "订单号 款") == ["退款申请流程"]  # a long and a one-character term together
    assert _found(agent, "REFUN") == ["Refund policy for annual plans"]  # part of a word, any case
    assert _found(agent, "fund annual") == ["Refund policy for annual plans"]  # every term must match
    assert _found(agent, "fund shipping") == []
    assert _found(agent, "ｒｅｆｕｎｄ") == ["Refund policy for annual plans"]  # full-width Latin (IME)
    assert _found(agent, "售后") == ["退款申请流程"]  # tags are searched
    assert _found(agent, "refund", product="会员卡") == []  # kept to one product
    assert _found(agent, "refund", product="Gold plan") == ["Refund policy for annual plans"]
    assert "<option>Gold plan</option>" in _text(agent.get("/agent/"))
    # Title hits first: "invoice" is in the title of one, in the body of two.
    assert _found(agent, "invoice")[0] == "Invoice copies"
    assert sorted(_found(agent, "invoice")) == [
        "Delivery times",
        "Invoice copies",
        "Refund policy for annual plans",
    ]
    # LIKE's wildcards and FTS5's syntax are only characters here.
    assert _found(agent, "%") == []
    assert _found(agent, "_") == []
    assert _found(agent, 'refund" OR "delivery') == []
    assert _found(agent, "   ") == []
    assert _found(agent, "refund\x00") == ["Refund policy for annual plans"]  # a NUL is no character here
    assert "Nothing found for “xyz123”." in _text(
        agent.get("/agent/kb/search?q=xyz123", headers={"HX-Request": "true"})
    )


def test_the_index_follows_edits_and_retired_articles_leave_the_search(app, as_role, trainer, articles):
    agent, ship = as_role("agent1"), articles["ship"]
    assert _found(agent, "working days") == ["Delivery times"]
    changed = {**ARTICLES["ship"], "body": "顺丰速运: parcels arrive in two days."}
    page = trainer.post(f"/kb/{ship}", changed, follow_redirects=True)
    assert f"Article {ship} saved as version 2." in _text(page)
    assert _found(agent, "working days") == []
    assert _found(agent, "顺丰速") == ["Delivery times"]
    assert "nothing changed" in _text(trainer.post(f"/kb/{ship}", changed))
    page = _text(trainer.get(f"/kb/{ship}"))
    assert re.search(r">2</a></td>\s*<td>tina</td>", page)
    assert re.search(r">1</a></td>\s*<td>tina</td>", page)
    old = _text(trainer.get(f"/kb/{ship}/versions/1"))
    assert "Parcels arrive in 3-5 working days." in old
    assert "顺丰" not in old
    assert trainer.get(f"/kb/{ship}/versions/3").status_code == 404
    trainer.post(f"/kb/{ship}/active", {"active": "0"})
    assert _found(agent, "顺丰速") == []
    assert agent.get(f"/agent/kb/{ship}").status_code == 404
    trainer.post(f"/kb/{ship}/active", {"active": "1"})
    assert _found(agent, "顺丰速") == ["Delivery times"]
    with app.app_context(), sessions()() as s:
        actions = s.scalars(
            select(AuditLog.action).where(
                AuditLog.target_type == "kb_article", AuditLog.target_id == str(ship)
            )
        ).all()
    assert actions == ["kb.create", "kb.edit", "kb.retire", "kb.active"]


def test_bad_articles_are_refused_with_the_reason_and_nothing_is_saved(app, trainer):
    for form, reason in (
        ({"title": "", "body": "x"}, "an article needs a title"),
        ({"title": "T", "body": "  "}, "an article needs a body"),
        ({"title": "T" * 201, "body": "x"}, "a title of at most 200 characters"),
        ({"title": "T", "body": "x", "tags": "t," * 200}, "tags: at most 255"),
        ({"title": "T", "body": "x\x00y"}, "NUL character"),
    ):
        page = trainer.post("/kb/new", form)
        assert page.status_code == 422
        assert reason in _text(page)
    assert trainer.post("/kb/1/active", {"active": "maybe"}).status_code == 404
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(KbArticle)).all() == []


def test_reads_and_didnt_help_reach_the_trainer(app, as_role, trainer, articles):
    agent, zh = as_role("agent1"), articles["zh"]
    page = agent.get(f"/agent/kb/{zh}", query_string={"q": "退款"}, headers={"HX-Request": "true"})
    assert "七个工作日内到账" in _text(page)
    assert "<html" not in _text(page)
    agent.get(f"/agent/kb/{zh}?q=退款", headers={"HX-Request": "true"})
    agent.get(f"/agent/kb/{articles['en']}?q=refund", headers={"HX-Request": "true"})
    answer = agent.post(
        f"/agent/kb/{zh}/unhelpful",
        {"q": "退款 多久", "note": "没有说周末怎么算"},
        headers={"HX-Request": "true"},
    )
    assert "the trainer sees that this article did not help" in _text(answer)
    page = _text(trainer.get("/kb"))
    rows = re.findall(
        r'<a href="/kb/(\d+)">[^<]+</a>.*?<td class="opened">(\d+)</td>'
        r'<td class="unhelpful">(\d+)',
        page,
        re.S,
    )
    assert [(int(i), int(o), int(u)) for i, o, u in rows][:2] == [(zh, 2, 1), (articles["en"], 1, 0)]
    assert "退款 多久" in page
    assert "没有说周末怎么算" in page
    with app.app_context(), sessions()() as s:
        kinds = s.scalars(select(KbFeedback.kind).order_by(KbFeedback.id)).all()
    assert kinds == ["opened", "opened", "opened", "unhelpful"]


def test_roles_the_trainer_writes_agents_search(app, as_role, trainer, articles):
    agent = as_role("agent1")
    assert agent.get("/kb").status_code == 403
    assert agent.post("/kb/new", ARTICLES["zh"]).status_code == 403
    assert trainer.get("/agent/kb/search?q=refund").status_code == 403
    assert as_role("sup").get("/kb").status_code == 403
    assert trainer.get("/").headers.get("Location", "").endswith("/kb") or "/kb" in _text(trainer.get("/"))


def test_the_search_uses_the_index(app, articles, db_url):
    """The search's own query looks terms of three characters or more up in the trigram index (on
    PostgreSQL planned as ``search`` plans it, without sequential scans, a setting that ends with it)."""
    with app.app_context(), sessions()() as s:
        dialect = s.get_bind().dialect
        query = kb.statement(dialect.name, kb.terms("申请流 款"))
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "sqlite":
            plan = " ".join(str(r) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "VIRTUAL TABLE INDEX" in plan, plan
        else:
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in s.execute(text("EXPLAIN " + sql)))
            assert "ix_kb_articles_trgm" in plan, plan
            s.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
        assert [h.article.title for h in kb.search(s, "申请流 款")] == ["退款申请流程"]
        if dialect.name == "postgresql":
            assert s.scalar(text("SHOW enable_seqscan")) == "on"  # the rest of the request plans as usual
