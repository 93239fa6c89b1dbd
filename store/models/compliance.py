"""Abandon-rate counts per campaign, per node, per minute (``orchestrator.compliance``).

Each runner adds its node's ``ComplianceCounted`` facts to its own rows
(``node_id`` is part of the key, so runners never contend for a row); the
campaign's rates are the sums over all nodes, read back with
``store.compliance``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base
from store.types import UtcDateTime


class AbandonBucket(Base):
    __tablename__ = "abandon_buckets"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)  # a whole minute
    live_answers: Mapped[int] = mapped_column(default=0)
    abandons: Mapped[int] = mapped_column(default=0)
    machines: Mapped[int] = mapped_column(default=0)


class PacingNote(Base):
    """Why a campaign's predictive policy dials as it does on one node (``PacingExplained``),
    for the wallboard: the latest explanation only, one row per campaign and node."""

    __tablename__ = "pacing_notes"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    reasons: Mapped[str] = mapped_column(String(255), default="")  # PacingReason values, comma-separated
    text: Mapped[str] = mapped_column(Text, default="")
