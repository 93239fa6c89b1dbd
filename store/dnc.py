"""Do-not-call lookups, backing the core's ``DncList`` port (checked right before every dial)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from store.models import DncEntry


def in_force(campaign_id: int | None, now: datetime) -> ColumnElement[bool]:
    """The entries binding ``campaign_id`` at ``now``: the global list's and the campaign's own, unexpired."""
    scope: ColumnElement[bool] = DncEntry.campaign_id.is_(None)
    if campaign_id is not None:
        scope = or_(scope, DncEntry.campaign_id == campaign_id)
    return and_(scope, or_(DncEntry.expires_at.is_(None), DncEntry.expires_at > now))


def is_blocked(session: Session, phone: str, campaign_id: int | None, now: datetime) -> bool:
    """True if ``phone`` is on the global list or this campaign's, and the entry has not expired."""
    query = select(DncEntry.id).where(DncEntry.phone == phone, in_force(campaign_id, now))
    return session.scalars(query.limit(1)).first() is not None
