"""The knowledge base (FAQ): articles the trainer writes, every saved version, and the agents' use of them.

An article row holds the current text (what agents search); each save also appends a version with
who wrote it and when, so the trainer can see what an article said when an agent read it. Agents'
reads and their "didn't help" presses are rows of ``kb_feedback``: the trainer's page counts them.

The full-text index is not a model: on SQLite it is the FTS5 table ``kb_articles_fts`` (trigram
tokenizer, external content, kept in step by triggers on ``kb_articles``); on PostgreSQL a GIN
``pg_trgm`` index on the searched text (``ix_kb_articles_trgm``). Both are created by migration 0026
and named in ``SEARCH_INDEX_NAMES`` so autogenerate leaves them alone. A later SQLite batch migration
of ``kb_articles`` (copy, drop, rename) drops the triggers: it must create them again, as 0026 does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, CreatedAt
from store.models.calls import Call
from store.models.people import User
from store.types import BigId, UtcDateTime

#: The search index's tables (SQLite's FTS5 table and its shadow tables share the prefix) and index.
SEARCH_INDEX_NAMES = ("kb_articles_fts", "ix_kb_articles_trgm")


def is_search_index(name: str | None) -> bool:
    """Whether a table or index name is part of the knowledge base's search index (not a model)."""
    return bool(name) and any(str(name).startswith(n) for n in SEARCH_INDEX_NAMES)


class KbArticle(CreatedAt, Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(255), default="")  # comma-separated, as typed
    product: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(default=True)  # retired articles leave the agents' search
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    updated_by: Mapped[User | None] = relationship()
    versions: Mapped[list[KbArticleVersion]] = relationship(
        back_populates="article", order_by="KbArticleVersion.number", cascade="all, delete-orphan"
    )


class KbArticleVersion(Base):
    """The article as one save left it."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(255), default="")
    product: Mapped[str] = mapped_column(String(64), default="")
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime] = mapped_column(UtcDateTime)

    article: Mapped[KbArticle] = relationship(back_populates="versions")
    edited_by: Mapped[User | None] = relationship()


class KbFeedback(Base):
    """An agent opened an article (``opened``: "most used") or said it did not help (``unhelpful``)."""

    __tablename__ = "kb_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # opened, unhelpful
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    call_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("calls.id", ondelete="SET NULL"))
    query: Mapped[str] = mapped_column(String(200), default="")  # what the agent had searched for
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    user: Mapped[User | None] = relationship()
    call: Mapped[Call | None] = relationship()
