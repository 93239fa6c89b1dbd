"""The node's agent pool, the units it hosts and the one blending decision (two campaigns sharing agents)."""

from __future__ import annotations

import pytest
from dialer_harness import T0, ListLeads, SetDnc, counting_ids, customer_originates, ny_leads, of_type

from orchestrator.agents.pool import AgentPool
from orchestrator.commands import Bridge, Endpoint, EndpointKind, Originate
from orchestrator.dialer import CampaignConfig, CampaignDialer, DialMode
from orchestrator.dialer.facts import AgentStatus
from orchestrator.dialer.inputs import AgentLogin, AgentMove, Disposition
from orchestrator.events import AgentState, AgentStateChanged, Answered, Event, HungUp, PbxConnected, Tick
from orchestrator.leads.rules import LeadRules
from orchestrator.node.blending import Blending
from orchestrator.node.host import NodeHost
from orchestrator.node.unit import Claim, UnitKey, UnitKind
from orchestrator.pacing.base import PacingReason
from orchestrator.pacing.catalog import campaign_policy
from orchestrator.step import Step

A, B = UnitKey(UnitKind.CAMPAIGN, 7), UnitKey(UnitKind.CAMPAIGN, 8)


# -- the blending decision ---------------------------------------------------------------------

def test_blending_gives_the_agent_to_the_highest_priority_first():
    assert Blending().pick({A: Claim(waiting_since=T0 - 60), B: Claim(priority=1)}, T0) == B


def test_blending_prefers_a_customer_waiting_and_the_longest_wait():
    blending = Blending()
    assert blending.pick({A: Claim(), B: Claim(waiting_since=T0)}, T0 + 1) == B
    assert blending.pick({A: Claim(waiting_since=T0 - 1), B: Claim(waiting_since=T0)}, T0 + 1) == A


def test_blending_lets_units_without_waiting_customers_take_turns():
    blending = Blending()
    picks = [blending.pick({A: Claim(), B: Claim()}, T0 + t) for t in range(4)]
    assert picks == [A, B, A, B]
    assert blending.pick({}, T0 + 5) is None


# -- the pool ------------------------------------------------------------------------------------

def test_the_pool_claims_each_agent_for_exactly_one_unit_and_hands_them_over_when_freed():
    decisions = iter([A, B])
    pool = AgentPool(lambda agent, now: next(decisions))
    agent = pool.join(1, Endpoint(EndpointKind.SEAT, "seat1"), frozenset({A, B}), T0)
    assert agent is not None
    assert agent.unit == A
    assert list(pool.claimed(A)) == [1]
    # one record per person:
    assert pool.join(1, Endpoint(EndpointKind.SEAT, "seat1"), frozenset({B}), T0) is None
    assert not pool.free(agent, T0 + 1)  # the decision moved them
    assert (pool.claimed(A), list(pool.claimed(B)), pool.handovers()) == ({}, [1], [agent])
    assert pool.handovers() == []
    pool.leave(agent)
    assert 1 not in pool
    assert pool.claimed(B) == {}


def test_a_reserved_agent_is_pulled_only_while_idle_and_the_reservation_ends_when_they_arrive():
    pool = AgentPool(lambda agent, now: B if agent.reserved is not None and agent.reserved[0] <= now else A)
    agent = pool.join(1, Endpoint(EndpointKind.SEAT, "seat1"), frozenset({A, B}), T0)
    pool.reserve(agent, B, T0 + 10)
    agent.state = AgentState.ON_CALL
    assert not pool.pull(agent, T0 + 10)  # busy: the decision waits for them to be free
    agent.state = AgentState.READY
    assert not pool.pull(agent, T0 + 5)  # not due yet: the decision keeps them
    assert agent.unit == A
    assert pool.pull(agent, T0 + 10)
    assert (agent.unit, agent.reserved, pool.handovers()) == (B, None, [agent])


# -- two campaigns on one node ------------------------------------------------------------------

class Node:
    """Two progressive campaigns (7 and 8, no AMD) hosted on one node, fed like the runner feeds it;
    ``predictive``: 7 is predictive, paced by the live policy."""

    def __init__(self, *, predictive: bool = False) -> None:
        self.host = NodeHost()
        self.dialers = {}
        for key, prefix in ((A, "a"), (B, "b")):
            mode = DialMode.PREDICTIVE if predictive and key == A else DialMode.PROGRESSIVE
            config = CampaignConfig(campaign_id=key.id, mode=mode, amd=False, record_calls=False,
                                    lead_rules=LeadRules())
            policy = campaign_policy(config) if mode is DialMode.PREDICTIVE else None
            leads = ny_leads(5, start=100 * key.id)
            self.dialers[key] = CampaignDialer(config, ListLeads(leads), SetDnc(), pool=self.host.pool,
                                               policy=policy, ids=counting_ids(prefix))
            self.host.add(self.dialers[key])
        self.feed(PbxConnected(T0, "pbx1"))

    def feed(self, event: Event) -> dict[UnitKey, Step]:
        """Each unit's step (merged when a unit had two: its own and a hand-over it took)."""
        steps: dict[UnitKey, Step] = {}
        for key, step in self.host.handle(event):
            done = steps.get(key, Step())
            steps[key] = Step(done.commands + step.commands, done.facts + step.facts)
        claims = [set(self.host.pool.claimed(key)) for key in (A, B)]
        assert not claims[0] & claims[1], "an agent claimed by two units"
        assert claims[0] | claims[1] == {a.agent_id for a in self.host.pool}
        return steps

    def login(self, agent_id: int, campaign_id: int, at: float, *others: int) -> str:
        phone = Endpoint(EndpointKind.SEAT, f"seat{agent_id}")
        steps = self.feed(AgentLogin(at, campaign_id, agent_id, phone, other_campaigns=others))
        (leg,) = [c for s in steps.values() for c in s.commands if isinstance(c, Originate)]
        assert leg.endpoint.kind is EndpointKind.SEAT
        self.feed(Answered(at, leg.channel_id, leg.attempt_id))
        return leg.channel_id

    def unit_of(self, agent_id: int) -> UnitKey | None:
        agent = self.host.pool.get(agent_id)
        return agent.unit if agent is not None else None

    def pacer_sees(self, key: UnitKey, at: float) -> dict[int, tuple[AgentState, float | None]]:
        """What ``key``'s pacer is given about its agents: state and announced departure."""
        return {v.agent_id: (v.state, v.leaving_at) for v in self.dialers[key].pacing_state(at).agents}


def test_an_agent_logged_in_on_the_node_serves_the_unit_the_blending_picks():
    node = Node()
    leg = node.login(1, 7, T0, 8)  # may work for either campaign
    # Given to 7 at login, then free with the leg up: 8 has not had an agent yet, so 8 gets them.
    assert node.unit_of(1) == B
    steps = node.feed(Tick(T0 + 1))
    assert [len(customer_originates(steps[k].commands)) for k in (A, B)] == [0, 1]
    (line,) = customer_originates(steps[B].commands)
    steps = node.feed(Answered(T0 + 3, line.channel_id, line.attempt_id))
    assert Bridge(line.channel_id, leg) in steps[B].commands


def test_a_freed_agent_goes_where_a_customer_waits_and_is_never_claimed_twice():
    node = Node()
    leg1 = node.login(1, 7, T0, 8)  # shared: ends up in 8 (see above)
    node.login(2, 7, T0 + 1)  # campaign 7 only: 7 had an agent more recently than 8 from now on
    steps = node.feed(Tick(T0 + 1))
    (line7,) = customer_originates(steps[A].commands)
    (line8,) = customer_originates(steps[B].commands)
    node.feed(Answered(T0 + 2, line8.channel_id, line8.attempt_id))  # agent 1 talks for campaign 8
    node.feed(AgentStateChanged(T0 + 3, 2, AgentState.PAUSED, "coffee"))  # 7's only own agent leaves
    steps = node.feed(Answered(T0 + 4, line7.channel_id, line7.attempt_id))
    assert not of_type(steps[A].commands, Bridge)  # 7's customer waits for an agent
    node.feed(HungUp(T0 + 5, line8.channel_id, line8.attempt_id))
    assert node.unit_of(1) == B  # wrapping up the call of 8
    steps = node.feed(Disposition(T0 + 5, 8, 1, line8.attempt_id, "sale"))
    # Free again: the customer waiting in 7 beats 8's turn (8 had an agent longer ago).
    assert node.unit_of(1) == A
    assert Bridge(line7.channel_id, leg1) in steps[A].commands
    assert AgentStatus(T0 + 5, 1, AgentState.READY) in steps[A].facts
    assert not [f for f in steps[B].facts if isinstance(f, AgentStatus) and f.state is AgentState.READY]


def test_a_logged_in_agent_cannot_log_in_again_for_another_campaign():
    node = Node()
    node.login(1, 7, T0)
    steps = node.feed(AgentLogin(T0 + 1, 8, 1, Endpoint(EndpointKind.SEAT, "seat1")))
    assert all(s.commands == () and s.facts == () for s in steps.values())
    assert node.unit_of(1) == A


def test_a_unit_is_not_dropped_while_it_has_agents():
    node = Node()
    node.login(1, 7, T0)
    with pytest.raises(ValueError, match="agents claimed"):
        node.host.remove(A)
    node.feed(AgentStateChanged(T0 + 1, 1, AgentState.LOGGED_OUT))
    node.host.remove(A)
    assert list(node.host.units) == [B]


# -- a supervisor moves an agent to another campaign ------------------------------------------------

def test_a_moved_agent_finishes_the_call_the_old_pacer_sees_them_leaving_first_then_the_new_one_counts_them():
    node = Node(predictive=True)
    leg = node.login(1, 7, T0)
    steps = node.feed(Tick(T0 + 1))
    line, *others = customer_originates(steps[A].commands)
    for other in others:  # the predictive pacer may dial more than one line for one agent
        node.feed(HungUp(T0 + 2, other.channel_id, other.attempt_id, cause=19))
    steps = node.feed(Answered(T0 + 3, line.channel_id, line.attempt_id))
    assert Bridge(line.channel_id, leg) in steps[A].commands
    policy = node.dialers[A].policy
    assert policy is not None
    node.feed(Tick(T0 + 19))
    assert (policy.explain() or pytest.fail("no decision")).leaving == 0

    steps = node.feed(AgentMove(T0 + 20, 1, 8))
    assert all(s.commands == () for s in steps.values())  # the call in progress is not touched
    assert node.unit_of(1) == A
    assert node.pacer_sees(A, T0 + 20) == {1: (AgentState.ON_CALL, T0 + 20)}  # leaving, still on the call
    assert node.pacer_sees(B, T0 + 20) == {}
    steps = node.feed(Tick(T0 + 21))
    assert customer_originates(steps[A].commands) == []  # no customer is dialed for them any more
    explained = policy.explain() or pytest.fail("no decision")
    assert (explained.leaving, explained.lines) == (1, 0)
    assert PacingReason.DEPARTURES in explained.reasons

    node.feed(HungUp(T0 + 25, line.channel_id, line.attempt_id))
    assert node.unit_of(1) == A  # wrap-up and disposition stay with the old campaign
    assert node.pacer_sees(B, T0 + 25) == {}
    steps = node.feed(Disposition(T0 + 26, 7, 1, line.attempt_id, "sale"))
    assert node.unit_of(1) == B
    assert node.pacer_sees(A, T0 + 26) == {}
    assert node.pacer_sees(B, T0 + 26) == {1: (AgentState.READY, None)}
    assert AgentStatus(T0 + 26, 1, AgentState.READY) in steps[B].facts  # the state log: on 8 now
    steps = node.feed(Tick(T0 + 27))
    (line8,) = customer_originates(steps[B].commands)
    steps = node.feed(Answered(T0 + 28, line8.channel_id, line8.attempt_id))
    assert Bridge(line8.channel_id, leg) in steps[B].commands  # the same phone leg, never rung again


def test_an_idle_agent_moves_at_once_and_a_paused_one_when_ready_again():
    node = Node()
    node.login(1, 7, T0)
    node.login(2, 7, T0)
    node.feed(AgentStateChanged(T0 + 1, 2, AgentState.PAUSED, "coffee"))
    steps = node.feed(AgentMove(T0 + 2, 1, 8))
    assert node.unit_of(1) == B
    assert AgentStatus(T0 + 2, 1, AgentState.READY) in steps[B].facts
    node.feed(AgentMove(T0 + 3, 2, 8))
    assert node.unit_of(2) == A  # their pause is theirs
    assert node.pacer_sees(A, T0 + 3) == {2: (AgentState.PAUSED, T0 + 3)}
    node.feed(AgentStateChanged(T0 + 4, 2, AgentState.READY))
    assert node.unit_of(2) == B
    node.feed(AgentMove(T0 + 5, 3, 8))  # not logged in here: nothing to move
    node.feed(AgentMove(T0 + 5, 1, 99))  # a campaign this node does not host: they stay
    assert (node.unit_of(1), node.host.pool.get(1).reserved) == (B, None)


def test_an_agent_moved_back_before_they_went_stays_and_is_counted_again():
    node = Node()
    leg = node.login(1, 7, T0)
    (line,) = customer_originates(node.feed(Tick(T0 + 1))[A].commands)
    node.feed(Answered(T0 + 2, line.channel_id, line.attempt_id))
    node.feed(AgentMove(T0 + 3, 1, 8))
    assert node.pacer_sees(A, T0 + 3) == {1: (AgentState.ON_CALL, T0 + 3)}
    node.feed(AgentMove(T0 + 4, 1, 7))  # the supervisor changed their mind
    assert node.pacer_sees(A, T0 + 4) == {1: (AgentState.ON_CALL, None)}
    node.feed(HungUp(T0 + 5, line.channel_id, line.attempt_id))
    node.feed(Disposition(T0 + 6, 7, 1, line.attempt_id, "sale"))
    assert (node.unit_of(1), node.pacer_sees(A, T0 + 6)) == (A, {1: (AgentState.READY, None)})
    (line,) = customer_originates(node.feed(Tick(T0 + 7))[A].commands)
    steps = node.feed(Answered(T0 + 8, line.channel_id, line.attempt_id))
    assert Bridge(line.channel_id, leg) in steps[A].commands
