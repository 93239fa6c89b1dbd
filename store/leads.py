"""Every change of a lead's status: claiming, giving back, applying the core's decisions, sweeping.

The core decides what a lead becomes (``orchestrator.leads.rules`` returns a
``LeadUpdate``); this module is the only code that writes ``leads.status``
from that decision (:func:`apply_update`), claims leads (:func:`claim_leads`,
for runners and for an agent's preview), gives unused claims back as they
were (:func:`release_claims`: a callback stays its agent's callback) and
sweeps claims nobody will finish (:func:`sweep_stale_claims`, the scheduler's
job: previews an agent walked away from, runners that never came back).

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

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict, Unpack

from sqlalchemy import Case, ColumnElement, Select, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.dml import ReturningUpdate

from orchestrator.leads.model import LeadUpdate
from orchestrator.leads.rules import DEFAULT_DELAYS
from store.enums import DIALABLE_LEAD_STATUSES, LeadStatus, Outcome
from store.inbound import inbound_attempt
from store.models import Attempt, Lead, LeadList, Team

#: ``claimed_by`` of a lead an agent holds for preview (the web claims it, the runner dials it).
PREVIEW_CLAIMER = "preview:agent:{}"
#: A preview held this long without a dial goes back to the pool (the agent walked away).
PREVIEW_CLAIM_TTL = timedelta(minutes=10)
#: A runner dials what it claims within milliseconds; a claim this old without a dial is orphaned
#: (long enough to outlast a database outage the runner is retrying through).
RUNNER_CLAIM_TTL = timedelta(minutes=30)
#: A call still open this long after its claim belongs to a runner that never came back.
LOST_CALL_AFTER = timedelta(hours=12)


def status_in(statuses: Collection[LeadStatus]) -> ColumnElement[bool]:
    """``leads.status IN (...)`` with the values inlined (see the module docstring)."""
    return Lead.status.in_(
        bindparam("statuses", [s.value for s in statuses], expanding=True, literal_execute=True)
    )


def _lists(campaign_id: int, owner: int | None, pool_owned: bool, callbacks: bool) -> Select[tuple[int]]:
    """The campaign's active lists a claim takes from.

    A list handed out to an agent (``LeadList.agent_id``) holds that agent's
    records: an owner's claim (``owner``, preview and progressive work) takes
    only those; a pool claim takes the lists nobody owns, and with
    ``pool_owned`` (a predictive campaign: the call goes to whoever is free)
    also the owned lists of teams that chose to pool them
    (``Team.pool_owned_for_predictive``).
    """
    lists = select(LeadList.id).where(LeadList.campaign_id == campaign_id, LeadList.active)
    if callbacks:  # a callback is promised by one agent already, whoever holds its list
        return lists
    if owner is not None:
        return lists.where(LeadList.agent_id == owner)
    if pool_owned:
        pooling = select(Team.id).where(Team.pool_owned_for_predictive)
        return lists.where(or_(LeadList.agent_id.is_(None), LeadList.team_id.in_(pooling)))
    return lists.where(LeadList.agent_id.is_(None))


def _candidates(
    campaign_id: int, limit: int, now: datetime, agent_id: int | None, owner: int | None, pool_owned: bool
) -> Select[tuple[int]]:
    active_lists = _lists(campaign_id, owner, pool_owned, callbacks=agent_id is not None)
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
    return query.limit(limit).with_for_update(skip_locked=True)


class Whose(TypedDict, total=False):
    """Who claims and which leads (see :func:`claim_leads`); each absent key is None (False)."""

    claimed_by: str | None
    agent_id: int | None
    owner: int | None
    pool_owned: bool


def claim_statement(
    campaign_id: int, limit: int, now: datetime, **whose: Unpack[Whose]
) -> ReturningUpdate[tuple[Lead]]:
    """The single statement :func:`claim_leads` runs (exposed so tests can EXPLAIN it)."""
    candidates = _candidates(
        campaign_id, limit, now, whose.get("agent_id"), whose.get("owner"), whose.get("pool_owned", False)
    )
    claimer = whose.get("claimed_by")
    return (
        update(Lead)
        .where(Lead.id.in_(candidates.scalar_subquery()))
        .values(status=LeadStatus.DIALING, claimed_at=now, claimed_by=claimer, updated_at=now)
        .returning(Lead)
    )


def claim_leads(
    session: Session, campaign_id: int, limit: int, now: datetime, **whose: Unpack[Whose]
) -> list[Lead]:
    """Mark up to ``limit`` due leads of the campaign as ``dialing`` and return them, best first.

    Due means: status new/pending/callback, ``next_call_at <= now``, past any
    ``no_recall_until``, in an active list of the campaign. Without
    ``agent_id`` the shared pool is claimed (callbacks promised to a specific
    agent are left alone); with it, only that agent's due callbacks.
    ``owner``: only the records handed out to that agent; else the lists
    nobody owns, and with ``pool_owned`` those of teams that pool their
    agents' records for predictive campaigns (:func:`_lists`).

    Calling hours and DNC are the core's decision right before each dial
    (``orchestrator.leads.rules.check_before_dial``): a claimed lead that may
    not be dialed now goes back through the core's ``LeadUpdate``.
    """
    if limit <= 0:
        return []
    claim = claim_statement(campaign_id, limit, now, **whose)
    options = {"populate_existing": True, "synchronize_session": False}
    leads = list(session.scalars(claim, execution_options=options))
    leads.sort(key=lambda lead: (lead.priority, lead.next_call_at, lead.id))
    return leads


def open_attempts(session: Session, node_id: int) -> list[Attempt]:
    """Attempts on ``node_id`` that started and never ended: what a restarted runner must reconcile.

    The core keeps those whose channel is still live on the PBX and ends the
    others (``orchestrator.dialer.ports.OpenAttempt``). An inbound call's attempt is no dialer's.
    """
    query = (
        select(Attempt)
        .where(Attempt.node_id == node_id, Attempt.ended_at.is_(None), ~inbound_attempt())
        .options(joinedload(Attempt.lead))
        .order_by(Attempt.created_at)
    )
    return list(session.scalars(query))


def last_fact_at(session: Session, node_id: int) -> datetime | None:
    """The latest moment the node's runner recorded anything about its calls: the last moment a
    previous run is known to have been watching, so a call it left open was alive then."""
    columns = (Attempt.created_at, Attempt.originated_at, Attempt.answered_at, Attempt.amd_at,
               Attempt.bridged_at, Attempt.ended_at)
    row = session.execute(select(*(func.max(c) for c in columns)).where(Attempt.node_id == node_id)).one()
    return max((t for t in row if t is not None), default=None)


def outcome_counts(session: Session, lead_ids: Collection[int]) -> dict[int, dict[str, int]]:
    """Past attempts per outcome for each lead (``orchestrator.leads.model.Lead.outcome_counts``).

    One grouped query for a whole claimed batch, on ``ix_attempts_lead_id``.
    """
    counts: dict[int, dict[str, int]] = {lead_id: {} for lead_id in lead_ids}
    if not counts:
        return counts
    rows = session.execute(
        select(Attempt.lead_id, Attempt.outcome, func.count())
        .where(Attempt.lead_id.in_(sorted(counts)), Attempt.outcome.is_not(None))
        .group_by(Attempt.lead_id, Attempt.outcome)
    )
    for lead_id, outcome, n in rows:
        counts[lead_id][outcome.value] = n
    return counts


def dial_history(session: Session, phones: Collection[str], since: datetime) -> dict[str, list[datetime]]:
    """When each number was dialed since ``since``, by any campaign (``Lead.recent_dials``).

    A profile may cap the dials of one number (France: 4 in 30 days, whoever
    dials); one query for a claimed batch, on ``ix_attempts_phone_created_at``.
    """
    history: dict[str, list[datetime]] = {phone: [] for phone in phones}
    if not history:
        return history
    rows = session.execute(
        select(Attempt.phone, Attempt.created_at).where(
            Attempt.phone.in_(sorted(history)), Attempt.created_at >= since,
            # a call our node refused never reached the number
            or_(Attempt.outcome.is_(None), Attempt.outcome != Outcome.REFUSED),
        )
    )
    for phone, at in rows:
        history[phone].append(at)
    return history


def release_stale_claims(
    session: Session,
    now: datetime,
    *,
    claimed_by: str | None = None,
    previews: bool = False,
    older_than: timedelta = timedelta(0),
    retry_lost_after: timedelta | None = None,
) -> int:
    """Give back leads stuck in ``dialing`` because their runner died; return how many.

    * A restarting runner calls it with its own ``claimed_by``: leads it
      claimed but never dialed (no open attempt) become due again as they
      were. Leads with an open attempt stay claimed: the core reconciles them
      with the PBX (see :func:`open_attempts`).
    * A periodic sweep for runners that never came back passes a generous
      ``older_than`` and ``retry_lost_after`` (the campaign's delay for a
      ``lost`` outcome): open attempts are ended as ``lost`` and their leads
      retried after that delay, never at once (the call may have reached the
      customer).
    """
    stuck = select(Lead.id).where(status_in([LeadStatus.DIALING]), Lead.claimed_at <= now - older_than)
    if claimed_by is not None:
        stuck = stuck.where(Lead.claimed_by == claimed_by)
    if previews:
        stuck = stuck.where(Lead.claimed_by.like(PREVIEW_CLAIMER.format("%")))
    stuck_ids = set(session.scalars(stuck.with_for_update(skip_locked=True)))
    if not stuck_ids:
        return 0
    dialed_ids = set(
        session.scalars(
            select(Attempt.lead_id).where(Attempt.lead_id.in_(stuck_ids), Attempt.ended_at.is_(None))
        )
    )
    released = {"claimed_at": None, "claimed_by": None, "updated_at": now}
    _release(session, stuck_ids - dialed_ids, now)
    if retry_lost_after is None:
        return len(stuck_ids - dialed_ids)
    if dialed_ids:
        session.execute(
            update(Attempt)
            .where(Attempt.lead_id.in_(dialed_ids), Attempt.ended_at.is_(None))
            .values(ended_at=now, outcome=Outcome.LOST),
            execution_options={"synchronize_session": False},
        )
        _update_leads(
            session,
            dialed_ids,
            status=_released_status(dialed=True),
            attempts=Lead.attempts + 1,
            last_outcome=Outcome.LOST,
            last_attempt_at=now,
            next_call_at=now + retry_lost_after,
            **released,
        )
    return len(stuck_ids)


def release_claims(session: Session, lead_ids: Collection[int], now: datetime) -> int:
    """Give back claimed leads that were not dialed (an agent skipped a preview); return how many.

    Each goes back to what it was before the claim: never dialed -> ``new``,
    a callback -> ``callback`` for its agent (a ``pending`` lead that keeps
    ``callback_agent_id`` could be claimed by nobody), else ``pending``.
    A lead with a call in progress is left to its call.
    """
    claimed = set(session.scalars(select(Lead.id).where(Lead.id.in_(sorted(lead_ids)),
                                                        status_in([LeadStatus.DIALING]))))
    dialed = set(session.scalars(select(Attempt.lead_id).where(Attempt.lead_id.in_(sorted(claimed)),
                                                                Attempt.ended_at.is_(None))))
    _release(session, claimed - dialed, now)
    return len(claimed - dialed)


def sweep_stale_claims(session: Session, now: datetime) -> int:
    """The periodic sweep (run by the scheduler process): claims nobody will finish; return how many.

    Previews held longer than ``PREVIEW_CLAIM_TTL`` without a dial expire;
    runner claims never dialed after ``RUNNER_CLAIM_TTL`` are given back;
    calls left open ``LOST_CALL_AFTER`` by a runner that never came back are
    ended as ``lost`` and their leads retried after the core's delay for a
    lost call (never at once: the call may have reached the customer).
    """
    lost_delay = timedelta(seconds=DEFAULT_DELAYS[Outcome.LOST])
    return (release_stale_claims(session, now, previews=True, older_than=PREVIEW_CLAIM_TTL)
            + release_stale_claims(session, now, older_than=RUNNER_CLAIM_TTL)
            + release_stale_claims(session, now, older_than=LOST_CALL_AFTER, retry_lost_after=lost_delay))


def apply_update(session: Session, update_: LeadUpdate, at: float) -> None:
    """Write the core's decision about a lead (ends whatever claim the row had)."""
    def dt(epoch: float | None) -> datetime | None:
        return None if epoch is None else datetime.fromtimestamp(epoch, UTC)

    values: dict[str, object] = dict(
        status=update_.status, attempts=update_.attempts, claimed_at=None, claimed_by=None,
        last_abandon_at=dt(update_.last_abandon_at), no_recall_until=dt(update_.no_recall_until),
        callback_agent_id=update_.callback_agent_id, updated_at=dt(at))
    if update_.next_attempt_at is not None:
        values["next_call_at"] = dt(update_.next_attempt_at)
    if update_.last_outcome is not None:
        values.update(last_outcome=update_.last_outcome, last_attempt_at=dt(at))
    _update_leads(session, {update_.lead_id}, **values)


def _release(session: Session, ids: set[int], now: datetime) -> None:
    _update_leads(session, ids, status=_released_status(dialed=False), claimed_at=None, claimed_by=None,
                  updated_at=now)


def _released_status(dialed: bool) -> Case[str]:
    """Back to what the lead was before the claim, as far as the row can tell.

    (SQL evaluates the SET list on the old row: ``attempts`` is the count
    before any increment in the same UPDATE.)
    """
    never_dialed = (Lead.attempts == 0, LeadStatus.NEW.value)
    return case(
        (Lead.callback_agent_id.is_not(None), LeadStatus.CALLBACK.value),
        *(() if dialed else (never_dialed,)),
        else_=LeadStatus.PENDING.value,
    )


def _update_leads(session: Session, ids: set[int], **values: Any) -> None:
    if ids:
        session.execute(
            update(Lead).where(Lead.id.in_(sorted(ids))).values(**values),
            execution_options={"synchronize_session": False},
        )


def assign_list(session: Session, lead_list: LeadList, campaign_id: int | None) -> None:
    """Hand a list (and its leads' denormalised ``campaign_id``) to a campaign, or unassign it."""
    lead_list.campaign_id = campaign_id
    session.execute(update(Lead).where(Lead.list_id == lead_list.id).values(campaign_id=campaign_id))
    session.flush()
