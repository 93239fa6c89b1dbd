"""Order lines: taken by the agent at disposition, cancelled or refunded later by a supervisor.

A refund is money back on a paid order, at most what is left of it; a
cancellation ends an order, paid or not, and takes back all that was left of
the sale. Both are rows of ``order_refunds`` (the part of the sale that no
longer counts), dated now: commission is clawed back in that period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.enums import PaymentStatus
from store.models import Agent, Attempt, Order, OrderRefund, Product
from store.types import utcnow
from web.sales.money import MoneyError, parse_money

MAX_QUANTITY = 10_000
MAX_LINES = 20


class OrderError(ValueError):
    pass


@dataclass(frozen=True)
class LineInput:
    """One order line as typed: all text, checked by ``check_lines``."""

    product_id: str = ""
    quantity: str = ""
    amount: str = ""
    payment: str = ""

    @property
    def blank(self) -> bool:
        return not (self.product_id.strip() or self.amount.strip())


@dataclass(frozen=True)
class LineSpec:
    product: Product
    quantity: int
    amount: Decimal
    payment: PaymentStatus


def _small_int(text: str) -> int | None:
    """A plain count or id as typed (ASCII digits, at most 9 of them: no "²", no 64-bit overflow)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def check_lines(session: Session, typed: Sequence[LineInput]) -> list[LineSpec]:
    """The typed lines that are not blank, checked; the first problem is an ``OrderError``."""
    specs = []
    lines = [t for t in typed if not t.blank]
    if len(lines) > MAX_LINES:
        raise OrderError(f"at most {MAX_LINES} order lines per call")
    for n, line in enumerate(lines, 1):
        product_id = _small_int(line.product_id)
        product = session.get(Product, product_id) if product_id is not None else None
        if product is None or not product.active:
            raise OrderError(f"order line {n}: choose a product of the catalogue")
        quantity = _small_int(line.quantity or "1")
        if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
            raise OrderError(f"order line {n}: the quantity is a whole number from 1 to {MAX_QUANTITY}")
        try:
            amount = parse_money(line.amount, f"order line {n}: the amount")
        except MoneyError as exc:
            raise OrderError(str(exc)) from None
        try:
            payment = PaymentStatus(line.payment or PaymentStatus.PENDING.value)
        except ValueError:
            raise OrderError(f"order line {n}: the payment is pending or paid") from None
        total = product.price * quantity if amount is None else amount
        specs.append(LineSpec(product, quantity, total, payment))
    return specs


def take_orders(session: Session, agent: Agent, attempt: Attempt, specs: Sequence[LineSpec]) -> list[Order]:
    """The call's order lines become ``specs``: a disposition given again replaces what it gave before,
    unless a supervisor already refunded or cancelled some of it."""
    before = list(session.scalars(select(Order).where(Order.attempt_id == attempt.id)))
    if any(o.refunds for o in before):
        raise OrderError("this call's orders were refunded or cancelled since: ask a supervisor")
    for order in before:
        session.delete(order)
    now = utcnow()
    orders = [
        Order(attempt_id=attempt.id, agent_id=agent.id, team_id=agent.team_id,
              campaign_id=attempt.campaign_id, product_id=s.product.id,
              quantity=s.quantity, amount=s.amount, payment=s.payment, sold_at=now)
        for s in specs
    ]
    session.add_all(orders)
    return orders


def refund(session: Session, order: Order, amount_text: str, reason: str, user_id: int) -> OrderRefund:
    """Money back on a paid order, at most what is left of it."""
    if order.cancelled:
        raise OrderError("this order is cancelled")
    if order.payment is not PaymentStatus.PAID:
        raise OrderError("only a paid order can be refunded (cancel an unpaid one)")
    try:
        amount = parse_money(amount_text, "the refund")
    except MoneyError as exc:
        raise OrderError(str(exc)) from None
    left = order.amount - order.refunded
    if amount is None or amount <= 0:
        raise OrderError("give the amount refunded (more than 0)")
    if amount > left:
        raise OrderError(f"at most {left} is left to refund on this order")
    return _money_back(session, order, amount, reason, user_id, cancels=False)


def cancel(session: Session, order: Order, reason: str, user_id: int) -> OrderRefund:
    """End the order: what was left of the sale no longer counts (for sales or commission)."""
    if order.cancelled:
        raise OrderError("this order is cancelled already")
    return _money_back(session, order, order.amount - order.refunded, reason, user_id, cancels=True)


def _money_back(
    session: Session, order: Order, amount: Decimal, reason: str, user_id: int, cancels: bool
) -> OrderRefund:
    row = OrderRefund(order=order, amount=amount, refunded_at=utcnow(), cancels=cancels,
                      reason=reason.strip()[:255], by_id=user_id)
    session.add(row)
    return row


def active_products(session: Session) -> list[Product]:
    """What an agent can sell: the catalogue's active products, by name."""
    return list(session.scalars(select(Product).where(Product.active).order_by(Product.name)))
