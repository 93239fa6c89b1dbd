"""Bought lead data: vendors, their batches (purchases), hand-outs down the teams, destruction certificates.

A purchase's records live in ordinary lead lists (``LeadList.purchase_id``):
the import list holds what is not handed out yet, each hand-out moves records
into a list of its own held by a team (``team_id``), an agent (``agent_id``)
and/or a campaign, and the sample test draws its records into a sample list
(``is_sample``). So the dialer, the lists page and the imports need nothing new,
and "who holds what" is a GROUP BY over lists.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import PurchaseState
from store.models.base import Base, CreatedAt
from store.models.campaigns import Campaign
from store.models.people import Agent, Team, User
from store.types import JsonType, StrEnumType, UtcDateTime

MONEY = Numeric(13, 2)
RATE = Numeric(5, 4)


class Vendor(CreatedAt, Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    contact: Mapped[str] = mapped_column(String(255), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    purchases: Mapped[list[Purchase]] = relationship(back_populates="vendor", order_by="Purchase.id")


class Purchase(CreatedAt, Base):
    """One batch bought from a vendor, with the terms its records may be used under.

    The sample test's thresholds are stored with the batch, so a verdict can
    be re-read later against the bar it was judged by.
    """

    __tablename__ = "purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    batch: Mapped[str] = mapped_column(String(128))
    purchased_on: Mapped[date] = mapped_column(Date)
    price: Mapped[Decimal] = mapped_column(MONEY)
    record_count: Mapped[int]  # as invoiced (the import may reject some)
    consent_basis: Mapped[str] = mapped_column(String(255))  # the licence / consent the vendor warrants
    licence_expires: Mapped[date | None] = mapped_column(Date, index=True)
    state: Mapped[PurchaseState] = mapped_column(
        StrEnumType(PurchaseState),
        default=PurchaseState.RECEIVED,
        server_default=PurchaseState.RECEIVED.value,
    )

    sample_margin: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.05"))
    sample_confidence: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.95"))
    min_valid: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.80"))
    min_connect: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.30"))
    min_right_party: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.50"))
    max_dnc: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.05"))
    #: Disposition codes that mean "the right person" (a sale always does), comma-separated.
    right_party_codes: Mapped[str] = mapped_column(String(255), default="")
    #: The measured counts when the verdict was given (``orchestrator.leads.sampling.SampleCounts``).
    sample_result: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    vendor: Mapped[Vendor] = relationship(back_populates="purchases")
    decided_by: Mapped[User | None] = relationship()


class Handout(Base):
    """One hand-out of records: who gave how many of which batch to whom, when.

    Never updated or deleted (destroying the records keeps the log): it is the
    transparency the customer asks for, that no one quietly keeps the best records.
    """

    __tablename__ = "handouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id", ondelete="CASCADE"), index=True)
    list_id: Mapped[int | None] = mapped_column(ForeignKey("lead_lists.id", ondelete="SET NULL"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    records: Mapped[int]
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    purchase: Mapped[Purchase] = relationship()
    by: Mapped[User | None] = relationship()
    team: Mapped[Team | None] = relationship()
    agent: Mapped[Agent | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()


class DestructionCertificate(Base):
    """Proof that records were destroyed: what, how many, when, by whom (None: the scheduled job).

    ``digest`` chains to ``previous`` (``orchestrator.leads.destruction``), so
    no certificate can be changed or removed afterwards without it showing.
    """

    __tablename__ = "destruction_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchases.id", ondelete="SET NULL"), index=True
    )
    facts: Mapped[dict[str, Any]] = mapped_column(JsonType)  # lists, records, recordings, reason, who, when
    previous: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    purchase: Mapped[Purchase | None] = relationship()
