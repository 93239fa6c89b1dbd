"""Append-mostly tables: agent state log, audit log, and the web-to-runner command queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import AgentState, DeskRequestStatus
from store.models.base import Base, CreatedAt
from store.models.people import Agent, User
from store.types import BigId, JsonType, StrEnumType, UtcDateTime, utcnow


class AgentStateLog(Base):
    """One interval of one agent in one state; ``ended_at`` NULL while current.

    Occupancy over a period is the sum of the intervals clipped to it.
    """

    __tablename__ = "agent_state_log"
    __table_args__ = (
        Index("ix_agent_state_log_agent_id_started_at", "agent_id", "started_at"),
        Index(
            "ix_agent_state_log_open",
            "agent_id",
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    state: Mapped[AgentState] = mapped_column(StrEnumType(AgentState))
    reason: Mapped[str] = mapped_column(String(64), default="")  # pause reason code
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    agent: Mapped[Agent] = relationship()


class AuditLog(Base):
    """Who did what, when. ``actor`` keeps the name even after the user is deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target_type_target_id", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, server_default=func.now(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User | None] = relationship()


class DeskRequest(CreatedAt, Base):
    """What the web asks a runner to do for an agent, carried out by the runner (the database is the bus).

    Not a PBX command (``orchestrator.commands``): the runner turns it into an
    input of the core, which decides the PBX commands. ``node_id`` NULL means
    any runner may take it. ``kind`` is a ``DeskCommand`` value, kept as a
    string so that a runner refuses a kind it does not know (with the reason)
    instead of failing to read the row; its arguments are in ``payload``.
    The table keeps its first name, ``commands``.
    """

    __tablename__ = "commands"
    __table_args__ = (
        Index(
            "ix_commands_pending",
            "node_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[DeskRequestStatus] = mapped_column(
        StrEnumType(DeskRequestStatus), default=DeskRequestStatus.PENDING,
        server_default=DeskRequestStatus.PENDING.value,
    )
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("leads.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    taken_by: Mapped[str | None] = mapped_column(String(64))
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str] = mapped_column(Text, default="")
