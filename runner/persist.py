"""The core's facts -> rows, one transaction per step (written before its commands are sent).

Writing first means a crash can lose a command but never an attempt the PBX
is dialing: a started attempt is in the database before its Originate leaves,
so a restarted runner finds it open and hands it back to the core.

What goes where is each fact kind's writer, registered in the module of its
area (``runner.fact_writers``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from orchestrator.step import Fact
from runner.fact_writers import Target, writer_for


class FactWriter:
    def __init__(self, node_id: int) -> None:
        self.node_id = node_id

    def write(self, session: Session, campaign_id: int | None, facts: Iterable[Fact]) -> None:
        """Apply ``facts`` in order inside the caller's transaction (each flushed before the next)."""
        to = Target(self.node_id, campaign_id)
        for fact in facts:
            writer_for(type(fact))(to, session, fact)
            session.flush()
