"""Inbound routes as a runner reads them: those its node's trunks deliver, the queues an agent answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import models as m
from store.enums import InboundTarget


def node_routes(session: Session, node_id: int) -> list[m.InboundRoute]:
    """Enabled routes whose enabled trunk is on ``node_id``, answered by a queue or a seat (the node hosts a
    queue for each; a route answered by an IVR menu is in the node's dialplan instead)."""
    query = (select(m.InboundRoute).join(m.Trunk, m.Trunk.id == m.InboundRoute.trunk_id)
             .join(m.trunk_nodes, m.trunk_nodes.c.trunk_id == m.Trunk.id)
             .where(m.trunk_nodes.c.node_id == node_id, m.InboundRoute.enabled.is_(True),
                    m.Trunk.enabled.is_(True), m.InboundRoute.target != InboundTarget.IVR)
             .order_by(m.InboundRoute.id))
    return list(session.scalars(query))


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
