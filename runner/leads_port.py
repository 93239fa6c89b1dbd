"""The core's ``LeadSource`` and ``DncList`` ports, backed by the store.

Each claim is its own short transaction, committed before the core dials:
the claimed rows are ``dialing`` (claimed by this runner's name) and no other
runner will take them. If the runner dies before the attempt is written, the
restart gives those leads back (``release_stale_claims`` with our name): a
lead without an open attempt was never dialed.

The DNC answer for each claimed number is read in the claim's transaction: a
database that fails between the claim and the dial (the core checks DNC right
after claiming) then cannot strand a claimed lead in the middle of a step.
While the database is out (:class:`DbGate` closed) nothing is claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from orchestrator.compliance import PROFILES
from orchestrator.leads.model import Lead
from runner.outage import DbGate
from runner.times import to_dt, to_epoch
from store import dnc
from store import models as m
from store.leads import claim_leads, dial_history, outcome_counts

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
    """Claims for one campaign; ``enabled = False`` (campaign paused or stopped) claims nothing.

    ``pool_owned``: the campaign is predictive, so its pool also holds the records
    agents own in teams that chose to pool them (``store.leads.claim_leads``).
    """

    def __init__(self, sessions: sessionmaker[Session], campaign_id: int, claimed_by: str,
                 gate: DbGate | None = None, *, fence: Callable[[Session], None] | None = None,
                 pool_owned: bool = False) -> None:
        self._sessions = sessions
        self._fence = fence  # a runner with a standby: raises LeaseLost once taken over
        self.campaign_id = campaign_id
        self.claimed_by = claimed_by
        self.gate = gate or DbGate()
        self.pool_owned = pool_owned
        self.enabled = True
        self.blocked: dict[str, bool] = {}  # DNC answers for the numbers of the last claim

    def claim(self, n: int, now: float) -> Sequence[Lead]:
        if n <= 0:  # no transaction for nothing; the last claim's DNC answers are spent all the same
            self.blocked = {}
            return []
        at = to_dt(now)
        claimed = self._claim(lambda s: [(None, r) for r in claim_leads(
            s, self.campaign_id, n, at, claimed_by=self.claimed_by, pool_owned=self.pool_owned)], now)
        return [lead for _, lead in claimed]

    def claim_owned(self, agent_ids: Sequence[int], now: float) -> Sequence[tuple[int, Lead]]:
        at = to_dt(now)
        return [(agent_id, lead) for agent_id, lead in self._claim(lambda s: [
            (agent_id, row) for agent_id in agent_ids
            for row in claim_leads(s, self.campaign_id, 1, at, claimed_by=self.claimed_by, owner=agent_id)
        ], now) if agent_id is not None]

    def _claim(self, rows_of: Callable[[Session], list[tuple[int | None, m.Lead]]], now: float,
               ) -> list[tuple[int | None, Lead]]:
        """One claim transaction: the rows ``rows_of`` claims, their DNC answers, the core's leads."""
        self.blocked = {}
        if not self.enabled or not self.gate.open():
            return []
        try:
            with self._sessions.begin() as session:
                if self._fence is not None:
                    self._fence(session)
                claimed = rows_of(session)
                rows = [r for _, r in claimed]
                at = to_dt(now)
                blocked = {r.phone: dnc.is_blocked(session, r.phone, self.campaign_id, at) for r in rows}
                leads = core_leads(session, rows, now)
        except DBAPIError as exc:
            self.gate.failed("lead claim", exc)
            return []
        self.gate.succeeded()
        self.blocked = blocked
        return [(who, lead) for (who, _), lead in zip(claimed, leads, strict=True)]


class DbDnc:
    """DNC for the core: the answer read with the claim, else the store (preview dials)."""

    def __init__(self, sessions: sessionmaker[Session], campaign_id: int, claims: DbLeadSource | None = None,
                 ) -> None:
        self._sessions = sessions
        self.campaign_id = campaign_id
        self._claims = claims

    def blocks(self, number: str, now: float) -> bool:
        if self._claims is not None and number in self._claims.blocked:
            return self._claims.blocked.pop(number)
        with self._sessions() as session:
            return dnc.is_blocked(session, number, self.campaign_id, to_dt(now))
