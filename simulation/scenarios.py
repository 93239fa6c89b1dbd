"""The named worlds of BENCHMARKS.md (S1-S7), for the benchmark and the CLI."""

from __future__ import annotations

from orchestrator.compliance import ComplianceProfile
from simulation.world import ListSegment, World

#: S2: four lists of ~2 h each; the rate drifts down inside a list and jumps at each
#: switch, once upwards (0.20 -> 0.30), the dangerous direction for abandons.
DRIFTING_LISTS = (
    ListSegment(0.0, 2.125, 0.35, 0.30),
    ListSegment(2.125, 4.25, 0.22, 0.20),
    ListSegment(4.25, 6.375, 0.30, 0.25),
    ListSegment(6.375, 8.5, 0.18, 0.15),
)


#: S9: a list switch from poor to good data three hours in, and back three hours later.
STEPS = (ListSegment(0.0, 3.0, 0.2, 0.2), ListSegment(3.0, 6.0, 0.35, 0.35), ListSegment(6.0, 8.5, 0.2, 0.2))


def scenario(name: str, *, p: float = 0.3, days: int = 1) -> World:
    base = World(p_live=p, days=days)
    worlds = {
        "S1": base,
        "S2": base.with_(lists=DRIFTING_LISTS, p_live=0.25),
        "S3": base.with_(staffing="breaks"),
        "S4": base.with_(talk_cv=1.5, handle_swing=0.2),
        "S5": base.with_(agents=12),
        "S6": base.with_(profile=ComplianceProfile.UK),
        "S7": base.with_(cap=0.01),
        # Issue 18: a 10-agent team under a per-24 h rule; a step up and down of the answer
        # rate; half the agents leaving for lunch within ten minutes, announced five minutes
        # ahead; the UK rule with a 5 % AMD false-positive rate (the cap cannot be met).
        "S8": base.with_(agents=10),
        "S9": base.with_(lists=STEPS, p_live=0.2, event_h=3.0),
        "S10": base.with_(staffing="departure", event_h=4.0, announce_s=300.0),
        "S11": base.with_(profile=ComplianceProfile.UK, amd_false_positive=0.05),
    }
    try:
        return worlds[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}: one of {', '.join(worlds)}") from None


NAMES = ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11")
