"""Erlang B/C/A against published table values and exact special cases."""

import math

import pytest

from orchestrator.erlang import (
    agents_needed,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    service_level,
)


def test_erlang_b_matches_the_blocking_tables():
    assert erlang_b(10, 5.0) == pytest.approx(0.01838, abs=5e-5)
    assert erlang_b(10, 4.461) == pytest.approx(0.01, abs=5e-5)  # 1 % grade of service, 10 trunks
    assert erlang_b(5, 1.361) == pytest.approx(0.01, abs=5e-5)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)


def test_erlang_c_matches_the_worked_call_centre_table():
    # 10 Erlangs (100 calls / 30 min, AHT 180 s), the usual worked example.
    table = {11: (0.6821, 122.8), 12: (0.4494, 40.4), 13: (0.2853, 17.1), 14: (0.1741, 7.8)}
    for agents, (waits, asa) in table.items():
        assert erlang_c(agents, 10.0) == pytest.approx(waits, abs=5e-5)
        assert average_speed_of_answer(agents, 10.0, 180.0) == pytest.approx(asa, abs=0.05)
    expected = 1 - 0.1741 * math.exp(-(14 - 10) * 20 / 180)
    assert service_level(14, 10.0, 180.0, 20.0) == pytest.approx(expected, abs=1e-4)


def test_erlang_c_exact_small_case_and_overload():
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(5, 5.0) == 1.0
    assert service_level(5, 6.0, 180.0, 20.0) == 0.0


def test_erlang_a_without_abandons_is_erlang_c():
    a = erlang_a(14, 100 / 1800, 180.0, patience_s=1e12)
    assert a.wait_probability == pytest.approx(erlang_c(14, 10.0), abs=1e-6)
    assert a.abandon_probability == pytest.approx(0.0, abs=1e-6)


def test_erlang_a_with_patience_equal_to_handle_time_is_a_poisson_count():
    # gamma = mu: the chain is M/M/infinity, so the number in system is Poisson(a).
    n, a = 8, 6.0
    pk = [math.exp(-a + k * math.log(a) - math.lgamma(k + 1)) for k in range(200)]
    r = erlang_a(n, a / 180.0, 180.0, patience_s=180.0)
    assert r.wait_probability == pytest.approx(sum(pk[n:]), abs=1e-9)
    assert r.abandon_probability == pytest.approx(sum((k - n) * p for k, p in enumerate(pk) if k > n) / a,
                                                  abs=1e-9)


def test_agents_needed_for_service_level_and_abandon_target():
    s = agents_needed(200, 180, service_level_target=0.8, answer_within_s=20)
    assert s.agents == 14  # 13 agents give 79.6 %, 14 give 88.8 %
    strict = agents_needed(200, 180, service_level_target=0.5, patience_s=60.0, abandon_target=0.01)
    assert strict.abandon_probability <= 0.01
    assert erlang_a(strict.agents - 1, 200 / 3600, 180, 60.0).abandon_probability > 0.01
    with pytest.raises(ValueError, match=r"abandon target needs the callers' mean patience"):
        agents_needed(200, 180, abandon_target=0.05)
