"""The node's inbound queues: one ``InboundQueue`` per inbound route its trunks deliver.

The routes are the admin's (``store.inbound``); the runner reads them with the
campaign states and keeps the hosted queues in step: a new route gets its queue,
an edited one takes its new settings at once (callers and agents stay), a route
gone or disabled is dropped once no caller waits and no agent is claimed. A new
queue starts with its route's recent answered calls, for the estimated wait it
announces (``orchestrator.inbound.estimate``).
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.orm import Session

from orchestrator.dialer import routes as r
from orchestrator.inbound.estimate import RECENT_CALLS, HandleTimes
from orchestrator.inbound.queue import InboundQueue, QueueConfig
from orchestrator.leads.hours import CallingHours, HoursError
from orchestrator.node.host import NodeHost
from orchestrator.node.unit import UnitKey, UnitKind
from runner.campaign_config import survey_config
from store import models as m
from store.inbound import answering, node_routes, recent_talk_s

log = logging.getLogger("runner")


def queue_config(route: m.InboundRoute) -> QueueConfig:
    """The core's settings of ``route``'s queue (ValueError/HoursError: settings it cannot run)."""
    hotline, overflow = answering(route)
    max_wait = max(1.0, float(route.max_wait_s))
    return QueueConfig(
        route.id, frozenset({route.did.removeprefix("+")}), hotline=frozenset(hotline),
        overflow=frozenset(overflow), overflow_after_s=min(float(route.overflow_after_s), max_wait - 0.5),
        max_wait_s=max_wait, wait_route=r.QUEUE_WAIT, closed_route=r.QUEUE_CLOSED,
        voicemail_route=r.QUEUE_VOICEMAIL, callback_route=r.QUEUE_CALLBACK, on_max_wait=route.on_max_wait,
        hours=CallingHours.from_table(route.hours or {}), timezone=route.timezone or "UTC",
        holidays=frozenset(date.fromisoformat(day) for day in route.holidays or ()),
        record_calls=route.record_calls, survey=survey_config(route),
        announce_every_s=float(route.announce_every_s), announce_route=r.QUEUE_ANNOUNCE,
        announce_wait=route.announce_wait)


class NodeQueues:
    """The queues hosted on ``host``, following the node's routes."""

    def __init__(self, host: NodeHost, node_id: int) -> None:
        self.host, self.node_id = host, node_id
        self.queues: dict[int, InboundQueue] = {}

    def sync(self, session: Session) -> None:
        wanted: dict[int, QueueConfig] = {}
        for route in node_routes(session, self.node_id):
            try:
                wanted[route.id] = queue_config(route)
            except (ValueError, HoursError) as exc:
                log.warning("inbound route not hosted route=%s error=%s", route.id, exc)
        for queue_id, config in wanted.items():
            queue = self.queues.get(queue_id)
            if queue is None:
                self.queues[queue_id] = queue = InboundQueue(config, self.host.pool)
                queue.handle_times = HandleTimes(talk + config.wrap_up_s
                                                 for talk in recent_talk_s(session, queue_id, RECENT_CALLS))
                self.host.add(queue)
                log.info("inbound queue hosted queue=%s numbers=%s", queue_id, sorted(config.numbers))
            elif queue.config != config:
                queue.config = config  # read on every input: callers and agents stay
                log.info("inbound queue settings reloaded queue=%s", queue_id)
        for queue_id in set(self.queues) - set(wanted):
            queue = self.queues[queue_id]
            if not queue.waiting and not queue.talking and not self.host.pool.claimed(queue.key):
                self.host.remove(queue.key)
                del self.queues[queue_id]
                log.info("inbound queue dropped queue=%s", queue_id)

    @staticmethod
    def owns(key: UnitKey) -> bool:
        return key.kind is UnitKind.QUEUE
