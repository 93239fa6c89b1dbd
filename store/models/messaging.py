"""SMS broadcasts and their messages (one row per recipient, sent through Kannel)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import ComplianceProfile, SmsBroadcastKind, SmsBroadcastState, SmsStatus
from store.models.base import Base, CreatedAt
from store.types import BigId, StrEnumType, UtcDateTime


class SmsBroadcast(CreatedAt, Base):
    """A template sent to a lead list or a campaign's outcome segment, from ``start_at`` at ``rate_per_s``.

    Messages are created with their filled text when the broadcast is saved (the
    recipients are those of that moment); do-not-call and quiet hours are checked
    when each one is sent.

    A campaign's post-call messages (a disposition's SMS) go through one broadcast
    of kind ``post_call`` per campaign, so they are sent, rate-limited, checked
    and reported on exactly as a broadcast's: messages are added to it one by one
    as agents save dispositions, and it stays open.
    """

    __tablename__ = "sms_broadcasts"
    __table_args__ = (Index("ux_sms_broadcasts_post_call", "campaign_id", unique=True,
                            postgresql_where=text("kind = 'post_call'"),
                            sqlite_where=text("kind = 'post_call'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    template: Mapped[str] = mapped_column(Text)
    list_id: Mapped[int | None] = mapped_column(ForeignKey("lead_lists.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    segment: Mapped[str] = mapped_column(String(255), default="")  # outcomes / disposition codes
    compliance_profile: Mapped[ComplianceProfile] = mapped_column(StrEnumType(ComplianceProfile))
    default_timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # numbers with no known zone
    rate_per_s: Mapped[float] = mapped_column(Float)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[SmsBroadcastState] = mapped_column(StrEnumType(SmsBroadcastState),
                                                      default=SmsBroadcastState.SCHEDULED)
    kind: Mapped[SmsBroadcastKind] = mapped_column(StrEnumType(SmsBroadcastKind),
                                                    default=SmsBroadcastKind.BROADCAST)

    messages: Mapped[list[SmsMessage]] = relationship(back_populates="broadcast", passive_deletes=True)


class SmsMessage(Base):
    """One recipient's message; ``id`` is what the dlr-url carries back, so reports find it."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        # The sender's "next due of this broadcast, oldest first" reads the index in order.
        Index("ix_sms_messages_broadcast_id_status_id", "broadcast_id", "status", "id"),
        # Its per-tick look for messages left "sending" reads only those, however large the table.
        Index("ix_sms_messages_sending", "status", postgresql_where=text("status = 'sending'"),
              sqlite_where=text("status = 'sending'")),
        # And every few seconds for those accepted still waiting for a report (the few in flight).
        Index("ix_sms_messages_accepted", "accepted_at", postgresql_where=text("status = 'accepted'"),
              sqlite_where=text("status = 'accepted'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("sms_broadcasts.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    # A post-call message: the call it follows (one message per call, however often it is disposed).
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("attempts.id", ondelete="SET NULL"),
                                                         unique=True)
    phone: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))  # the lead's explicit zone
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[SmsStatus] = mapped_column(StrEnumType(SmsStatus), default=SmsStatus.QUEUED)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime)  # deferred by quiet hours
    marked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # marked "sending"
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the latest delivery report
    report_type: Mapped[int | None] = mapped_column()  # Kannel's dlr type: 1 delivered, 2 failed, 8 sent ...
    attempts: Mapped[int] = mapped_column(default=0)  # sendsms requests made for it
    error: Mapped[str] = mapped_column(String(255), default="")

    broadcast: Mapped[SmsBroadcast] = relationship(back_populates="messages")
