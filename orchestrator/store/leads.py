"""Claiming leads to dial, and giving back the claims of a runner that died.

Several runners (one per PBX node) share one PostgreSQL: a claim is a single
``UPDATE leads ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``, so two
runners never get the same lead and neither waits for the other. On SQLite
(one box, one runner) the same statement runs without the lock clause; being
one statement it is still atomic.

The candidate query walks the partial index ``ix_leads_claim`` (campaign,
priority, next_call_at, id; only dialable pool leads) in order and stops
after ``limit`` rows, so its cost does not grow with the number of leads.
Status values are rendered as SQL literals, not parameters: with parameters
PostgreSQL's cached generic plan could not prove the partial index predicate
and would stop using the index after a few executions.

Callers commit right after claiming; the claimed leads are ``dialing`` and
every runner ignores them from then on.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, bindparam, case, or_, select, update
from sqlalchemy.orm import Session

from orchestrator.store.enums import DIALABLE_LEAD_STATUSES, AttemptOutcome, LeadStatus
from orchestrator.store.models import Attempt, DncEntry, Lead, LeadList


def status_in(statuses: Collection[LeadStatus]) -> ColumnElement[bool]:
    """``leads.status IN (...)`` with the values inlined (see the module docstring)."""
    return Lead.status.in_(
        bindparam("statuses", [s.value for s in statuses], expanding=True, literal_execute=True)
    )


def _candidates(
    campaign_id: int, limit: int, now: datetime, agent_id: int | None, timezones: Collection[str] | None
) -> Select[tuple[int]]:
    active_lists = select(LeadList.id).where(LeadList.campaign_id == campaign_id, LeadList.active)
    query = select(Lead.id).where(
        Lead.campaign_id == campaign_id,
        Lead.next_call_at <= now,
        or_(Lead.no_recall_until.is_(None), Lead.no_recall_until <= now),
        Lead.list_id.in_(active_lists),
    )
    if agent_id is None:
        query = query.where(status_in(DIALABLE_LEAD_STATUSES), Lead.callback_agent_id.is_(None))
        query = query.order_by(Lead.priority, Lead.next_call_at, Lead.id)
    else:
        query = query.where(status_in([LeadStatus.CALLBACK]), Lead.callback_agent_id == agent_id)
        query = query.order_by(Lead.next_call_at, Lead.id)
    if timezones is not None:
        query = query.where(Lead.timezone.in_(list(timezones)))
    return query.limit(limit).with_for_update(skip_locked=True)


def claim_leads(
    session: Session,
    campaign_id: int,
    limit: int,
    now: datetime,
    *,
    claimed_by: str | None = None,
    agent_id: int | None = None,
    timezones: Collection[str] | None = None,
) -> list[Lead]:
    """Mark up to ``limit`` due leads of the campaign as ``dialing`` and return them, best first.

    Due means: status new/retry/callback, ``next_call_at <= now``, past any
    ``no_recall_until``, in an active list of the campaign. Without
    ``agent_id`` the shared pool is claimed (callbacks promised to a specific
    agent are left alone); with it, only that agent's due callbacks.
    ``timezones`` restricts to leads whose local time is inside calling hours
    (the caller knows the campaign's hours and the zones that are open now).

    Leads whose number is on a DNC list (global or this campaign's, not
    expired) are marked ``dnc`` instead of being returned, so fewer than
    ``limit`` leads may come back even when more are due.
    """
    if limit <= 0:
        return []
    candidates = _candidates(campaign_id, limit, now, agent_id, timezones)
    claimed = (
        update(Lead)
        .where(Lead.id.in_(candidates.scalar_subquery()))
        .values(status=LeadStatus.DIALING, claimed_at=now, claimed_by=claimed_by, updated_at=now)
        .returning(Lead)
    )
    leads = list(
        session.scalars(claimed, execution_options={"populate_existing": True, "synchronize_session": False})
    )
    blocked = _dnc_phones(session, campaign_id, {lead.phone for lead in leads}, now)
    for lead in leads:
        if lead.phone in blocked:
            lead.status, lead.claimed_at, lead.claimed_by = LeadStatus.DNC, None, None
    session.flush()
    dialable = [lead for lead in leads if lead.phone not in blocked]
    dialable.sort(key=lambda lead: (lead.priority, lead.next_call_at, lead.id))
    return dialable


def _dnc_phones(session: Session, campaign_id: int, phones: set[str], now: datetime) -> set[str]:
    if not phones:
        return set()
    query = select(DncEntry.phone).where(
        DncEntry.phone.in_(sorted(phones)),
        or_(DncEntry.campaign_id.is_(None), DncEntry.campaign_id == campaign_id),
        or_(DncEntry.expires_at.is_(None), DncEntry.expires_at > now),
    )
    return set(session.scalars(query))


def release_stale_claims(
    session: Session,
    now: datetime,
    *,
    older_than: timedelta = timedelta(0),
    claimed_by: str | None = None,
) -> int:
    """Give back leads stuck in ``dialing`` (their runner died); return how many.

    A runner restarting after ``kill -9`` calls this with its own
    ``claimed_by`` name: nothing it claimed before is being tracked any more.
    A periodic sweep can call it without a name and with a generous
    ``older_than`` for runners that never came back. Attempts left open are
    closed as ``lost``; the leads become due again now (callbacks stay
    callbacks for their agent).
    """
    stuck = select(Lead.id).where(status_in([LeadStatus.DIALING]), Lead.claimed_at <= now - older_than)
    if claimed_by is not None:
        stuck = stuck.where(Lead.claimed_by == claimed_by)
    ids: Sequence[int] = session.scalars(stuck.with_for_update(skip_locked=True)).all()
    if not ids:
        return 0
    session.execute(
        update(Attempt)
        .where(Attempt.lead_id.in_(ids), Attempt.ended_at.is_(None))
        .values(ended_at=now, outcome=AttemptOutcome.LOST),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(Lead)
        .where(Lead.id.in_(ids))
        .values(
            status=case(
                (Lead.callback_agent_id.is_not(None), LeadStatus.CALLBACK.value), else_=LeadStatus.RETRY.value
            ),
            next_call_at=now,
            claimed_at=None,
            claimed_by=None,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    return len(ids)


def assign_list(session: Session, lead_list: LeadList, campaign_id: int | None) -> None:
    """Hand a list (and its leads' denormalised ``campaign_id``) to a campaign, or unassign it."""
    lead_list.campaign_id = campaign_id
    session.execute(update(Lead).where(Lead.list_id == lead_list.id).values(campaign_id=campaign_id))
    session.flush()
