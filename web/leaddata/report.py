"""The vendor quality report: what each vendor's records turned into, and what that cost.

Counted over every record of the vendor's batches that was dialed (sample and
hand-outs alike, destroyed or not: attempts and orders outlive the personal
data), so the history accumulates batch after batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.enums import Outcome, PurchaseState
from store.models import Attempt, Lead, LeadList, Order, Purchase, Vendor
from web.leaddata.purchases import records_dialed


@dataclass(frozen=True)
class VendorQuality:
    vendor: str
    batches: int
    records: int  # as invoiced
    price: Decimal
    dialed: int
    valid: int
    contacts: int
    sales: int  # order lines
    accepted: int  # in use now
    rejected: int
    destroyed: int

    @staticmethod
    def _per(price: Decimal, n: int) -> Decimal | None:
        return (price / n).quantize(Decimal("0.01")) if n else None

    @property
    def per_valid(self) -> Decimal | None:
        return self._per(self.price, self.valid)

    @property
    def per_contact(self) -> Decimal | None:
        return self._per(self.price, self.contacts)

    @property
    def per_sale(self) -> Decimal | None:
        return self._per(self.price, self.sales)


def vendor_quality(session: Session) -> list[VendorQuality]:
    out = []
    for vendor in session.scalars(select(Vendor).order_by(Vendor.name)):
        batches = select(Purchase.id).where(Purchase.vendor_id == vendor.id)
        leads = (
            select(Lead.id)
            .join(LeadList, Lead.list_id == LeadList.id)
            .where(LeadList.purchase_id.in_(batches))
        )
        dialed = records_dialed(session, leads)
        sums = session.execute(
            select(
                func.count(Purchase.id),
                func.coalesce(func.sum(Purchase.record_count), 0),
                func.coalesce(func.sum(Purchase.price), 0),
            ).where(Purchase.vendor_id == vendor.id)
        ).one()
        states = dict(
            session.execute(
                select(Purchase.state, func.count())
                .where(Purchase.vendor_id == vendor.id)
                .group_by(Purchase.state)
            )
            .tuples()
            .all()
        )
        out.append(
            VendorQuality(
                vendor=vendor.name,
                batches=int(sums[0]),
                records=int(sums[1]),
                price=Decimal(sums[2]).quantize(Decimal("0.01")),
                dialed=dialed,
                valid=dialed - records_dialed(session, leads, Attempt.outcome == Outcome.INVALID_NUMBER),
                contacts=records_dialed(session, leads, Attempt.outcome == Outcome.CONNECTED),
                sales=session.scalar(
                    select(func.count(Order.id)).where(
                        Order.attempt_id.in_(select(Attempt.id).where(Attempt.lead_id.in_(leads)))
                    )
                )
                or 0,
                accepted=states.get(PurchaseState.ACCEPTED, 0),
                rejected=states.get(PurchaseState.REJECTED, 0),
                destroyed=states.get(PurchaseState.DESTROYED, 0),
            )
        )
    return out
