"""Staffing what-if and the `switchboard simulate` body (without click)."""

import pytest

from simulation import World
from simulation.cli import run
from simulation.scenarios import scenario as named
from simulation.whatif import agents_for, erlang_c_agents, expect

SHORT = World(warmup_s=300.0, shift_s=1800.0)


def test_more_agents_more_connects_and_the_search_returns_the_fewest():
    found = agents_for(SHORT, connects_per_hour=60.0)
    assert found.connects_per_hour >= 60.0
    assert found.agents > 1
    fewer = expect(SHORT.with_(agents=found.agents - 1))
    assert fewer.connects_per_hour < 60.0


def test_cli_body_reports_the_measured_world_and_rejects_nonsense():
    lines = run(agents=3, answer_rate=0.2, talk_mean=120.0, days=1, policy="progressive")
    assert lines[0].startswith("S1, 3 agents, 1 day(s), policy progressive")
    assert any(line.startswith("occupancy") for line in lines)
    with pytest.raises(ValueError, match=r"answer rate out of range: 0\.9"):
        run(answer_rate=0.9)
    with pytest.raises(ValueError, match="unknown policy 'bogus': one of "):
        run(policy="bogus", agents=2)


def test_the_staffing_answer_shows_erlang_c_next_to_the_simulated_head_count():
    lines = run(connects_per_hour=60.0, days=1, talk_mean=120.0, wrap_mean=20.0)
    erlang = erlang_c_agents(named("S1").with_(talk_mean=120.0, wrap_mean=20.0), 60.0)
    assert erlang.traffic_erlangs == pytest.approx(60.0 * 140.0 / 3600.0)
    assert erlang.service_level >= 0.97
    assert erlang.agents > erlang.traffic_erlangs
    assert lines[-1].startswith(f"Erlang C: {erlang.agents} agents if those connects queued for them")
    assert lines[0].split()[0].isdigit()  # the simulated head count comes first
