"""The core's ``LeadSource`` and ``DncList`` ports, backed by the store.

Each claim is its own short transaction, committed before the core dials:
the claimed rows are ``dialing`` (claimed by this runner's name) and no other
runner will take them. If the runner dies before the attempt is written, the
restart gives those leads back (``release_stale_claims`` with our name): a
lead without an open attempt was never dialed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from orchestrator.leads.model import Lead
from orchestrator.store import dnc
from orchestrator.store import models as m
from orchestrator.store.leads import claim_leads, outcome_counts
from switchboard.runner.times import to_dt, to_epoch


def core_lead(row: m.Lead, counts: dict[str, int] | None = None) -> Lead:
    return Lead(lead_id=row.id, number=row.phone, attempts=row.attempts, timezone=row.timezone,
                last_abandon_at=to_epoch(row.last_abandon_at), callback_agent_id=row.callback_agent_id,
                outcome_counts=dict(counts or {}))


class DbLeadSource:
    """Claims for one campaign; ``enabled = False`` (campaign paused or stopped) claims nothing."""

    def __init__(self, sessions: sessionmaker[Session], campaign_id: int, claimed_by: str) -> None:
        self._sessions = sessions
        self.campaign_id = campaign_id
        self.claimed_by = claimed_by
        self.enabled = True

    def claim(self, n: int, now: float) -> Sequence[Lead]:
        if not self.enabled or n <= 0:
            return []
        with self._sessions.begin() as session:
            rows = claim_leads(session, self.campaign_id, n, to_dt(now), claimed_by=self.claimed_by)
            counts = outcome_counts(session, [r.id for r in rows])
            return [core_lead(r, counts[r.id]) for r in rows]


class DbDnc:
    def __init__(self, sessions: sessionmaker[Session], campaign_id: int) -> None:
        self._sessions = sessions
        self.campaign_id = campaign_id

    def blocks(self, number: str, now: float) -> bool:
        with self._sessions() as session:
            return dnc.is_blocked(session, number, self.campaign_id, to_dt(now))
