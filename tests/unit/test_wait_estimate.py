"""The estimated wait said after a queued caller's position (``orchestrator.inbound.estimate``):
position x average handle time / agents serving, rounded up to whole minutes; none without a basis."""

from __future__ import annotations

import pytest

from orchestrator.inbound.estimate import MAX_MINUTES, RECENT_CALLS, HandleTimes, estimated_wait_min


@pytest.mark.parametrize(("position", "times", "agents", "minutes"), [
    (1, [120.0], 1, 2),  # exactly 2 minutes
    (1, [121.0], 1, 3),  # a second over: rounded up
    (1, [30.0], 1, 1),  # under a minute: "about 1 minute", never 0
    (2, [100.0, 140.0], 1, 4),  # average 120 s, two calls ahead
    (3, [180.0], 2, 5),  # 540 s over two agents: 270 s
    (5, [600.0], 3, 17),  # 3000 / 3 = 1000 s: 16.7
    (1000, [6000.0], 1, MAX_MINUTES),  # what the number prompts can say
])
def test_position_times_average_handle_time_over_agents_rounded_up(position, times, agents, minutes):
    assert estimated_wait_min(position, times, agents) == minutes


@pytest.mark.parametrize(("position", "times", "agents"), [
    (1, [], 2),  # no answered call yet
    (1, [0.0, -5.0], 2),  # nothing that took any time
    (1, [120.0], 0),  # nobody serving the queue
    (0, [120.0], 1),  # not waiting
])
def test_no_basis_no_estimate(position, times, agents):
    assert estimated_wait_min(position, times, agents) is None


def test_the_handle_times_keep_the_recent_calls_only():
    times = HandleTimes(float(s) for s in range(1, RECENT_CALLS + 6))
    assert len(times) == RECENT_CALLS
    assert next(iter(times)) == 6.0
    times.add(0.0)  # a call of no time is no sample
    times.add(1000.0)
    assert list(times)[-1] == 1000.0
    assert len(times) == RECENT_CALLS
