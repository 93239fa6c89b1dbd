"""The node's campaign set follows the database while the runner runs (real SQLite and PostgreSQL).

The core is the production ``NodeCore``; only the PBX side is a list of the
commands it would send.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from lab import demo
from orchestrator import commands as c
from orchestrator.events import Answered, DialplanSignal, PbxConnected, Tick
from runner.node import RunnerOptions, load_node
from store import desk_queue
from store import models as m
from store.enums import CampaignMode, CampaignState, DeskRequestStatus
from tests.db.builders import TEST_SEALER
from tests.runner.core_probe import Core


def setup(sessions, state: CampaignState) -> tuple[Core, int, int]:
    """A started core (connected, swept) and a campaign in ``state`` it has not loaded."""
    with sessions.begin() as s:
        node = demo.ensure_node(s, TEST_SEALER, demo.NodeSpec("pbx", "127.0.0.1", 5038, "u", "p"))
        (agent,) = demo.ensure_agents(s, TEST_SEALER, node, [("agent001", "x")])
        agent_id = agent.id
    with sessions() as s:
        core = Core(sessions, load_node(s, "pbx", TEST_SEALER), RunnerOptions())
    core.recover()
    core.start(PbxConnected(time.time(), "pbx"))
    with sessions.begin() as s:
        campaign = demo.create_campaign(s, "later", CampaignMode.PROGRESSIVE, ["+12025550111"], state=state)
        campaign_id = campaign.id
    return core, agent_id, campaign_id


def queue_login(sessions, agent_id: int, campaign_id: int) -> int:
    with sessions.begin() as s:
        node = s.scalar(select(m.PbxNode))
        command = m.DeskRequest(kind="agent_login", node_id=node.id, campaign_id=campaign_id,
                                agent_id=agent_id)
        return desk_queue.enqueue(s, command).id


def customer_originates(core: Core) -> list[c.Originate]:
    return [x for x in core.sent if isinstance(x, c.Originate) and x.endpoint.kind is c.EndpointKind.TRUNK]


def test_a_campaign_started_while_connected_dials(sessions):
    core, agent_id, campaign_id = setup(sessions, CampaignState.STOPPED)
    with sessions.begin() as s:
        s.get(m.Campaign, campaign_id).desired_state = CampaignState.RUNNING
    core.sync_campaigns()
    dialer = core.slots[campaign_id].dialer
    assert dialer.connected
    queue_login(sessions, agent_id, campaign_id)
    core.poll_commands()
    (leg,) = core.sent
    core.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    core.feed(Tick(time.time()))
    assert [o.endpoint.number for o in customer_originates(core)] == ["+12025550111"]


def test_a_login_for_a_campaign_started_a_moment_ago_is_taken(sessions):
    core, agent_id, campaign_id = setup(sessions, CampaignState.RUNNING)  # not synced yet
    command_id = queue_login(sessions, agent_id, campaign_id)
    assert core.poll_commands() == 1
    assert agent_id in core.slots[campaign_id].dialer.agents.agents
    with sessions() as s:
        assert s.get(m.DeskRequest, command_id).status is DeskRequestStatus.DONE


def test_a_login_for_a_stopped_campaign_fails_with_a_reason(sessions):
    core, agent_id, campaign_id = setup(sessions, CampaignState.STOPPED)
    command_id = queue_login(sessions, agent_id, campaign_id)
    core.poll_commands()
    assert campaign_id not in core.slots
    assert core.sent == []
    with sessions() as s:
        command = s.get(m.DeskRequest, command_id)
        assert command.status is DeskRequestStatus.FAILED
        assert "not running" in command.error


def test_edits_to_a_running_campaign_apply_without_a_restart_and_keep_its_agents(sessions):
    core, agent_id, campaign_id = setup(sessions, CampaignState.RUNNING)
    with sessions.begin() as s:
        s.get(m.Campaign, campaign_id).max_lines = 0  # as the admin form saves it
    queue_login(sessions, agent_id, campaign_id)
    core.poll_commands()
    (leg,) = core.sent
    core.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    core.feed(Tick(time.time()))
    assert customer_originates(core) == []  # no line allowed
    with sessions.begin() as s:
        campaign = s.get(m.Campaign, campaign_id)
        campaign.max_lines, campaign.wrap_up_s, campaign.max_attempts = 3, 7, 2
    core.sync_campaigns()
    dialer = core.slots[campaign_id].dialer
    config = dialer.config
    assert (config.max_lines, config.wrap_up_s, config.lead_rules.max_attempts) == (3, 7, 2)
    assert dialer.agents.agents[agent_id].leg == leg.channel_id  # the same agent, on the same leg
    core.feed(Tick(time.time()))
    assert [o.endpoint.number for o in customer_originates(core)] == ["+12025550111"]


def test_an_agent_at_a_remote_seat_gets_their_phone_dialed_at_login_and_after_a_restart(sessions):
    """The desk login and the start-up re-login go through the same seat -> endpoint reading."""
    core, agent_id, campaign_id = setup(sessions, CampaignState.RUNNING)
    with sessions.begin() as s:
        seat = s.get(m.Agent, agent_id).seat
        seat.remote_number, seat.trunk = "+12015199000", m.Trunk(name="carrier", managed=False,
                                                                  nodes=[seat.node])
    queue_login(sessions, agent_id, campaign_id)
    core.poll_commands()
    (leg,) = core.sent
    phone = c.Endpoint(c.EndpointKind.TRUNK, "carrier", "+12015199000")
    assert isinstance(leg, c.Originate)
    assert (leg.endpoint, leg.route) == (phone, "sb-agent-hold")
    assert leg.variables["sb_confirm"] == "yes"  # a remote seat's phone presses 1 to accept, by default
    core.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    with sessions() as s:
        restarted = Core(sessions, load_node(s, "pbx", TEST_SEALER), RunnerOptions())
    restarted.recover()
    restarted.start(PbxConnected(time.time(), "pbx"))  # the old leg is gone: the phone is dialed again
    (again,) = [x for x in restarted.sent if isinstance(x, c.Originate)]
    assert (again.endpoint, again.route, again.variables["sb_confirm"]) == (phone, "sb-agent-hold", "yes")


def test_the_trunks_channel_limit_reaches_the_core_and_a_remote_agents_leg_takes_one_of_its_lines(sessions):
    """A trunk of 1 channel held by the remote agent's own leg leaves the campaign no line; raised to 2
    in the database, the running campaign dials one customer through it."""
    core, agent_id, campaign_id = setup(sessions, CampaignState.RUNNING)
    with sessions.begin() as s:
        seat = s.get(m.Agent, agent_id).seat
        seat.remote_number = "+12015199000"
        seat.trunk = m.Trunk(name="carrier", managed=False, channel_limit=1, nodes=[seat.node])
        s.get(m.Campaign, campaign_id).trunk = "carrier"
    queue_login(sessions, agent_id, campaign_id)
    core.poll_commands()
    (leg,) = core.sent
    core.feed(Answered(time.time(), leg.channel_id, leg.attempt_id))
    core.feed(DialplanSignal(time.time(), leg.channel_id, leg.attempt_id, name="agent_confirmed"))  # 1
    dialer = core.slots[campaign_id].dialer
    assert (dialer.config.trunk, dialer.config.trunk_limit) == ("carrier", 1)
    assert core.host.trunks.held("carrier") == 1
    core.feed(Tick(time.time()))
    assert customer_originates(core) == [leg]  # only the agent's own leg went through the trunk
    with sessions.begin() as s:
        s.scalar(select(m.Trunk).where(m.Trunk.name == "carrier")).channel_limit = 2
    core.sync_campaigns()
    core.feed(Tick(time.time()))
    assert [o.endpoint.number for o in customer_originates(core)] == ["+12015199000", "+12025550111"]
