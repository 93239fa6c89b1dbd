"""Retry delays shared by everything that reconnects or retries (AMI, ESL, the runner's database).

Exponential with jitter, capped: many runners that lost the same PBX or
database at once must not come back in step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """``delay(n)``: the wait after ``n`` consecutive failures before this one (0 -> ``initial``)."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5  # the delay is drawn from [base * (1 - jitter), base]

    def delay(self, failures: int, rng: random.Random) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(0, failures))
        return rng.uniform(base * (1 - self.jitter), base)
