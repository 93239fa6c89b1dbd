"""What the attempt facts leave in the store when a call is bridged, found unbridged, and bridged again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from orchestrator.dialer import facts as f
from runner.persist import FactWriter
from runner.times import to_epoch
from store import models as m
from store.enums import PbxKind, UserRole
from tests.db.builders import campaign_with_leads

T0 = to_epoch(datetime(2026, 12, 4, 9, 0, tzinfo=UTC)) or 0.0


def test_a_call_found_unbridged_forgets_its_agent_and_its_second_bridge_keeps_one_recording(engine, sessions):
    campaign_id = campaign_with_leads(engine, 1, datetime(2026, 12, 4, 8, 0, tzinfo=UTC))
    attempt_id = str(uuid.uuid4())
    with sessions.begin() as s:
        node = m.PbxNode(name="pbx1", kind=PbxKind.ASTERISK, host="127.0.0.1", port=5038)
        s.add(node)
        agents = [m.Agent(user=m.User(username=f"agent{i}", password_hash="x", role=UserRole.AGENT))
                  for i in (1, 2)]
        s.add_all(agents)
        s.flush()
        lead_id = s.scalars(select(m.Lead.id)).one()
        first, second = (a.id for a in agents)
        writer = FactWriter(node.id)
        recording = f"{campaign_id}/{attempt_id}.wav"
        writer.write(s, campaign_id, [
            f.AttemptStarted(T0, attempt_id, campaign_id, lead_id, "chan1", "+12025550000", None, "100"),
            f.AttemptAnswered(T0 + 3, attempt_id),
            f.AttemptBridged(T0 + 5, attempt_id, first, recording, 0.0),
        ])
    with sessions.begin() as s:
        writer.write(s, campaign_id, [f.AttemptUnbridged(T0 + 8, attempt_id)])
        attempt = s.get(m.Attempt, uuid.UUID(attempt_id))
        assert (attempt.bridged_at, attempt.agent_id) == (None, None)
    with sessions.begin() as s:
        writer.write(s, campaign_id, [f.AttemptBridged(T0 + 9, attempt_id, second, recording, 1.0)])
        attempt = s.get(m.Attempt, uuid.UUID(attempt_id))
        assert (to_epoch(attempt.bridged_at), attempt.agent_id) == (T0 + 9, second)
        paths = s.scalars(select(m.Recording.path).where(m.Recording.attempt_id == attempt.id)).all()
        assert paths == [recording]
