"""A supervisor moves an agent to another campaign while they talk, against a real runner and the
Asterisk sandbox (the move is the pool's decision, the same on both PBXes: one PBX is enough here).

The agent (``agent007``) talks to a customer of "move-from" when the supervisor, on the real wallboard
(the Flask app on the kit's database), moves them to "move-to". The call goes on to its natural end
(the runner took the move during it), the wrap-up is the old campaign's, and then the agent, on
the same phone leg (never rung again), is bridged to the customer "move-to" had been waiting to dial.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lab import demo
from lab.sandbox.world import Outcome as World
from store import models as m
from store.enums import CampaignMode, DeskCommand, DeskRequestStatus, Outcome, UserRole
from tests.integration.campaign_kit import Kit, mixed_leads, web_client

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PHONE_INDEX = 6  # agent007, as the agent panel's live tests (never run at the same time)
#: No AMD: the customer is bridged on answer and talks this long, long enough for the move to reach
#: the runner during the call; the new campaign's customer briefly.
TALK_S, NEW_TALK_S = 4, 2


def test_an_agent_moved_during_a_call_finishes_it_then_works_for_the_new_campaign(sandbox, tmp_path):
    kit = Kit(sandbox, tmp_path)
    (agent_id,) = kit.agents(1, first=PHONE_INDEX)
    old = kit.campaign("move-from", CampaignMode.PROGRESSIVE,
                       mixed_leads({World.HUMAN: 1}, first_serial=730, talk={World.HUMAN: (TALK_S,)}),
                       amd_enabled=False, wrap_up_s=1)
    with kit.sessions.begin() as s:  # running, nobody logged in for it: it dials nobody yet
        new = demo.create_campaign(s, "move-to", CampaignMode.PROGRESSIVE, mixed_leads(
            {World.HUMAN: 1}, first_serial=731, talk={World.HUMAN: (NEW_TALK_S,)}), amd_enabled=False).id
    board = web_client(kit, tmp_path, UserRole.SUPERVISOR)

    runner = kit.runner()
    runner.start()
    try:
        kit.wait_for("the agent talking for move-from", kit.bridged(old), runner)
        response = board.post(f"/wallboard/agents/{agent_id}/move", {"campaign_id": str(new)})
        said = board.get(response.headers["Location"]).get_data(as_text=True)
        assert "moves to move-to after the call in progress" in said
        kit.wait_for("the agent talking for move-to", kit.bridged(new), runner)
        kit.wait_for("every lead of move-to dialed and ended", kit.finished(new), runner)
        kit.stop_campaign(new, runner)
    finally:
        assert runner.stop() == 0, runner.tail()

    (first,), (second,) = kit.attempts(old), kit.attempts(new)
    with kit.sessions() as s:
        move = s.scalars(select(m.DeskRequest).where(m.DeskRequest.kind == DeskCommand.AGENT_MOVE)).one()
        log = s.scalars(select(m.AgentStateLog).where(m.AgentStateLog.agent_id == agent_id)
                        .order_by(m.AgentStateLog.id)).all()
    assert move.status is DeskRequestStatus.DONE
    assert first.outcome is Outcome.CONNECTED
    assert move.done_at < first.ended_at  # the runner had the move while the call went on
    assert (second.agent_id, second.outcome) == (agent_id, Outcome.CONNECTED)
    assert second.bridged_at > first.ended_at
    on_new = [row for row in log if row.campaign_id == new]
    assert on_new[0].started_at >= first.ended_at  # wrap-up included: the old campaign's to the end
    assert all(row.campaign_id == new for row in log[log.index(on_new[0]):])
    assert [row.reason for row in log if row.started_at >= move.done_at and row.reason == "connecting"] == []
    kit.close()
