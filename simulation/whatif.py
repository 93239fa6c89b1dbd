"""Staffing what-if: a list's measured answer rate and handle times in, expectations out.

A supervisor gives what the campaign measured (answer rate, talk and wrap
means); :func:`expect` simulates our policy on that world and returns the
expected occupancy, abandon rate and throughput; :func:`agents_for` finds the
fewest agents that reach a target number of connects per hour. The same
simulator as the benchmark, so the numbers are the policy's, not a formula's.

:func:`erlang_c_agents` gives the textbook figure next to it: the head count
Erlang C asks for if the same connects arrived as a queue (Poisson, handle time
talk + wrap) and nearly all (1 - the abandon cap) had to reach an agent within
the compliance wait. A dialer times its calls to the agents it sees freeing
up, which is what the simulated figure measures; the gap is what pacing earns.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.erlang import Staffing, agents_needed
from orchestrator.pacing.base import PacingPolicy
from orchestrator.pacing.predictive import PredictivePolicy
from simulation.engine import simulate
from simulation.metrics import Summary
from simulation.world import World


@dataclass(frozen=True, slots=True)
class Expectation:
    agents: int
    summary: Summary

    @property
    def connects_per_hour(self) -> float:
        return self.summary.connects_per_agent_hour * self.agents


def expect(world: World, seed: int = 1, policy: PacingPolicy | None = None) -> Expectation:
    run = simulate(world, policy or PredictivePolicy(), seed)
    return Expectation(world.agents, run.tally.summary(world.cap, world.profile))


def agents_for(world: World, connects_per_hour: float, seed: int = 1, max_agents: int = 500) -> Expectation:
    """Fewest agents whose simulated day reaches ``connects_per_hour`` (bisection on head count:
    throughput grows with agents)."""
    if connects_per_hour <= 0:
        raise ValueError("target connects per hour must be positive")
    lo, hi = 1, 1
    best = expect(world.with_(agents=hi), seed)
    while best.connects_per_hour < connects_per_hour:
        if hi >= max_agents:
            raise ValueError(f"{max_agents} agents do not reach {connects_per_hour} connects per hour")
        lo, hi = hi + 1, min(max_agents, hi * 2)
        best = expect(world.with_(agents=hi), seed)
    while lo < hi:
        mid = (lo + hi) // 2
        trial = expect(world.with_(agents=mid), seed)
        if trial.connects_per_hour >= connects_per_hour:
            hi, best = mid, trial
        else:
            lo = mid + 1
    return best


def erlang_c_agents(world: World, connects_per_hour: float) -> Staffing:
    """Erlang C's head count for ``connects_per_hour`` in ``world`` (see the module's docstring)."""
    return agents_needed(connects_per_hour, world.talk_mean + world.wrap_mean,
                         service_level_target=1.0 - world.cap, answer_within_s=world.abandon_after_s)
