"""Knowledge-base search and writes: one query for SQLite and PostgreSQL, found by parts of words.

Chinese has no spaces between words and agents type fragments of English words, so neither a word
tokenizer nor a stemmer finds what they mean; trigrams do, in both languages: SQLite's FTS5
``trigram`` tokenizer and PostgreSQL's ``pg_trgm`` (GIN index on ``SEARCHED``) both match any
substring of three characters or more, case-insensitively, using the index.

A trigram index cannot look up a term shorter than three characters, and two-character words are
common in Chinese (退款 refund, 发票 invoice): such terms are matched with ``LIKE '%term%'`` on the
same text instead, which scans the active articles (a knowledge base holds thousands, not millions);
when the query also has a longer term, the index narrows the rows first. Every term must match
(AND), anywhere in the title, body or tags.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from store.models import KbArticle, KbArticleVersion, KbFeedback

#: Shortest term the trigram index can look up; shorter ones fall back to LIKE.
TRIGRAM = 3
MAX_TERMS = 8
MAX_QUERY = 200
#: Tags are typed with ASCII, full-width or ideographic (enumeration) commas.
TAG_SEPARATORS = re.compile("[,\uff0c\u3001]")
#: ``kb_feedback.kind`` values.
OPENED, UNHELPFUL = "opened", "unhelpful"

#: The searched text; migration 0026 indexes ``lower()`` of exactly this expression on PostgreSQL (the
#: planner matches the expression, so the query must use this one).
SEARCHED: ColumnElement[str] = literal_column(
    "(kb_articles.title || ' ' || kb_articles.body || ' ' || kb_articles.tags)"
)


class KbError(ValueError):
    """Refused, with the reason for the person who asked."""


def terms(query: str) -> list[str]:
    """The query's terms: NFKC-normalised (full-width Latin becomes ASCII), split on spaces and control
    characters (PostgreSQL refuses a NUL in a string), each once."""
    seen: list[str] = []
    typed = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in query[:MAX_QUERY])
    for term in unicodedata.normalize("NFKC", typed).split():
        if term.casefold() not in (t.casefold() for t in seen):
            seen.append(term)
    return seen[:MAX_TERMS]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(term: str) -> ColumnElement[bool]:
    """The term anywhere in the searched text, any case: the LIKE fallback for a short term, and on
    PostgreSQL also the trigram-indexed match of a longer one.

    ``lower(...) LIKE lower(...)`` rather than ``ILIKE``: PostgreSQL's planner can take the trigram
    index (built on ``lower(SEARCHED)``) for it, and where rows are read anyway LIKE on lowered text is
    cheaper than ILIKE's folding. A short term without case (Chinese, digits) is compared as it is:
    lowering every article costs more than the match (measured on 10 000 articles: 98 ms lowered,
    34 ms as is)."""
    pattern = literal(_like(term))
    if len(term) < TRIGRAM and term.lower() == term.upper():
        return SEARCHED.like(pattern, escape="\\")
    return func.lower(SEARCHED).like(func.lower(pattern), escape="\\")


def _fts_phrase(term: str) -> str:
    """An FTS5 string literal: with the trigram tokenizer a phrase matches wherever it occurs."""
    return '"' + term.replace('"', '""') + '"'


@dataclass(frozen=True)
class Hit:
    article: KbArticle
    snippet: str


def _in_title(words: list[str]) -> ColumnElement[int]:
    """How many of the terms the title holds: titles that answer the question come first."""
    hits = [case((KbArticle.title.ilike(_like(t), escape="\\"), 1), else_=0) for t in words]
    return sum(hits[1:], start=hits[0])


def _fts_ranked(long_terms: list[str]) -> Subquery:
    """SQLite: the rows FTS5 finds for every long term, with their bm25 rank (title weighs most)."""
    match = " AND ".join(_fts_phrase(t) for t in long_terms)
    rank: ColumnElement[float] = literal_column("bm25(kb_articles_fts, 10.0, 1.0, 5.0)")
    return (
        select(literal_column("rowid").label("id"), rank.label("rank"))
        .select_from(text("kb_articles_fts"))
        .where(text("kb_articles_fts MATCH :match").bindparams(match=match))
        .subquery("fts")
    )


def statement(dialect: str, words: list[str], product: str = "", limit: int = 20) -> Select[tuple[KbArticle]]:
    """The search query on ``dialect`` for ``terms``: active articles holding every one, title hits first."""
    long_terms = [t for t in words if len(t) >= TRIGRAM]
    conditions: list[ColumnElement[bool]] = [KbArticle.active.is_(True)]
    if product:
        conditions.append(KbArticle.product == product)
    conditions.extend(_contains(t) for t in words if len(t) < TRIGRAM)
    if dialect == "sqlite" and long_terms:
        fts = _fts_ranked(long_terms)
        query = (
            select(KbArticle)
            .join(fts, fts.c.id == KbArticle.id)
            .order_by(_in_title(words).desc(), fts.c.rank, KbArticle.id.desc())
        )
    else:  # PostgreSQL: LIKE on lower(SEARCHED) uses the pg_trgm index for terms of 3 characters or more
        conditions.extend(_contains(t) for t in long_terms)
        query = select(KbArticle).order_by(
            _in_title(words).desc(), KbArticle.updated_at.desc(), KbArticle.id.desc()
        )
    return query.where(and_(*conditions)).limit(limit)


def search(session: Session, query: str, product: str = "", limit: int = 20) -> list[Hit]:
    """Active articles holding every term of ``query``, titles that hold them first."""
    words = terms(query)
    if not words:
        return []
    dialect = session.get_bind().dialect.name
    found = statement(dialect, words, product, limit)
    if dialect != "postgresql" or all(len(t) < TRIGRAM for t in words):
        rows = session.scalars(found).all()
    else:
        # The planner costs ``lower(...) LIKE`` over a whole article as if it were cheap and reads every
        # row (measured: 70 ms over 10 000 articles) rather than the trigram index (5 ms): for this one
        # query, when the index can look a term up, it is told not to scan (the setting ends with it).
        session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = session.scalars(found).all()
        session.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
    return [Hit(a, snippet(a.body, words)) for a in rows]


def products(session: Session) -> list[str]:
    """The products active articles are about (the panel's search can keep to one)."""
    return list(
        session.scalars(
            select(KbArticle.product)
            .where(KbArticle.active.is_(True), KbArticle.product != "")
            .distinct()
            .order_by(KbArticle.product)
        )
    )


def snippet(body: str, words: list[str], width: int = 160) -> str:
    """Some of the body around the first term found in it (the start if none is)."""
    folded = body.casefold()
    at = min((i for i in (folded.find(w.casefold()) for w in words) if i >= 0), default=0)
    start = max(0, at - width // 4)
    text_ = body[start : start + width].replace("\n", " ")
    return ("…" if start else "") + text_ + ("…" if start + width < len(body) else "")


@dataclass(frozen=True)
class ArticleInput:
    title: str
    body: str
    tags: str = ""
    product: str = ""

    def checked(self) -> ArticleInput:
        title, body = self.title.strip(), self.body.strip()
        tags = ", ".join(t.strip() for t in TAG_SEPARATORS.split(self.tags) if t.strip())
        product = self.product.strip()
        if "\x00" in title + body + tags + product:
            raise KbError("the text holds a NUL character: paste it as plain text")
        if not title or len(title) > 200:
            raise KbError("an article needs a title of at most 200 characters")
        if not body or len(body) > 100_000:
            raise KbError("an article needs a body of at most 100 000 characters")
        if len(tags) > 255:
            raise KbError("tags: at most 255 characters in all")
        if len(product) > 64:
            raise KbError("product: at most 64 characters")
        return ArticleInput(title, body, tags, product)


def save_article(
    session: Session, article: KbArticle | None, data: ArticleInput, user_id: int | None, now: datetime
) -> KbArticle:
    """Create or change an article; every save is kept as a version (who, when, what it said)."""
    data = data.checked()
    if article is None:
        article = KbArticle(version=0)
        session.add(article)
    elif (article.title, article.body, article.tags, article.product) == (
        data.title,
        data.body,
        data.tags,
        data.product,
    ):
        raise KbError("nothing changed: the article is as it was")
    article.title, article.body = data.title, data.body
    article.tags, article.product = data.tags, data.product
    article.version += 1
    article.updated_by_id, article.updated_at = user_id, now
    article.versions.append(
        KbArticleVersion(
            number=article.version,
            title=data.title,
            body=data.body,
            tags=data.tags,
            product=data.product,
            edited_by_id=user_id,
            edited_at=now,
        )
    )
    session.flush()
    return article


def record(
    session: Session,
    article: KbArticle,
    kind: str,
    user_id: int,
    now: datetime,
    call_id: int | None = None,
    query: str = "",
    note: str = "",
) -> KbFeedback:
    if kind not in (OPENED, UNHELPFUL):
        raise KbError(f"unknown feedback {kind[:20]!r}")
    row = KbFeedback(
        article_id=article.id,
        kind=kind,
        user_id=user_id,
        call_id=call_id,
        query=query.strip()[:MAX_QUERY],
        note=note.strip()[:500],
        at=now,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class Usage:
    article: KbArticle
    opened: int
    unhelpful: int


def usage(session: Session, since: datetime) -> list[Usage]:
    """Every article with its reads and "didn't help" presses since ``since``, most read first."""
    counts = (
        select(
            KbFeedback.article_id,
            func.sum(case((KbFeedback.kind == OPENED, 1), else_=0)).label("opened"),
            func.sum(case((KbFeedback.kind == UNHELPFUL, 1), else_=0)).label("unhelpful"),
        )
        .where(KbFeedback.at >= since)
        .group_by(KbFeedback.article_id)
        .subquery()
    )
    rows = session.execute(
        select(KbArticle, func.coalesce(counts.c.opened, 0), func.coalesce(counts.c.unhelpful, 0))
        .outerjoin(counts, counts.c.article_id == KbArticle.id)
        .order_by(KbArticle.active.desc(), func.coalesce(counts.c.opened, 0).desc(), KbArticle.title)
    )
    return [Usage(a, int(o), int(u)) for a, o, u in rows]


def complaints(session: Session, since: datetime, limit: int = 50) -> list[KbFeedback]:
    """The latest "didn't help" presses (with what was searched and the agent's note)."""
    return list(
        session.scalars(
            select(KbFeedback)
            .where(KbFeedback.kind == UNHELPFUL, KbFeedback.at >= since)
            .order_by(KbFeedback.at.desc(), KbFeedback.id.desc())
            .limit(limit)
        )
    )
