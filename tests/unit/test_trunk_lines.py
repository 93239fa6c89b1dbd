"""A trunk's channel limit on a node: every channel held on it counts, and campaigns dial only into the rest.

Two predictive campaigns share one carrier trunk; a remote agent's held-open leg and
inbound callers on the trunk take channels too (``orchestrator.node.trunks``).
"""

from __future__ import annotations

from dialer_harness import T0, BrakedRatio, ListLeads, SetDnc, counting_ids, ny_leads

from orchestrator.commands import Endpoint, EndpointKind, Originate
from orchestrator.dialer import CampaignConfig, CampaignDialer, DialMode, routes
from orchestrator.dialer.inputs import AgentLogin, PreviewDial
from orchestrator.events import Answered, CallArrived, Event, HungUp, PbxConnected, Tick
from orchestrator.leads.rules import LeadRules
from orchestrator.node.host import NodeHost

TRUNK, LIMIT = "carrier", 6


class Node:
    """Campaigns 7 and 8 (predictive, 3 lines per ready agent, ``max_lines`` 100 each) on ``TRUNK``."""

    def __init__(self, limit: int = LIMIT, *, mode: DialMode = DialMode.PREDICTIVE) -> None:
        self.host = NodeHost()
        self.dialers: dict[int, CampaignDialer] = {}
        for campaign_id in (7, 8):
            config = CampaignConfig(campaign_id=campaign_id, mode=mode, trunk=TRUNK, trunk_limit=limit,
                                    amd=False, record_calls=False, lead_rules=LeadRules())
            self.dialers[campaign_id] = dialer = CampaignDialer(
                config, ListLeads(ny_leads(20, start=100 * campaign_id)), SetDnc(), pool=self.host.pool,
                policy=BrakedRatio(3.0) if mode is DialMode.PREDICTIVE else None,
                ids=counting_ids(f"c{campaign_id}-"), trunks=self.host.trunks)
            self.host.add(dialer)
        self.lines: list[Originate] = []  # customer calls dialed, all campaigns
        self.feed(PbxConnected(T0, "pbx1"))

    def feed(self, event: Event) -> list[Originate]:
        sent = [c for _, step in self.host.handle(event) for c in step.commands if isinstance(c, Originate)]
        self.lines += [c for c in sent if c.route == routes.OUTBOUND]
        return sent

    def login(self, agent_id: int, campaign_id: int, phone: Endpoint, at: float) -> str:
        (leg,) = self.feed(AgentLogin(at, campaign_id, agent_id, phone))
        assert leg.endpoint == phone
        self.feed(Answered(at, leg.channel_id, leg.attempt_id))
        return leg.channel_id

    def open_lines(self) -> int:
        return sum(len(d.attempts()) for d in self.dialers.values())


def remote(number: str, trunk: str = TRUNK) -> Endpoint:
    return Endpoint(EndpointKind.TRUNK, trunk, number)


def test_two_campaigns_and_a_remote_agents_leg_never_hold_more_than_the_trunk_limit():
    node = Node()
    node.login(1, 7, Endpoint(EndpointKind.SEAT, "seat1"), T0)
    node.login(2, 8, remote("+12125550199"), T0)  # a remote agent: their leg holds a trunk channel
    assert node.host.trunks.held(TRUNK) == 1
    node.feed(Tick(T0 + 1))
    # Each pacer alone wants 3 lines (6 in all); 6 channels minus the remote leg leaves 5.
    assert (len(node.lines), node.open_lines(), node.host.trunks.held(TRUNK)) == (5, 5, 6)
    assert {d.pacing_state(T0 + 1).max_lines for d in node.dialers.values()} == {0}  # the pacers see it
    node.feed(Tick(T0 + 2))
    assert len(node.lines) == 5
    first = node.lines[0]
    node.feed(HungUp(T0 + 3, first.channel_id, first.attempt_id, cause=19))  # no answer: a channel frees
    node.feed(Tick(T0 + 4))
    assert (len(node.lines), node.open_lines()) == (6, 5)


def test_inbound_callers_on_the_trunk_take_its_channels_until_they_hang_up():
    node = Node()
    for n in range(4):
        node.feed(CallArrived(T0, f"in{n}", call_id=f"in{n}", dialed_number="18005550100", endpoint=TRUNK))
    node.feed(CallArrived(T0, "elsewhere", call_id="elsewhere", endpoint="other-carrier"))
    node.login(1, 7, Endpoint(EndpointKind.SEAT, "seat1"), T0)
    node.feed(Tick(T0 + 1))
    assert len(node.lines) == 2  # 6 - 4 callers
    node.feed(HungUp(T0 + 2, "in0"))
    node.feed(HungUp(T0 + 2, "elsewhere"))
    node.feed(Tick(T0 + 3))
    assert len(node.lines) == 3
    # A reconnect drops callers who hung up while the node was out of reach.
    live = frozenset({"in1", *(c.channel_id for c in node.lines)})
    node.feed(PbxConnected(T0 + 4, "pbx1", live_channel_ids=live))
    assert node.host.trunks.held(TRUNK) == 4


def test_a_remote_leg_on_another_trunk_and_a_trunk_without_limit_leave_the_campaigns_alone():
    node = Node(limit=0)
    node.login(1, 7, remote("+12125550198", trunk="other-carrier"), T0)
    node.login(2, 8, remote("+12125550199"), T0)
    assert (node.host.trunks.held(TRUNK), node.host.trunks.held("other-carrier")) == (1, 1)
    node.feed(Tick(T0 + 1))
    assert len(node.lines) == 6  # 3 per campaign: no limit on the trunk


def test_a_preview_dial_on_a_full_trunk_is_handed_back_not_sent():
    node = Node(limit=1, mode=DialMode.PREVIEW)
    node.login(1, 7, Endpoint(EndpointKind.SEAT, "seat1"), T0)
    node.feed(CallArrived(T0, "in0", call_id="in0", endpoint=TRUNK))  # the trunk's one channel
    (lead,) = ny_leads(1, start=900)
    steps = node.host.handle(PreviewDial(T0 + 1, 7, 1, lead))
    assert node.lines == []
    assert not [c for _, s in steps for c in s.commands if isinstance(c, Originate)]
    (update,) = [f.update for _, s in steps for f in s.facts if hasattr(f, "update")]
    assert update.reason == "no free trunk line"
