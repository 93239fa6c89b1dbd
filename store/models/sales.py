"""Sales: the product catalogue, order lines taken at disposition, refunds, commission rules.

An order line belongs to the call (attempt) it was sold on, and keeps the
agent, team and campaign of that moment, so a call purged later or an agent
moved to another team does not move the sale or its commission. A refund or
a cancellation is a row of ``order_refunds`` (a cancellation refunds what
was left): money back is one concept, dated when it happens, which is when
commission is clawed back (``orchestrator.sales.commission``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.enums import PaymentStatus
from store.models.base import Base, CreatedAt
from store.models.calls import Attempt
from store.models.people import Agent, Team, User
from store.types import BigId, StrEnumType, UtcDateTime

MONEY = Numeric(13, 2)  # 0 to 10^10 yuan, cents
PERCENT = Numeric(5, 2)


class Product(CreatedAt, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    price: Mapped[Decimal] = mapped_column(MONEY)
    active: Mapped[bool] = mapped_column(default=True)


class Order(CreatedAt, Base):
    """One order line: a product, a quantity and what the customer pays for them."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_sold_at", "sold_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("attempts.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    # None: a sale recorded before the catalogue (migrated from attempts.sale_amount).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(default=1)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    payment: Mapped[PaymentStatus] = mapped_column(StrEnumType(PaymentStatus), default=PaymentStatus.PENDING)
    sold_at: Mapped[datetime] = mapped_column(UtcDateTime)

    attempt: Mapped[Attempt | None] = relationship()
    agent: Mapped[Agent | None] = relationship()
    team: Mapped[Team | None] = relationship()
    product: Mapped[Product | None] = relationship()
    refunds: Mapped[list[OrderRefund]] = relationship(back_populates="order", order_by="OrderRefund.id")

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal("0.00"))

    @property
    def cancelled(self) -> bool:
        return any(r.cancels for r in self.refunds)


class OrderRefund(CreatedAt, Base):
    """Money given back on an order (``cancels``: the order was cancelled, refunding what was left)."""

    __tablename__ = "order_refunds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    refunded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    cancels: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(255), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    order: Mapped[Order] = relationship(back_populates="refunds")
    by: Mapped[User | None] = relationship()


class CommissionRule(CreatedAt, Base):
    """Commission percentages for a period, for one product, one campaign or (neither) all sales."""

    __tablename__ = "commission_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    agent_pct: Mapped[Decimal] = mapped_column(PERCENT)
    leader_pct: Mapped[Decimal] = mapped_column(PERCENT)
    director_pct: Mapped[Decimal] = mapped_column(PERCENT)
    others_pct: Mapped[Decimal] = mapped_column(PERCENT)

    product: Mapped[Product | None] = relationship()
