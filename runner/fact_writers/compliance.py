"""Abandon-rate counts: ``ComplianceCounted`` is added to this node's minute bucket (``abandon_buckets``);
``PacingExplained`` replaces the node's note on why the campaign dials as it does (``pacing_notes``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orchestrator.dialer import facts as f
from runner.fact_writers import Target, writes
from runner.times import to_dt
from store import compliance
from store.models import PacingNote


@writes(f.ComplianceCounted)
def counted(to: Target, s: Session, fact: f.ComplianceCounted) -> None:
    compliance.add_counts(s, fact.campaign_id, to.node_id, fact.at, live_answers=fact.live_answers,
                          abandons=fact.abandons, machines=fact.machines)


@writes(f.PacingExplained)
def explained(to: Target, s: Session, fact: f.PacingExplained) -> None:
    """Keep this node's latest explanation of the campaign's dial level (the wallboard reads it)."""
    note = s.get(PacingNote, (fact.campaign_id, to.node_id))
    if note is None:
        note = PacingNote(campaign_id=fact.campaign_id, node_id=to.node_id)
        s.add(note)
    note.at, note.reasons, note.text = to_dt(fact.at), ",".join(fact.reasons), fact.text
