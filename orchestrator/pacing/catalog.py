"""Policies by name (the CLI, the benchmark) and from a campaign's settings (the live dialer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.pacing.base import PacingPolicy
from orchestrator.pacing.predictive import PredictivePolicy
from orchestrator.pacing.simple import FixedRatioPolicy, ProgressivePolicy
from orchestrator.pacing.vicidial import BRAKES, VicidialPolicy

if TYPE_CHECKING:
    from orchestrator.dialer.config import CampaignConfig

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


def campaign_policy(config: CampaignConfig) -> PacingPolicy:
    """The live predictive policy, fitted to the campaign's settings.

    The horizon's grace is what is left of the compliance profile's limit
    (``abandon_after_s`` from the greeting's end) once the detector has decided:
    the policy learns the dial-to-verdict time, and the customer may wait this
    much more. The cap and the windows arrive in every ``PacingState``.
    """
    return PredictivePolicy(grace_s=config.wait_after_verdict_s)
