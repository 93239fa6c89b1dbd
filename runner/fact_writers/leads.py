"""Leads and the agents' dispositions of them.

``LeadUpdated`` (status, attempts, next call, quiet period) also ends this
runner's claim on the row (``store.leads.apply_update``); a disposition is set
on the attempt and on its lead.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from orchestrator.dialer import facts as f
from runner.fact_writers import Target, writes
from store import leads
from store import models as m


@writes(f.LeadUpdated)
def lead_updated(to: Target, s: Session, fact: f.LeadUpdated) -> None:
    leads.apply_update(s, fact.update, fact.at)


@writes(f.DispositionRecorded)
def disposition(to: Target, s: Session, fact: f.DispositionRecorded) -> None:
    """The campaign's disposition of that code (none if the campaign has no such code)."""
    disposition_id = s.scalar(select(m.Disposition.id).where(
        m.Disposition.campaign_id == to.campaign_id, m.Disposition.code == fact.code))
    attempt = s.get(m.Attempt, uuid.UUID(fact.attempt_id))
    if attempt is None:
        return
    attempt.disposition_id = disposition_id
    s.execute(update(m.Lead).where(m.Lead.id == attempt.lead_id).values(disposition_id=disposition_id),
              execution_options={"synchronize_session": False})
