"""Abandon-rate counts: ``ComplianceCounted`` is added to this node's minute bucket (``abandon_buckets``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orchestrator.dialer import facts as f
from runner.fact_writers import Target, writes
from store import compliance


@writes(f.ComplianceCounted)
def counted(to: Target, s: Session, fact: f.ComplianceCounted) -> None:
    compliance.add_counts(s, fact.campaign_id, to.node_id, fact.at, live_answers=fact.live_answers,
                          abandons=fact.abandons, machines=fact.machines)
