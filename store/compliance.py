"""Persisted abandon-rate counts: each node adds its own minute buckets, readers sum the nodes.

The runner writes ``ComplianceCounted`` facts with :func:`add_counts` and
restores its ``AbandonCounter`` from :func:`campaign_buckets` (all nodes), so
pacing on one node sees the campaign's rate over every node. The UI reads
:func:`campaign_windows`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.compliance import BUCKET_S, WINDOWS, AbandonCounter, Bucket, ComplianceProfile
from orchestrator.pacing.base import AbandonWindow
from store.models import AbandonBucket


def minute(at: float) -> datetime:
    """The start of ``at``'s bucket, as stored."""
    return datetime.fromtimestamp(at - at % BUCKET_S, UTC)


def add_counts(session: Session, campaign_id: int, node_id: int, at: float, *,
               live_answers: int = 0, abandons: int = 0, machines: int = 0) -> None:
    """Add one increment to this node's bucket (one writer per node: no contention)."""
    key = (campaign_id, node_id, minute(at))
    row = session.get(AbandonBucket, key)
    if row is None:
        row = AbandonBucket(campaign_id=campaign_id, node_id=node_id, start=key[2],
                            live_answers=0, abandons=0, machines=0)
        session.add(row)
    row.live_answers += live_answers
    row.abandons += abandons
    row.machines += machines


def campaign_buckets(session: Session, campaign_id: int, now: datetime) -> list[Bucket]:
    """The campaign's buckets over the longest window, summed over all nodes, oldest first."""
    since = now - timedelta(seconds=max(WINDOWS) + BUCKET_S)
    rows = session.execute(
        select(AbandonBucket.start, func.sum(AbandonBucket.live_answers), func.sum(AbandonBucket.abandons),
               func.sum(AbandonBucket.machines))
        .where(AbandonBucket.campaign_id == campaign_id, AbandonBucket.start >= since)
        .group_by(AbandonBucket.start)
        .order_by(AbandonBucket.start)
    )
    return [Bucket(start.timestamp(), int(live), int(abandons), int(machines))
            for start, live, abandons, machines in rows]


def campaign_windows(session: Session, campaign_id: int, now: datetime, *,
                     profile: ComplianceProfile = ComplianceProfile.US,
                     amd_false_positive_rate: float = 0.0) -> tuple[AbandonWindow, ...]:
    """The campaign's rolling 24 h and 30-day windows (``orchestrator.compliance.abandon_rate`` of each)."""
    counter = AbandonCounter(profile, amd_false_positive_rate)
    counter.restore(campaign_buckets(session, campaign_id, now))
    return counter.windows(now.timestamp())
