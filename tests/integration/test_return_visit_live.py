"""A complaint's return visit placed by the real runner on the sandbox's Asterisk: the assignee books it on
the ticket, holds it in their panel when it is due, dials it in preview; the world's customer is really
called and bridged to the agent's phone, and the agent's disposition during the call makes the ticket
"return visit done" with that call linked. (The walk along the ticket's path, the refusals and the panel
are the web tests': tests/web/test_return_visit.py; preview dialing is the same on both PBXes.)"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lab.campaign import AmiWatcher, world_dials
from lab.sandbox.world import Outcome as World
from orchestrator.quality.tickets import State
from store import models as m
from store.enums import AgentState, CampaignMode
from tests.integration.campaign_kit import Kit, mixed_leads
from tests.integration.test_agent_panel_live import HTMX, PHONE_INDEX, panel_client
from web.agent import services

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

TALK_S = 6  # the customer talks this long after answering: time for the agent's disposition


def test_the_return_visit_is_a_preview_call_to_the_customer_bridged_to_the_assignee(sandbox, tmp_path,
                                                                                     monkeypatch):
    kit = Kit(sandbox, tmp_path)
    (agent_id,) = kit.agents(1, first=PHONE_INDEX)
    (customer,) = mixed_leads({World.HUMAN: 1}, first_serial=740, talk={World.HUMAN: (TALK_S,)})
    campaign = kit.campaign("return-visits-live", CampaignMode.PREVIEW, {})  # no leads of its own
    with kit.sessions.begin() as s:  # a complaint walked to "followed up", assigned to the agent
        agent = s.get_one(m.Agent, agent_id)
        s.add(m.Ticket(subject="Refund never came", phone=customer, state=State.FOLLOWED_UP,
                       state_since=datetime.now(UTC), assignee_id=agent.user_id))
        username = agent.user.username
    web = panel_client(kit, tmp_path, username)
    at = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    booked = web.post("/tickets/1/visit", {"campaign_id": str(campaign), "tz_offset_min": "0",
                                           "at": at.replace(tzinfo=None).isoformat(timespec="minutes")},
                      follow_redirects=True)
    assert "Return visit booked" in booked.get_data(as_text=True)

    runner = kit.runner()
    with AmiWatcher(kit.sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("the agent ready", lambda s: s.get_one(m.Agent, agent_id).state is AgentState.READY,
                         runner)
            with monkeypatch.context() as clock:  # its time has come (the panel's clock, not a wait)
                clock.setattr(services, "utcnow", lambda: at + timedelta(seconds=1))
                web.post("/agent/preview/next", {"campaign_id": str(campaign)})
            panel = web.get("/agent/").get_data(as_text=True)
            assert re.search(rf"Lead <strong>\{customer}</strong>", panel)
            assert "complaint: 1: Refund never came" in panel
            web.post("/agent/preview/dial")
            kit.wait_for("the customer bridged to the agent", kit.bridged(campaign), runner)
            page = web.get("/agent/").get_data(as_text=True)
            attempt_id = re.search(r'name="attempt_id" value="([^"]+)"', page).group(1)
            with kit.sessions() as s:
                done = s.scalar(select(m.Disposition.id).where(m.Disposition.campaign_id == campaign))
            saved = web.post("/agent/dispose", {"attempt_id": attempt_id, "disposition_id": str(done),
                                                "notes": "customer happy"}, headers=HTMX)
            assert "Complaint 1: return visit done." in saved.get_data(as_text=True)
            kit.wait_for("the call ended", kit.finished(campaign), runner)
            kit.stop_campaign(campaign, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
        assert world_dials(world, {customer}) == Counter({customer: 1})  # the world really got the call

    (attempt,) = kit.attempts(campaign)
    assert attempt.agent_id == agent_id
    assert attempt.bridged_at is not None
    with kit.sessions() as s:
        call = s.scalars(select(m.Call).where(m.Call.attempt_id == attempt.id)).one()
        ticket = s.get_one(m.Ticket, 1)
        assert (ticket.state, ticket.events[-1].call_id, call.callee) == (State.RETURN_VISITED, call.id,
                                                                          customer)
    kit.close()
