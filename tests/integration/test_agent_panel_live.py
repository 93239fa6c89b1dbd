"""The agent panel against a real runner and the real sandbox.

The agent is a sandbox phone (``agent007``: the campaign tests use agent001-004
and agent005-008 one after the other, never at the same time as this file's
tests in one run); the panel is the real Flask app on the campaign's database,
driven as the browser drives it (htmx requests included).

* A disposition saved while the customer is still talking is applied when the
  call ends: the attempt gets it, the lead becomes that agent's callback.
* A seat whose phone is not registered: the agent stays paused with the reason
  "phone disconnected", said on the panel and the wallboard, also after Ready.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from lab import demo
from lab.sandbox.world import Outcome as World
from store import models as m
from store.enums import AgentState, CampaignMode, DeskRequestStatus, LeadStatus, UserRole
from tests.integration.campaign_kit import Kit, mixed_leads
from tests.web.conftest import Client
from web.app import create_app

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

HTMX = {"HX-Request": "true"}
PHONE_INDEX = 6  # agent007
TALK_S = 15  # the customer talks this long after AMD: time for the agent to save the disposition


def panel_client(kit: Kit, tmp_path, username: str) -> Client:
    """A browser of ``username`` (an agent or user the kit made, with the kit's password)."""
    password = kit.agent_password
    settings = dataclasses.replace(kit.sandbox.settings, database_url=kit.url,
                                   instance_dir=tmp_path / "web", secret_key="panel-test")
    client = Client(create_app(settings, TESTING=True).test_client())
    response = client.login(username, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def add_callback_disposition(kit: Kit, campaign_id: int) -> None:
    with kit.sessions.begin() as s:
        s.add(m.Disposition(campaign_id=campaign_id, code="CB", label="Call back", schedules_callback=True,
                            is_final=False))


def test_disposition_saved_during_the_call_is_applied_at_hangup(sandbox, tmp_path):
    kit = Kit(sandbox, tmp_path)
    (agent_id,) = kit.agents(1, first=PHONE_INDEX)
    leads = mixed_leads({World.HUMAN: 1}, first_serial=700, talk={World.HUMAN: (TALK_S,)})
    campaign = kit.campaign("panel-live", CampaignMode.PROGRESSIVE, leads, wrap_up_s=120)
    add_callback_disposition(kit, campaign)
    web = panel_client(kit, tmp_path, f"agent{PHONE_INDEX + 1:03d}")
    callback = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)

    runner = kit.runner()
    runner.start()
    try:
        kit.wait_for("the customer bridged to the agent", kit.bridged(campaign), runner)
        page = web.get("/agent/").get_data(as_text=True)
        attempt_id = re.search(r'name="attempt_id" value="([^"]+)"', page).group(1)
        assert "On the call with" in page
        with kit.sessions() as s:
            cb = s.scalar(select(m.Disposition.id).where(m.Disposition.campaign_id == campaign,
                                                         m.Disposition.code == "CB"))
        response = web.post("/agent/dispose", {
            "attempt_id": attempt_id, "disposition_id": str(cb), "notes": "call back tomorrow",
            "callback_at": callback.replace(tzinfo=None).isoformat(timespec="minutes"), "tz_offset_min": "0",
        }, headers=HTMX)
        assert "It is applied when the call ends." in response.get_data(as_text=True)
        kit.wait_for("every lead dialed and ended", kit.finished(campaign), runner)
        kit.wait_for("the disposition recorded", lambda s: s.scalar(
            select(m.Attempt.disposition_id).where(m.Attempt.campaign_id == campaign)) is not None, runner)
        kit.stop_campaign(campaign, runner)
    finally:
        assert runner.stop() == 0, runner.tail()

    (attempt,) = kit.attempts(campaign)
    with kit.sessions() as s:
        command = s.scalars(select(m.DeskRequest).where(m.DeskRequest.kind == "disposition")).one()
        assert command.status is DeskRequestStatus.DONE
        assert command.done_at < attempt.ended_at  # the runner took it while the call was up
        assert s.get(m.Disposition, attempt.disposition_id).code == "CB"
        assert attempt.notes == "call back tomorrow"
        lead = s.get(m.Lead, attempt.lead_id)
        assert (lead.status, lead.callback_agent_id, lead.next_call_at) == (LeadStatus.CALLBACK, agent_id,
                                                                           callback)
        assert lead.disposition_id == attempt.disposition_id
        # The disposition ended the wrap-up at once (120 s otherwise).
        ready = s.scalar(select(m.AgentStateLog.started_at).where(
            m.AgentStateLog.agent_id == agent_id, m.AgentStateLog.state == AgentState.READY,
            m.AgentStateLog.started_at >= attempt.ended_at))
        assert ready is not None
    page = web.get("/agent/").get_data(as_text=True)
    assert "My callbacks" in page
    assert attempt.phone in page
    kit.close()


def test_a_seat_without_a_registered_phone_says_so_on_the_panel_and_the_wallboard(sandbox, tmp_path):
    kit = Kit(sandbox, tmp_path)
    with kit.sessions.begin() as s:  # a seat no sandbox phone registers
        node = s.get(m.PbxNode, kit.node_id)
        (agent,) = demo.ensure_agents(s, kit.sealer, node, [("agent091", "not-registered-anywhere")],
                                      kit.agent_password)
        kit.agent_ids = [agent.id]
        s.add(m.User(username="sup", password_hash=generate_password_hash(kit.agent_password),
                     role=UserRole.SUPERVISOR, display_name="sup"))
    agent_id = kit.agent_ids[0]
    leads = mixed_leads({World.HUMAN: 1}, first_serial=710)
    campaign = kit.campaign("no-phone", CampaignMode.PROGRESSIVE, leads)
    web = panel_client(kit, tmp_path, "agent091")
    board = panel_client(kit, tmp_path, "sup")

    def state_log(s) -> list[tuple[AgentState, str]]:
        return [(row.state, row.reason) for row in s.scalars(
            select(m.AgentStateLog).where(m.AgentStateLog.agent_id == agent_id).order_by(m.AgentStateLog.id))]

    def shows(client: Client, url: str, *texts: str):
        """The page says all of ``texts``: waited on, since for its first minute after connecting
        the runner tries the phone again every few seconds (connecting, then disconnected again)."""
        return lambda _s: all(t in client.get(url).get_data(as_text=True) for t in texts)

    runner = kit.runner()
    runner.start()
    try:
        kit.wait_for("the agent paused: phone disconnected",
                     lambda s: state_log(s)[-1:] == [(AgentState.PAUSED, "phone disconnected")], runner)
        kit.wait_for("the panel says why", shows(
            web, "/agent/", "Your phone (agent091) is not connected", "(phone disconnected)"), runner)
        kit.wait_for("the wallboard says why", shows(
            board, "/wallboard/snapshot.json", '"reason":"phone disconnected"', '"name":"agent091"'), runner)

        web.post("/agent/ready")  # the dialer tries the phone again, and says why it stays paused

        def tried_after_ready(s) -> bool:
            done = s.scalar(select(m.DeskRequest.done_at).where(m.DeskRequest.kind == "agent_state",
                                                            m.DeskRequest.status == DeskRequestStatus.DONE))
            since = [(row.state, row.reason) for row in s.scalars(
                select(m.AgentStateLog).where(m.AgentStateLog.agent_id == agent_id,
                                              m.AgentStateLog.started_at >= done))] if done else []
            return (AgentState.PAUSED, "connecting") in since and since[-1] == (AgentState.PAUSED,
                                                                               "phone disconnected")

        kit.wait_for("the ready command carried out and the phone tried again", tried_after_ready, runner)
        kit.wait_for("the panel says why, no command waiting", shows(web, "/agent/live", "is not connected"),
                     runner)
        assert "waiting for the dialer" not in web.get("/agent/live").get_data(as_text=True)
        with kit.sessions() as s:
            never_dialed = s.scalar(select(m.Attempt.id).where(m.Attempt.campaign_id == campaign)) is None
            assert never_dialed
        kit.stop_campaign(campaign, runner)
    finally:
        assert runner.stop() == 0, runner.tail()
    kit.close()
