"""Hotline callers in the simulated day, through the core's queue unit: every caller has one fate,
overflow agents are reserved (the pacer sees them leave) and come back, Erlang C sizes the standby."""

from orchestrator.erlang import service_level
from orchestrator.events import AgentState
from orchestrator.pacing.predictive import PredictivePolicy
from simulation import World
from simulation.engine import Simulator
from simulation.inbound import CAMPAIGN, InboundWorld, erlang_plan

BUSY_HOTLINE = InboundWorld(calls_per_day=40.0, profile=(1.0, 1.0), talk_mean=150.0)
SMALL = World(agents=8, warmup_s=600.0, shift_s=3600.0, inbound=BUSY_HOTLINE)


class Watching(PredictivePolicy):
    """Our policy, noting when it was shown a designated overflow agent as leaving."""

    def __init__(self) -> None:
        super().__init__()
        self.leaving_shown: set[int] = set()

    def lines_to_dial(self, state):
        self.leaving_shown |= {a.agent_id for a in state.agents if a.leaving_at is not None}
        return super().lines_to_dial(state)


def run(world: World = SMALL, seed: int = 1) -> tuple[Simulator, Watching]:
    policy = Watching()
    sim = Simulator(world, policy, seed)
    sim.run()
    return sim, policy


def test_every_caller_is_answered_abandons_or_is_sent_on_and_overflow_agents_answer_some():
    sim, _ = run()
    tally = sim.inbound.tally
    assert tally.offered > 20
    assert tally.closed() == tally.offered
    assert 0 < tally.by_overflow < len(tally.waits)  # the hotline seat answers first
    assert sim.inbound.queue.waiting == {}
    assert sim.inbound.queue.talking == {}


def test_the_pacer_sees_only_the_designated_agents_leave_and_they_end_the_day_with_their_campaign():
    sim, policy = run()
    assert policy.leaving_shown == {0, 1}
    for agent_id in (0, 1):
        record = sim.inbound.host.pool.get(agent_id)
        assert (record.unit, record.reserved) == (CAMPAIGN, None)
        assert sim.agents[agent_id].state is AgentState.LOGGED_OUT
        assert not sim.agents[agent_id].inbound


def test_the_same_seed_gives_the_same_inbound_day():
    first, second = run()[0].inbound.tally, run()[0].inbound.tally
    assert (first.waits, first.abandoned, first.sent_on) == (second.waits, second.abandoned, second.sent_on)


def test_erlang_c_sizes_the_standby_from_the_peak_hour():
    day_s = 8.5 * 3600
    reference = erlang_plan(InboundWorld(), day_s)
    assert reference.peak_calls_per_hour > 100 / 8.5  # a peak above the day's average
    assert reference.hotline_only_sl < 0.9 <= reference.staffing.service_level
    assert reference.standby == min(2, reference.staffing.agents - 1)
    assert reference.staffing.service_level == service_level(
        reference.staffing.agents, reference.traffic_erlangs, InboundWorld().aht_s, 20.0)
    quiet = erlang_plan(InboundWorld(calls_per_day=10.0), day_s)
    assert quiet.standby <= reference.standby
