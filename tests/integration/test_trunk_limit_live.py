"""A trunk's channel limit across campaigns, on the real sandbox (both PBXes).

Two progressive campaigns share the node's ``world`` trunk, limited to 2 channels; each has two
agents, so together they would dial 4 customers at once. The runner's node counts every channel on
the trunk (``orchestrator.node.trunks``): the world, which is the carrier here, never holds more than
2 of their calls at any moment (counted on the world's own event stream), and every lead is still
dialed and connected.
"""

from __future__ import annotations

import pytest

from lab.campaign import AmiWatcher, mixed_leads
from lab.sandbox.world import Outcome as World
from store import models as m
from store.enums import CampaignMode, CampaignState
from tests.integration.campaign_kit import BOTH_PBXES, kit_on

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

LIMIT = 2


def most_at_once(world: AmiWatcher, numbers: set[str]) -> int:
    """The most calls to ``numbers`` the world held at one moment (its channels, in event order)."""
    up: set[str] = set()
    most = 0
    for e in list(world.events):
        if e.get("Event") == "Newchannel" and e.get("Context") == "world-in" and e.get("Exten") in numbers:
            up.add(e["Uniqueid"])
            most = max(most, len(up))
        elif e.get("Event") == "Hangup":
            up.discard(e.get("Uniqueid", ""))
    return most


@BOTH_PBXES
def test_two_campaigns_on_one_trunk_never_hold_more_calls_than_its_limit(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    agents = kit.agents(4)
    with kit.sessions.begin() as s:
        node = s.get(m.PbxNode, kit.node_id)
        s.add(m.Trunk(name="world", managed=False, channel_limit=LIMIT, nodes=[node]))
    leads = {}
    campaigns = []
    for n, pair in enumerate((agents[:2], agents[2:])):
        mine = mixed_leads({World.HUMAN: 4}, first_serial=950 + 10 * n, talk={World.HUMAN: (6,)})
        kit.agent_ids = list(pair)  # each campaign logs in its own two agents
        campaigns.append(kit.campaign(f"trunk-limit-{n}", CampaignMode.PROGRESSIVE, mine, wrap_up_s=1,
                                      trunk="world", amd_enabled=False))
        leads.update(mine)
    kit.agent_ids = agents
    runner = kit.runner()
    with AmiWatcher(kit.sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("every lead of both campaigns dialed and ended",
                         lambda s: all(kit.finished(c)(s) for c in campaigns), runner)
            with kit.sessions.begin() as s:  # both stopped, then wait for all four agents logged out
                s.get(m.Campaign, campaigns[0]).desired_state = CampaignState.STOPPED
            kit.stop_campaign(campaigns[1], runner)
        finally:
            assert runner.stop() == 0, runner.tail()
        assert most_at_once(world, set(leads)) == LIMIT  # 4 agents wanted 4 lines; the trunk held 2
    outcomes = [a.outcome.value for c in campaigns for a in kit.attempts(c) if a.outcome is not None]
    assert outcomes.count("connected") == len(leads)  # nothing refused: the pacers saw the smaller capacity
    kit.close()
