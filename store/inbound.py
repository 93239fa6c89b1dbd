"""Inbound routes as a runner reads them: those its node's trunks deliver, the queues an agent answers;
and an answered inbound call as an attempt of its route's campaign, which the agent disposes of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from store import models as m
from store.enums import CallDirection, InboundTarget, LeadStatus

#: The lead list of a campaign's inbound callers no lead of it knew (one per campaign, found by this key).
CALLERS_LIST_KEY = "inbound-callers-{campaign_id}"


def node_routes(session: Session, node_id: int) -> list[m.InboundRoute]:
    """Enabled routes whose enabled trunk is on ``node_id``, answered by a queue or a seat (the node hosts a
    queue for each; a route answered by an IVR menu is in the node's dialplan instead)."""
    query = (select(m.InboundRoute).join(m.Trunk, m.Trunk.id == m.InboundRoute.trunk_id)
             .join(m.trunk_nodes, m.trunk_nodes.c.trunk_id == m.Trunk.id)
             .where(m.trunk_nodes.c.node_id == node_id, m.InboundRoute.enabled.is_(True),
                    m.Trunk.enabled.is_(True), m.InboundRoute.target != InboundTarget.IVR)
             .order_by(m.InboundRoute.id))
    return list(session.scalars(query))


def recent_talk_s(session: Session, route_id: int, limit: int) -> list[float]:
    """The talk time (seconds) of ``route_id``'s last ``limit`` answered and ended calls, oldest first:
    the history a newly hosted queue estimates waits from (``orchestrator.inbound.estimate``)."""
    rows = session.execute(
        select(m.Call.answered_at, m.Call.ended_at)
        .where(m.Call.route_id == route_id, m.Call.direction == CallDirection.INBOUND,
               m.Call.answered_at.is_not(None), m.Call.ended_at.is_not(None))
        .order_by(m.Call.ended_at.desc()).limit(limit)).all()
    return [(ended - answered).total_seconds() for answered, ended in reversed(rows)]


def answering(route: m.InboundRoute) -> tuple[list[int], list[int]]:
    """(hotline agents, overflow agents) of ``route``: a seat route has its one agent and no overflow."""
    hotline = [int(a) for a in route.hotline_agent_ids or []]
    if route.target is InboundTarget.SEAT:
        return hotline[:1], []
    return hotline, [int(a) for a in route.overflow_agent_ids or [] if int(a) not in hotline]


def agent_queues(session: Session, node_id: int, agent_id: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(queues ``agent_id`` is a hotline seat of, queues they overflow into) among the node's routes."""
    hotline, overflow = [], []
    for route in node_routes(session, node_id):
        seats, designated = answering(route)
        if agent_id in seats:
            hotline.append(route.id)
        elif agent_id in designated:
            overflow.append(route.id)
    return tuple(hotline), tuple(overflow)


def number_forms(number: str) -> tuple[str, ...]:
    """How one number may be stored: E.164 (``+`` and digits, as leads are) or the bare digits a carrier
    sent; () for a number with no digits (withheld)."""
    digits = "".join(ch for ch in number if ch.isascii() and ch.isdigit())
    return (f"+{digits}", digits) if digits else ()


def call_attempt(session: Session, call: m.Call, answered_at: datetime) -> m.Attempt | None:
    """The answered inbound ``call`` as an attempt of its route's campaign, for the agent to dispose of.

    One concept for both directions: the agent panel, the disposition (its code, notes, orders, the
    callback it schedules), the call log and the reports all work on the attempt, as for an outbound
    call. The caller is the campaign's newest lead with that number, or a new lead in the campaign's
    inbound callers list, finished (``DONE``): nobody dials them unless the disposition says so.
    None when the route names no campaign or the caller's number is withheld or no number.
    """
    route = session.get(m.InboundRoute, call.route_id) if call.route_id is not None else None
    forms = number_forms(call.caller)
    if route is None or route.campaign_id is None or not forms or len(forms[0]) > 16:
        return None
    known = select(m.Lead).where(m.Lead.campaign_id == route.campaign_id, m.Lead.phone.in_(forms))
    lead = session.scalars(known.order_by(m.Lead.id.desc()).limit(1)).first()
    if lead is None:
        lead = m.Lead(list_id=_callers_list(session, route.campaign_id).id, campaign_id=route.campaign_id,
                      phone=forms[0], status=LeadStatus.DONE, fields={})
        session.add(lead)
        session.flush()
    attempt = m.Attempt(lead_id=lead.id, campaign_id=route.campaign_id, node_id=call.node_id,
                        agent_id=call.agent_id, phone=lead.phone, channel_id=call.pbx_call_id,
                        answered_at=answered_at, bridged_at=answered_at)
    session.add(attempt)
    session.flush()
    call.attempt_id, call.campaign_id = attempt.id, route.campaign_id
    return attempt


def inbound_attempt() -> ColumnElement[bool]:
    """Attempts that are answered inbound calls (:func:`call_attempt`): never a dial of their campaign,
    nor a call of its dialer for a restarted runner to take back."""
    return exists().where(m.Call.attempt_id == m.Attempt.id, m.Call.direction == CallDirection.INBOUND)


def _callers_list(session: Session, campaign_id: int) -> m.LeadList:
    key = CALLERS_LIST_KEY.format(campaign_id=campaign_id)
    found = session.scalar(select(m.LeadList).where(m.LeadList.import_key == key))
    if found is None:
        found = m.LeadList(name="Inbound callers", campaign_id=campaign_id, import_key=key,
                           source="callers to an inbound route")
        session.add(found)
        session.flush()
    return found
