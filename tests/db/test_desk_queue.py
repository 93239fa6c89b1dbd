"""The desk queue: each request goes to exactly one runner, of the right node (or of any, node NULL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from store import desk_queue
from store.enums import DeskRequestStatus, PbxKind
from store.models import DeskRequest, PbxNode

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _nodes(sessions) -> tuple[int, int]:
    with sessions.begin() as s:
        nodes = [PbxNode(name=n, kind=PbxKind.ASTERISK, host="127.0.0.2", port=5038) for n in ("n1", "n2")]
        s.add_all(nodes)
        s.flush()
        return nodes[0].id, nodes[1].id


def test_commands_go_to_their_node_once_in_order(sessions):
    n1, n2 = _nodes(sessions)
    with sessions.begin() as s:
        for kind, node in [("a", n1), ("b", n2), ("c", None), ("d", n1)]:
            desk_queue.enqueue(s, DeskRequest(kind=kind, node_id=node, payload={"k": kind}))

    with sessions.begin() as s:
        taken = desk_queue.take(s, n1, 10, NOW, taken_by="runner-1")
        assert [c.kind for c in taken] == ["a", "c", "d"]
        assert {(c.status, c.taken_by, c.taken_at) for c in taken} == {
            (DeskRequestStatus.TAKEN, "runner-1", NOW)}
        desk_queue.finish(s, taken[0], NOW)
        desk_queue.finish(s, taken[1], NOW, error="agent logged out")
    with sessions.begin() as s:
        assert desk_queue.take(s, n1, 10, NOW, taken_by="runner-1") == []
        assert [c.kind for c in desk_queue.take(s, n2, 10, NOW, taken_by="runner-2")] == ["b"]
    with sessions() as s:
        rows = {c.kind: (c.status, c.error) for c in s.scalars(select(DeskRequest))}
        assert rows["a"] == (DeskRequestStatus.DONE, "")
        assert rows["c"] == (DeskRequestStatus.FAILED, "agent logged out")
        assert rows["d"][0] is DeskRequestStatus.TAKEN
