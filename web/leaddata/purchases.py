"""Vendors and purchases: recording a bought batch, drawing its sample, judging it.

The sample is drawn from the batch's records not handed out yet and moved
into a sample list of a campaign the director picks (a QA campaign): the
existing dialer dials it like any list, and the counts come from its
attempts and dispositions (``sample_counts``). The arithmetic and the verdict
are the core's (``orchestrator.leads.sampling``).
"""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, Select, and_, distinct, false, func, or_, select, update
from sqlalchemy.orm import Session

from orchestrator.leads.sampling import SampleCounts, Thresholds, Verdict, judge, sample_size
from store import dnc
from store.enums import Outcome, PurchaseState
from store.models import Attempt, Campaign, Disposition, DncEntry, Lead, LeadList, Purchase, Vendor
from store.types import utcnow
from web.sales.money import MoneyError, parse_money

#: Leads moved per UPDATE (well under any bound-parameter limit).
CHUNK = 5000


class PurchaseError(ValueError):
    """Bad input or a step out of order: the message is shown to the user as is."""


def pool(purchase_id: int) -> ColumnElement[bool]:
    """The batch's lists that hold records nobody was given yet (its imports)."""
    return and_(
        LeadList.purchase_id == purchase_id,
        LeadList.team_id.is_(None),
        ~LeadList.is_sample,
        LeadList.campaign_id.is_(None),
        LeadList.destroyed_at.is_(None),
        ~LeadList.importing,
    )


def untouched(session: Session, lists: ColumnElement[bool]) -> Select[tuple[int]]:
    """Ids of never-dialed records in those lists, oldest first (hand-outs take them in import order,
    so no one picks the best). The lists are looked up first: with their ids as constants the
    planner walks the leads' list index instead of the whole table in id order."""
    list_ids = list(session.scalars(select(LeadList.id).where(lists)))
    return (
        select(Lead.id)
        .where(Lead.list_id.in_(list_ids), Lead.attempts == 0, Lead.status == "new")
        .order_by(Lead.id)
    )


def count_in(session: Session, lists: ColumnElement[bool]) -> int:
    query = untouched(session, lists).order_by(None).with_only_columns(func.count())
    return session.scalar(query) or 0


def create_vendor(session: Session, name: str, contact: str, notes: str) -> Vendor:
    name = name.strip()
    if not name:
        raise PurchaseError("Give the vendor a name.")
    if session.scalar(select(Vendor.id).where(Vendor.name == name)):
        raise PurchaseError(f"A vendor named {name!r} exists already.")
    vendor = Vendor(name=name[:128], contact=contact.strip()[:255], notes=notes.strip())
    session.add(vendor)
    session.flush()
    return vendor


def _rate(raw: str, what: str, default: Decimal) -> Decimal:
    if not raw.strip():
        return default
    try:
        value = Decimal(raw.strip().rstrip("%")) / (100 if raw.strip().endswith("%") else 1)
    except InvalidOperation:
        raise PurchaseError(f"{what}: {raw!r} is not a number (write 0.8 or 80%).") from None
    if not Decimal(0) <= value <= Decimal(1):
        raise PurchaseError(f"{what} must lie between 0 and 1 (or 0% and 100%).")
    return value


def create_purchase(session: Session, form: dict[str, str]) -> Purchase:
    """A purchase from the form's strings; every bad field is refused with a reason."""
    vendor = session.get(Vendor, int(form["vendor_id"])) if form.get("vendor_id", "").isdigit() else None
    if vendor is None:
        raise PurchaseError("Choose the vendor.")
    batch = form.get("batch", "").strip()
    if not batch:
        raise PurchaseError("Give the batch its vendor's name or number.")
    try:
        purchased_on = date.fromisoformat(form.get("purchased_on", ""))
        expires = date.fromisoformat(form["licence_expires"]) if form.get("licence_expires") else None
    except ValueError:
        raise PurchaseError("Dates are written YYYY-MM-DD.") from None
    if expires is not None and expires < purchased_on:
        raise PurchaseError("The licence cannot expire before the purchase.")
    try:
        price = parse_money(form.get("price", ""), "price")
    except MoneyError as exc:
        raise PurchaseError(f"{str(exc).capitalize()}.") from None
    if price is None:
        raise PurchaseError("Give the price paid for the batch.")
    count = form.get("record_count", "").strip()
    if not count.isdigit() or int(count) < 1:
        raise PurchaseError("The record count is a whole number of at least 1.")
    consent = form.get("consent_basis", "").strip()
    if not consent:
        raise PurchaseError("Say on what licence or consent the records may be called.")
    d = Thresholds()
    purchase = Purchase(
        vendor=vendor,
        batch=batch[:128],
        purchased_on=purchased_on,
        price=price,
        record_count=int(count),
        consent_basis=consent[:255],
        licence_expires=expires,
        sample_margin=_rate(form.get("sample_margin", ""), "Margin", Decimal("0.05")),
        sample_confidence=_rate(form.get("sample_confidence", ""), "Confidence", Decimal("0.95")),
        min_valid=_rate(form.get("min_valid", ""), "Minimum valid-number rate", Decimal(str(d.min_valid))),
        min_connect=_rate(form.get("min_connect", ""), "Minimum connect rate", Decimal(str(d.min_connect))),
        min_right_party=_rate(
            form.get("min_right_party", ""), "Minimum right-party rate", Decimal(str(d.min_right_party))
        ),
        max_dnc=_rate(form.get("max_dnc", ""), "Maximum DNC rate", Decimal(str(d.max_dnc))),
        right_party_codes=",".join(
            c.strip() for c in form.get("right_party_codes", "").split(",") if c.strip()
        ),
    )
    if not Decimal(0) < purchase.sample_margin < 1 or not Decimal(0) < purchase.sample_confidence < 1:
        raise PurchaseError("Margin and confidence must lie strictly between 0 and 1.")
    session.add(purchase)
    session.flush()
    return purchase


def planned_sample(session: Session, purchase: Purchase) -> tuple[int, int]:
    """(records in the batch's pool, sample size for the purchase's margin and confidence)."""
    population = count_in(session, pool(purchase.id))
    return population, sample_size(
        population, float(purchase.sample_margin), float(purchase.sample_confidence)
    )


def draw_sample(session: Session, purchase: Purchase, campaign: Campaign, rng: random.Random) -> LeadList:
    """Move a random sample of the pool into a new sample list of ``campaign`` (dialed from then on)."""
    if purchase.state is not PurchaseState.RECEIVED:
        raise PurchaseError(f"The batch is {purchase.state.value}: its sample was drawn already.")
    ids = list(session.scalars(untouched(session, pool(purchase.id))))
    n = sample_size(len(ids), float(purchase.sample_margin), float(purchase.sample_confidence))
    if n == 0:
        raise PurchaseError("The batch holds no records yet: import its file first.")
    chosen = rng.sample(ids, n)
    sample = LeadList(
        name=f"{purchase.batch} sample"[:128],
        campaign_id=campaign.id,
        purchase_id=purchase.id,
        is_sample=True,
        active=True,
        source=f"sample of purchase {purchase.id}",
    )
    session.add(sample)
    session.flush()
    for i in range(0, n, CHUNK):
        session.execute(
            update(Lead)
            .where(Lead.id.in_(chosen[i : i + CHUNK]))
            .values(list_id=sample.id, campaign_id=campaign.id)
        )
    purchase.state = PurchaseState.SAMPLING
    return sample


def sample_counts(session: Session, purchase: Purchase) -> SampleCounts:
    """Count the sample's results per record, from its attempts, dispositions and the DNC list."""
    in_sample = Lead.list_id.in_(
        select(LeadList.id).where(LeadList.purchase_id == purchase.id, LeadList.is_sample)
    )
    sample_ids = select(Lead.id).where(in_sample)

    def leads_where(*conditions: ColumnElement[bool]) -> int:
        return records_dialed(session, sample_ids, *conditions)

    codes = [c for c in purchase.right_party_codes.split(",") if c]
    right = Attempt.disposition_id.in_(
        select(Disposition.id).where(
            or_(Disposition.is_sale, Disposition.code.in_(codes) if codes else false())
        )
    )
    dialed = leads_where()
    listed = select(DncEntry.phone).where(dnc.in_force(None, utcnow()))
    dnc_hits = (
        session.scalar(
            select(func.count())
            .select_from(Lead)
            .where(in_sample, or_(Lead.status == "dnc", Lead.phone.in_(listed)))
        )
        or 0
    )
    return SampleCounts(
        size=session.scalar(select(func.count()).select_from(Lead).where(in_sample)) or 0,
        dialed=dialed,
        valid=dialed - leads_where(Attempt.outcome == Outcome.INVALID_NUMBER),
        connected=leads_where(Attempt.outcome == Outcome.CONNECTED),
        right_party=leads_where(Attempt.outcome == Outcome.CONNECTED, right),
        dnc=dnc_hits,
    )


def records_dialed(session: Session, lead_ids: Select[tuple[int]], *conditions: ColumnElement[bool]) -> int:
    """Records among ``lead_ids`` with an ended, charged attempt meeting ``conditions`` (each counted once:
    the one definition of "dialed" for the sample test and the vendor report)."""
    ended = and_(
        Attempt.lead_id.in_(lead_ids),
        Attempt.ended_at.is_not(None),
        Attempt.outcome.is_not(None),
        Attempt.outcome != Outcome.REFUSED,
        *conditions,
    )
    return session.scalar(select(func.count(distinct(Attempt.lead_id))).where(ended)) or 0


def thresholds(purchase: Purchase) -> Thresholds:
    return Thresholds(
        min_valid=float(purchase.min_valid),
        min_connect=float(purchase.min_connect),
        min_right_party=float(purchase.min_right_party),
        max_dnc=float(purchase.max_dnc),
    )


def verdict(session: Session, purchase: Purchase) -> tuple[SampleCounts, Verdict]:
    counts = sample_counts(session, purchase)
    return counts, judge(counts, thresholds(purchase))


def decide(session: Session, purchase: Purchase, accept: bool, user_id: int, note: str) -> Verdict:
    """Accept (only what passes) or reject the batch; the counts it was judged on are kept with it."""
    if purchase.state is not PurchaseState.SAMPLING:
        raise PurchaseError(f"The batch is {purchase.state.value}: only a batch under test is decided.")
    counts, result = verdict(session, purchase)
    if accept and not result.accepted:
        raise PurchaseError("The sample does not pass: " + "; ".join(result.reasons) + ".")
    if not accept and not note.strip():
        raise PurchaseError("Say why the batch is rejected.")
    purchase.state = PurchaseState.ACCEPTED if accept else PurchaseState.REJECTED
    purchase.sample_result = asdict(counts)
    purchase.decided_at, purchase.decided_by_id, purchase.decision_note = utcnow(), user_id, note.strip()
    if not accept:  # nothing of a rejected batch is dialed any more
        session.execute(update(LeadList).where(LeadList.purchase_id == purchase.id).values(active=False))
    return result
