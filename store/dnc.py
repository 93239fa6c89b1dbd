"""Do-not-call lookups, backing the core's ``DncList`` port (checked right before every dial)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from store.models import DncEntry


def is_blocked(session: Session, phone: str, campaign_id: int | None, now: datetime) -> bool:
    """True if ``phone`` is on the global list or this campaign's, and the entry has not expired."""
    scope = DncEntry.campaign_id.is_(None)
    if campaign_id is not None:
        scope = or_(scope, DncEntry.campaign_id == campaign_id)
    query = select(DncEntry.id).where(
        DncEntry.phone == phone,
        scope,
        or_(DncEntry.expires_at.is_(None), DncEntry.expires_at > now),
    )
    return session.scalars(query.limit(1)).first() is not None
