"""The core's ``LeadSource`` and ``DncList`` ports, backed by the store.

Each claim is its own short transaction, committed before the core dials:
the claimed rows are ``dialing`` (claimed by this runner's name) and no other
runner will take them. If the runner dies before the attempt is written, the
restart gives those leads back (``release_stale_claims`` with our name): a
lead without an open attempt was never dialed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from orchestrator.compliance_profiles import PROFILES
from orchestrator.leads.model import Lead
from orchestrator.store import dnc
from orchestrator.store import models as m
from orchestrator.store.leads import claim_leads, dial_history, outcome_counts
from switchboard.runner.times import to_dt, to_epoch

#: How far back a number's dials matter: the longest per-number window of any profile.
HISTORY = timedelta(seconds=max((p.attempt_limit.window_s for p in PROFILES.values() if p.attempt_limit),
                                default=0.0))


def core_lead(row: m.Lead, counts: dict[str, int] | None = None,
              dials: Sequence[datetime] = ()) -> Lead:
    return Lead(lead_id=row.id, number=row.phone, attempts=row.attempts, timezone=row.timezone,
                last_abandon_at=to_epoch(row.last_abandon_at), callback_agent_id=row.callback_agent_id,
                outcome_counts=dict(counts or {}), recent_dials=tuple(d.timestamp() for d in dials))


def core_leads(session: Session, rows: Sequence[m.Lead], now: float) -> list[Lead]:
    """Claimed rows as the core's leads, with what the lead rules count (outcomes, the number's dials)."""
    counts = outcome_counts(session, [r.id for r in rows])
    history = dial_history(session, {r.phone for r in rows}, to_dt(now) - HISTORY) if HISTORY else {}
    return [core_lead(r, counts[r.id], history.get(r.phone, ())) for r in rows]


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
            return core_leads(session, rows, now)


class DbDnc:
    def __init__(self, sessions: sessionmaker[Session], campaign_id: int) -> None:
        self._sessions = sessions
        self.campaign_id = campaign_id

    def blocks(self, number: str, now: float) -> bool:
        with self._sessions() as session:
            return dnc.is_blocked(session, number, self.campaign_id, to_dt(now))
