"""What happened on the wire: attempts (our intent), calls (the PBX's view), recordings.

No table keeps a call's legs (its channels): the core follows them by the
events' ``channel_id``/``call_id`` while the call lasts, and the PBX's own CDR
keeps them afterwards; nothing here asks which channels a call had.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, SmallInteger, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import AmdVerdict, CallDirection, Outcome, QueueOutcome, RecordingStatus
from store.models.base import Base, CreatedAt
from store.models.campaigns import Campaign, Disposition, Lead
from store.models.people import Agent, PbxNode
from store.types import BigId, StrEnumType, UtcDateTime


class Attempt(CreatedAt, Base):
    """One dial of one lead.

    The id is generated before the originate and travels as the channel
    variable ``sb_attempt_id``, so every PBX event maps back to this row.
    ``ended_at IS NULL`` means "in flight" (see ``leads.release_stale_claims``).
    """

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_campaign_id_created_at", "campaign_id", "created_at"),
        # Reports and the wallboard select a time range across all campaigns.
        Index("ix_attempts_created_at", "created_at"),
        # Dials of one number over a rolling window, whatever the campaign (compliance profiles).
        Index("ix_attempts_phone_created_at", "phone", "created_at"),
        Index(
            "ix_attempts_open",
            "node_id",
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        # The agent panel's call on screen (``web.agent.services.current_attempt``): the agent's last
        # connected call still waiting for a disposition, read on every live update of the panel. Most
        # agents have none: without it the newest-first scan read every attempt (1 M: 0.4-1.1 s).
        Index(
            "ix_attempts_awaiting_disposition",
            "agent_id",
            "created_at",
            postgresql_where=text("bridged_at IS NOT NULL AND disposition_id IS NULL"),
            sqlite_where=text("bridged_at IS NOT NULL AND disposition_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lead_id: Mapped[int] = mapped_column(BigId, ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    phone: Mapped[str] = mapped_column(String(16))  # as dialed, even if the lead is edited later
    channel_id: Mapped[str | None] = mapped_column(String(64), index=True)

    originated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    amd_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    bridged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    outcome: Mapped[Outcome | None] = mapped_column(StrEnumType(Outcome))
    hangup_cause: Mapped[int | None] = mapped_column(SmallInteger)  # Q.850
    amd_verdict: Mapped[AmdVerdict | None] = mapped_column(StrEnumType(AmdVerdict))
    amd_cause: Mapped[str | None] = mapped_column(String(64))
    abandoned: Mapped[bool] = mapped_column(default=False)

    disposition_id: Mapped[int | None] = mapped_column(ForeignKey("dispositions.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")

    lead: Mapped[Lead] = relationship()
    campaign: Mapped[Campaign] = relationship()
    node: Mapped[PbxNode | None] = relationship()
    agent: Mapped[Agent | None] = relationship()
    disposition: Mapped[Disposition | None] = relationship()
    calls: Mapped[list[Call]] = relationship(back_populates="attempt")

    def __init__(self, **kwargs: Any) -> None:
        # The id is needed before the row is flushed: it goes into the originate.
        kwargs.setdefault("id", uuid.uuid4())
        super().__init__(**kwargs)


class Call(CreatedAt, Base):
    """A call as the PBX saw it; outbound calls belong to an attempt, inbound ones will not.

    The runner writes one per attempt it starts (``runner.persist``); calls that
    reach the node (``CallArrived``) get theirs from the unit that takes them.
    """

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("attempts.id", ondelete="SET NULL"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="SET NULL"))
    direction: Mapped[CallDirection] = mapped_column(StrEnumType(CallDirection))
    # Indexed: a customer's history finds their calls by number, inbound (caller) and outbound (callee).
    caller: Mapped[str] = mapped_column(String(64), default="", index=True)
    callee: Mapped[str] = mapped_column(String(64), default="", index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hangup_cause: Mapped[int | None] = mapped_column(SmallInteger)
    # Inbound calls (no attempt): the PBX's call id, the route, the queue's outcome, wait and agent.
    pbx_call_id: Mapped[str | None] = mapped_column(String(64), index=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_routes.id", ondelete="SET NULL"))
    queue_outcome: Mapped[QueueOutcome | None] = mapped_column(StrEnumType(QueueOutcome))
    queue_wait_s: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    # A voicemail or callback request (``queue_outcome``) someone dealt with: who, when.
    followed_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    followed_up_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    attempt: Mapped[Attempt | None] = relationship(back_populates="calls")
    node: Mapped[PbxNode | None] = relationship()
    recordings: Mapped[list[Recording]] = relationship(back_populates="call")

    @property
    def customer(self) -> str:
        """The customer's number: who called us (inbound), else whom we called."""
        return self.caller if self.direction is CallDirection.INBOUND else self.callee


class Recording(CreatedAt, Base):
    """An audio file of a call (what the PBX recorded, and what the web host found in the file)."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="SET NULL"), index=True
    )
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("attempts.id", ondelete="SET NULL"), index=True
    )
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(String(512), unique=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    duration_s: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    size_bytes: Mapped[int | None] = mapped_column(BigId)
    #: Set by the web host once the call has ended (``web.calls.wav``); NULL until then.
    status: Mapped[RecordingStatus | None] = mapped_column(StrEnumType(RecordingStatus), index=True)
    status_reason: Mapped[str] = mapped_column(String(255), default="", server_default="")
    #: The lead's batch was destroyed but the compliance profile keeps recordings this long: the
    #: scheduled destruction job deletes the file then.
    purge_after: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)

    call: Mapped[Call | None] = relationship(back_populates="recordings")
    node: Mapped[PbxNode | None] = relationship()
    attempt: Mapped[Attempt | None] = relationship()


class CallTransfer(Base):
    """One blind transfer of a call's customer from one agent to another (``orchestrator.node.transfer``).

    Written by the runner when the PBX was told to bridge (the call detail page's timeline shows it).
    The first agent's part of the call stays theirs to classify: ``from_disposition_id`` and
    ``from_notes`` are what they saved after handing it on; the call's own disposition (the lead's
    outcome) is the receiving agent's, on the attempt as for any call.
    """

    __tablename__ = "call_transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="SET NULL"))
    from_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    to_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("commands.id", ondelete="SET NULL"))
    from_disposition_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispositions.id", ondelete="SET NULL")
    )
    from_notes: Mapped[str] = mapped_column(Text, default="", server_default="")

    from_agent: Mapped[Agent | None] = relationship(foreign_keys=[from_agent_id])
    to_agent: Mapped[Agent | None] = relationship(foreign_keys=[to_agent_id])
    from_disposition: Mapped[Disposition | None] = relationship()
