"""Live monitoring sessions: the audit of who listened to, whispered to or barged in on whom."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orchestrator.monitor import MonitorMode
from store.models.base import Base, CreatedAt
from store.models.people import Agent, Seat
from store.types import StrEnumType, UtcDateTime


class MonitorSession(CreatedAt, Base):
    """One team leader's session on one agent's call; ``created_at`` is when they asked.

    The web writes the row (who, whom, mode, from which seat) with the desk request; the
    runner fills in the rest as it happens: the legs, ``started_at`` when the team leader's
    phone answered, ``ended_at`` and ``outcome`` (why it ended, or why it never started).
    ``supervisor`` keeps the name after the user is deleted, as ``audit_log.actor`` does.
    """

    __tablename__ = "monitor_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    supervisor: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    seat_id: Mapped[int | None] = mapped_column(ForeignKey("seats.id", ondelete="SET NULL"))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="SET NULL"))
    mode: Mapped[MonitorMode] = mapped_column(StrEnumType(MonitorMode))
    channel_id: Mapped[str | None] = mapped_column(String(80))  # the team leader's leg
    agent_leg: Mapped[str | None] = mapped_column(String(80))
    call_attempt: Mapped[str | None] = mapped_column(String(80))  # the customer call monitored
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(255), default="", server_default="")

    agent: Mapped[Agent | None] = relationship()
    seat: Mapped[Seat | None] = relationship()
