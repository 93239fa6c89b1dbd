"""Faxes sent and received (issue 16): the documents live in the database, so the web app and the
node's runner (which may run on different hosts) share them through it, as everything else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.enums import FaxInStatus, FaxStatus
from store.models.base import Base, CreatedAt
from store.types import StrEnumType, UtcDateTime


class FaxOut(CreatedAt, Base):
    """A fax to send: the uploaded document, where to, and how its tries went.

    ``node_id`` is the node whose runner took it (None: still waiting for one); that runner
    converts the document, sends it through its fax lines and writes the result here.
    """

    __tablename__ = "faxes_out"
    __table_args__ = (Index("ix_faxes_out_status_node_id", "status", "node_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    destination: Mapped[str] = mapped_column(String(16))  # E.164, "+" included
    document_name: Mapped[str] = mapped_column(String(255))
    document: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # the upload: PDF, PNG or TIFF
    status: Mapped[FaxStatus] = mapped_column(StrEnumType(FaxStatus), default=FaxStatus.QUEUED)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pages: Mapped[int | None] = mapped_column()  # pages of the converted document
    pages_sent: Mapped[int] = mapped_column(default=0)  # confirmed by the far end, on the last try
    remote_station: Mapped[str] = mapped_column(String(64), default="")  # the far end's station id (TSI/CSI)
    error: Mapped[str] = mapped_column(String(255), default="")  # the PBX's fax error, or why it failed
    attempts: Mapped[int] = mapped_column(default=0)
    channel_id: Mapped[str | None] = mapped_column(String(64))  # the last try's channel on the PBX
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the last try started
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FaxIn(Base):
    """A fax sent to one of our DIDs: its PDF (received pages), who it is for, notes.

    A fax turned away busy (every line taken) is a row too, status ``busy`` and no PDF: the
    inbox counts them.
    """

    __tablename__ = "faxes_in"
    __table_args__ = (Index("ix_faxes_in_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_nodes.id", ondelete="SET NULL"))
    status: Mapped[FaxInStatus] = mapped_column(StrEnumType(FaxInStatus))
    sender: Mapped[str] = mapped_column(String(32), default="")  # the caller's number
    did: Mapped[str] = mapped_column(String(32), default="")  # our number it was sent to
    remote_station: Mapped[str] = mapped_column(String(64), default="")
    pages: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(255), default="")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
