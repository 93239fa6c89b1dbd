"""The command queue: each command goes to one runner of the right node; PostgreSQL wakes runners up."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import make_url, select

from store import command_queue
from store.db import session_factory
from store.enums import CommandStatus, PbxKind
from store.models import Command, PbxNode

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
            command_queue.enqueue(s, Command(kind=kind, node_id=node, payload={"k": kind}))

    with sessions.begin() as s:
        taken = command_queue.take(s, n1, 10, NOW, taken_by="runner-1")
        assert [c.kind for c in taken] == ["a", "c", "d"]
        assert {(c.status, c.taken_by, c.taken_at) for c in taken} == {(CommandStatus.TAKEN, "runner-1", NOW)}
        command_queue.finish(s, taken[0], NOW)
        command_queue.finish(s, taken[1], NOW, error="agent logged out")
    with sessions.begin() as s:
        assert command_queue.take(s, n1, 10, NOW, taken_by="runner-1") == []
        assert [c.kind for c in command_queue.take(s, n2, 10, NOW, taken_by="runner-2")] == ["b"]
    with sessions() as s:
        rows = {c.kind: (c.status, c.error) for c in s.scalars(select(Command))}
        assert rows["a"] == (CommandStatus.DONE, "")
        assert rows["c"] == (CommandStatus.FAILED, "agent logged out")
        assert rows["d"][0] is CommandStatus.TAKEN


@pytest.mark.postgres
def test_postgres_notifies_listening_runners_at_commit(pg_engine):
    sessions = session_factory(pg_engine)
    n1, _ = _nodes(sessions)
    url = make_url(pg_engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {command_queue.NOTIFY_CHANNEL}")
        with sessions.begin() as s:
            command_queue.enqueue(s, Command(kind="preview_dial", node_id=n1))
        received = list(listener.notifies(timeout=10, stop_after=1))
    assert [(n.channel, n.payload) for n in received] == [(command_queue.NOTIFY_CHANNEL, str(n1))]
