"""Hand-outs: the data manager gives a team part of an accepted batch; the team leader gives its
agents (or a campaign of the team) part of what the team holds.

Each hand-out moves never-dialed records, oldest first, into a new list held
by its receiver and writes a ``Handout`` row (who, to whom, how many, when):
the whole chain of custody is a query, and a hand-out is one UPDATE however
many records it moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, select, update
from sqlalchemy.orm import Session

from store.enums import PurchaseState
from store.models import Agent, Campaign, Handout, Lead, LeadList, Purchase, Team
from store.types import utcnow
from web.leaddata.bulk import id_among
from web.leaddata.purchases import PurchaseError, pool, untouched


def team_pool(purchase_id: int, team_id: int) -> ColumnElement[bool]:
    """The team's lists of the batch not handed on to an agent or campaign yet."""
    return and_(
        LeadList.purchase_id == purchase_id,
        LeadList.team_id == team_id,
        LeadList.agent_id.is_(None),
        LeadList.campaign_id.is_(None),
        LeadList.destroyed_at.is_(None),
    )


@dataclass(frozen=True)
class Receiver:
    """Who gets the records: a team (from the data manager), or an agent of it and/or a campaign."""

    team: Team
    agent: Agent | None = None
    campaign: Campaign | None = None


def _count(raw: str) -> int:
    if not raw.strip().isdigit() or int(raw) < 1:
        raise PurchaseError("Hand out a whole number of records, at least 1.")
    return int(raw)


def hand_out(session: Session, purchase: Purchase, to: Receiver, count: str, by_id: int | None) -> Handout:
    """Move ``count`` records to ``to``: from the batch's pool to a team, or from the team's to an
    agent of it / a campaign it works (which the caller checked is in the user's scope).

    ``by_id``: who hands out (None: seeded, e.g. the demo).
    Raises ``PurchaseError`` after writing when fewer records are there: the caller rolls back."""
    if purchase.state is not PurchaseState.ACCEPTED:
        raise PurchaseError(f"The batch is {purchase.state.value}: only an accepted batch is handed out.")
    if to.agent is None and to.campaign is None:
        source = pool(purchase.id)
    else:
        source = team_pool(purchase.id, to.team.id)
        if to.campaign is None:
            raise PurchaseError("Choose the campaign the records are dialed in.")
        if to.team not in to.campaign.teams:
            raise PurchaseError(f"{to.team.name} does not work the campaign {to.campaign.name}.")
        if to.agent is not None and to.agent.team_id != to.team.id:
            raise PurchaseError("That agent is not in the team.")
    n = _count(count)
    holder = to.agent.user.username if to.agent else to.campaign.name if to.campaign else to.team.name
    target = LeadList(
        name=f"{purchase.batch} → {holder}"[:128],
        purchase_id=purchase.id,
        team_id=to.team.id,
        agent_id=to.agent.id if to.agent else None,
        campaign_id=to.campaign.id if to.campaign else None,
        active=True,
        source=f"hand-out of purchase {purchase.id}",
    )
    session.add(target)
    session.flush()
    chosen = untouched(session, source).limit(n)
    moved = session.execute(
        update(Lead)
        .where(id_among(session, Lead.id, chosen))
        .values(list_id=target.id, campaign_id=target.campaign_id)
        .execution_options(synchronize_session=False)
    )
    # Counting first would read the whole pool (1 M rows) once more: the caller rolls back instead.
    available = cast(CursorResult[Any], moved).rowcount
    if available < n:
        raise PurchaseError(f"Only {available} records are there to hand out; nothing was handed out.")
    handout = Handout(
        purchase_id=purchase.id,
        list_id=target.id,
        by_id=by_id,
        team_id=to.team.id,
        agent_id=target.agent_id,
        campaign_id=target.campaign_id,
        records=n,
        at=utcnow(),
    )
    session.add(handout)
    return handout


def team_holdings(session: Session, teams: frozenset[int] | None) -> list[tuple[Purchase, Team, int]]:
    """(batch, team, records the team holds not handed on) for the teams in scope, accepted batches."""
    held = (
        select(LeadList.purchase_id, LeadList.team_id, func.count(Lead.id))
        .join(Lead, Lead.list_id == LeadList.id)
        .where(
            LeadList.team_id.is_not(None),
            LeadList.agent_id.is_(None),
            LeadList.campaign_id.is_(None),
            LeadList.destroyed_at.is_(None),
            Lead.attempts == 0,
            Lead.status == "new",
        )
        .group_by(LeadList.purchase_id, LeadList.team_id)
    )
    if teams is not None:
        held = held.where(LeadList.team_id.in_(teams))
    rows = session.execute(held).all()
    return [(session.get_one(Purchase, p), session.get_one(Team, t), n) for p, t, n in rows]
