"""The history a newly hosted queue estimates waits from (``store.inbound.recent_talk_s``), on both
databases: the route's own answered and ended inbound calls, the most recent ones, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store.enums import CallDirection, QueueOutcome
from store.inbound import recent_talk_s
from store.models import Call, InboundRoute, Trunk

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _call(route_id: int | None, minute: int, talk: int | None, **more: object) -> Call:
    answered = T0 + timedelta(minutes=minute)
    values: dict[str, object] = {"direction": CallDirection.INBOUND,
                                 "answered_at": answered if talk else None,
                                 "ended_at": answered + timedelta(seconds=talk or 0), **more}
    return Call(caller="12125550100", callee="1400", route_id=route_id,
                started_at=answered - timedelta(seconds=5), queue_outcome=QueueOutcome.ANSWERED, **values)


def test_the_route_s_last_answered_calls_oldest_first(sessions):
    with sessions.begin() as s:
        trunk = Trunk(name="carrier", managed=False, dids=["1400", "1401"])
        s.add(trunk)
        s.flush()
        route = InboundRoute(name="400", did="1400", trunk_id=trunk.id)
        other = InboundRoute(name="401", did="1401", trunk_id=trunk.id)
        s.add_all([route, other])
        s.flush()
        s.add_all([_call(route.id, 0, 100), _call(route.id, 1, 200), _call(route.id, 2, 300),
                   _call(route.id, 3, None),  # abandoned: never answered
                   _call(route.id, 4, 90, ended_at=None),  # still talking
                   _call(other.id, 5, 999),  # another route's
                   _call(route.id, 6, 777, direction=CallDirection.OUTBOUND)])
        route_id = route.id
    with sessions() as s:
        assert recent_talk_s(s, route_id, 20) == [100.0, 200.0, 300.0]
        assert recent_talk_s(s, route_id, 2) == [200.0, 300.0]  # the most recent two
