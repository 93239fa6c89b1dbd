"""On the real sandbox: a campaign started from the admin while the runner is up and connected dials.

The runner is a real ``switchboard runner`` process, connected before the
campaign exists as running; the campaign is started the way a supervisor does
it (POST to the campaign's state route through the Flask test client), then
the agents log in (queued as the agent panel queues them, possibly before the
runner's next campaign sync).
"""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from lab import demo
from lab.campaign import AmiWatcher, Kit, mixed_leads, world_dials
from lab.sandbox.world import Outcome as World
from settings import Settings
from store import models as m
from store.enums import CampaignMode, CampaignState, UserRole
from tests.integration.conftest import sandbox  # noqa: F401 - fixture
from tests.web.conftest import Client
from web.app import create_app

pytestmark = [pytest.mark.sandbox]


def admin_client(kit: Kit, tmp_path) -> Client:
    with kit.sessions.begin() as s:
        s.add(m.User(username="boss", password_hash=generate_password_hash("pw-for-the-test"),
                     role=UserRole.ADMIN, display_name="Boss"))
    app = create_app(Settings(instance_dir=tmp_path / "web", database_url=kit.url, secret_key="test",
                              secrets_key=kit.secrets_key), TESTING=True)
    client = Client(app.test_client())
    assert client.login("boss", "pw-for-the-test").status_code == 302
    return client


def test_a_campaign_started_from_the_admin_while_the_runner_is_connected_dials(sandbox, tmp_path):  # noqa: F811
    kit = Kit(sandbox, tmp_path)
    agents = kit.agents(2, first=5)
    leads = mixed_leads({World.HUMAN: 3, World.BUSY: 1}, first_serial=700)
    with kit.sessions.begin() as s:
        campaign_id = demo.create_campaign(s, "later", CampaignMode.PROGRESSIVE, leads,
                                           state=CampaignState.STOPPED).id
    admin = admin_client(kit, tmp_path)
    runner = kit.runner()
    with AmiWatcher(sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("the runner connected", lambda _: "pbx connected" in runner.tail(200), runner, 60)
            response = admin.post(f"/campaigns/{campaign_id}/state", {"state": "running"})
            assert response.status_code == 302
            with kit.sessions.begin() as s:
                demo.log_in(s, s.get(m.PbxNode, kit.node_id), s.get(m.Campaign, campaign_id),
                            [s.get(m.Agent, i) for i in agents])
            kit.wait_for("every lead dialed and ended", kit.finished(campaign_id), runner, 120)
            kit.stop_campaign(campaign_id, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
        assert world_dials(world, set(leads)) == {phone: 1 for phone in leads}
    kit.close()


def paused_by_the_runner(sandbox, tmp_path, serial: int, humans: int, **settings) -> tuple[Kit, int, dict]:  # noqa: F811
    """Run a progressive campaign with ``settings`` until the runner pauses it; the world must get no call."""
    kit = Kit(sandbox, tmp_path)
    kit.agents(1, first=4)
    leads = mixed_leads({World.HUMAN: humans}, first_serial=serial)
    campaign_id = kit.campaign("misconfigured", CampaignMode.PROGRESSIVE, leads, **settings)
    runner = kit.runner()
    with AmiWatcher(sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("the campaign paused", lambda s: s.get(m.Campaign, campaign_id).desired_state
                         is CampaignState.PAUSED, runner, 60)
        finally:
            assert runner.stop() == 0, runner.tail()
        assert world_dials(world, set(leads)) == {}
    return kit, campaign_id, leads


def test_a_campaign_on_a_trunk_the_pbx_lacks_is_paused_and_its_leads_keep_their_place(sandbox, tmp_path):  # noqa: F811
    kit, campaign_id, _ = paused_by_the_runner(sandbox, tmp_path, 720, 12, trunk="nosuchtrunk")
    with kit.sessions() as s:
        assert "failed before reaching the network" in s.get(m.Campaign, campaign_id).paused_reason
    rows = kit.leads(campaign_id).values()  # given back (pending) or never claimed (new)
    assert {(lead.attempts, lead.last_outcome) for lead in rows} == {(0, None)}
    assert {lead.status.value for lead in rows} <= {"new", "pending"}
    kit.close()


def test_a_campaign_with_a_caller_id_no_pbx_takes_is_paused_before_it_dials(sandbox, tmp_path):  # noqa: F811
    kit, campaign_id, _ = paused_by_the_runner(sandbox, tmp_path, 740, 3, caller_id="Sales dept")
    with kit.sessions() as s:
        assert "caller ID" in s.get(m.Campaign, campaign_id).paused_reason
    assert {(lead.status.value, lead.attempts) for lead in kit.leads(campaign_id).values()} == {("new", 0)}
    assert kit.attempts(campaign_id) == []
    kit.close()
