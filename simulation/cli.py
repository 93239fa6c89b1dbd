"""What ``switchboard simulate`` does, without click: build the world, run, describe."""

from __future__ import annotations

from orchestrator.compliance import ComplianceProfile
from orchestrator.pacing.catalog import make_policy
from simulation.engine import simulate
from simulation.scenarios import scenario as named
from simulation.whatif import agents_for, erlang_c_agents


def run(*, scenario: str = "S1", policy: str = "ours", ratio: float = 3.0, agents: int | None = None,
        answer_rate: float | None = None, talk_mean: float | None = None, wrap_mean: float | None = None,
        cap: float | None = None, profile: str | None = None, days: int = 1, seed: int = 1,
        connects_per_hour: float | None = None) -> list[str]:
    if days < 1:
        raise ValueError("days must be >= 1")
    world = named(scenario, days=days)
    changes: dict[str, object] = {}
    if agents is not None:
        changes["agents"] = agents
    if answer_rate is not None:
        if not 0.0 < answer_rate < 1.0 - world.p_machine - world.p_failed:
            raise ValueError(f"answer rate out of range: {answer_rate}")
        changes.update(p_live=answer_rate, lists=())
    if talk_mean is not None:
        changes["talk_mean"] = talk_mean
    if wrap_mean is not None:
        changes["wrap_mean"] = wrap_mean
    if cap is not None:
        changes["cap"] = cap
    if profile is not None:
        changes["profile"] = ComplianceProfile(profile)
    world = world.with_(**changes)
    if connects_per_hour is not None:
        found = agents_for(world, connects_per_hour, seed)
        erlang = erlang_c_agents(world, connects_per_hour)
        return [f"{found.agents} agents reach {found.connects_per_hour:.0f} connects per hour "
                f"(target {connects_per_hour:.0f}) with our policy:", *found.summary.lines(),
                f"Erlang C: {erlang.agents} agents if those connects queued for them "
                f"({erlang.traffic_erlangs:.1f} Erlangs, {erlang.service_level:.1%} reach an agent "
                f"within {world.abandon_after_s:g} s)"]
    pacing = make_policy(policy, ratio=ratio, shift_start_s=world.shift_start_h * 3600, shift_s=world.day_s)
    summary = simulate(world, pacing, seed).tally.summary(world.cap, world.profile)
    return [f"{scenario}, {world.agents} agents, {days} day(s), policy {pacing.name}, seed {seed}:",
            *summary.lines()]
