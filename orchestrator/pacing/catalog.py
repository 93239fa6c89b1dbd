"""Policies by name, for the CLI, the benchmark and (later) the campaign settings."""

from __future__ import annotations

from orchestrator.pacing.base import PacingPolicy
from orchestrator.pacing.predictive import PredictivePolicy
from orchestrator.pacing.simple import FixedRatioPolicy, ProgressivePolicy
from orchestrator.pacing.vicidial import BRAKES, VicidialPolicy

NAMES = ("ours", "oracle", "progressive", "ratio", *(f"vicidial-{b}" for b in BRAKES))


def make_policy(name: str, *, ratio: float = 3.0, shift_start_s: float = 0.0,
                shift_s: float = 8.5 * 3600) -> PacingPolicy:
    """A fresh policy; ``ratio`` for ``ratio``, the shift for VICIdial's tapered brake."""
    if name == "ours":
        return PredictivePolicy()
    if name == "oracle":
        return PredictivePolicy(oracle=True)
    if name == "progressive":
        return ProgressivePolicy()
    if name == "ratio":
        return FixedRatioPolicy(ratio)
    if name.startswith("vicidial-"):
        return VicidialPolicy(name.removeprefix("vicidial-"), shift_start_s=shift_start_s, shift_s=shift_s)
    raise ValueError(f"unknown policy {name!r}: one of {', '.join(NAMES)}")
