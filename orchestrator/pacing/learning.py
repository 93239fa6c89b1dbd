"""Online estimators a predictive policy learns with: rates, log-normal durations, ring hazards.

All of them forget geometrically (an effective memory of ``memory``
observations) so that a list switch or a drifting handle time is learned
within minutes, and none of them stores raw samples: each update is O(1)
(O(ring seconds) for the hazard table), cheap enough for 30 simulated days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(slots=True)
class Rate:
    """Exponentially weighted frequency of a yes/no outcome (plain mean while young)."""

    value: float
    memory: float = 300.0
    n: int = 0

    def add(self, hit: bool) -> None:
        self.n += 1
        self.value += ((1.0 if hit else 0.0) - self.value) / min(self.n + 1.0, self.memory)


@dataclass(slots=True)
class LogNormalFit:
    """Exponentially weighted mean and variance of log(duration): a log-normal fit."""

    mu: float
    var: float
    memory: float = 400.0
    n: int = 0

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float, memory: float = 400.0) -> LogNormalFit:
        var = math.log(1.0 + (sd / mean) ** 2)
        return cls(math.log(mean) - var / 2.0, var, memory)

    def add(self, seconds: float) -> None:
        x = math.log(max(seconds, 0.1))
        self.n += 1
        w = 1.0 / min(self.n + 1.0, self.memory)
        d = x - self.mu
        self.mu += w * d
        self.var = (1.0 - w) * (self.var + w * d * d)

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.var / 2.0)

    def cdf(self, seconds: float) -> float:
        if seconds <= 0.0:
            return 0.0
        sigma = math.sqrt(max(self.var, 1e-6))
        return 0.5 * math.erfc(-(math.log(seconds) - self.mu) / (sigma * math.sqrt(2.0)))

    def done_within_table(self, horizon: float, offset: float, size: int) -> list[float]:
        """P(X <= e + horizon - offset | X > e) for e = 0, 1, ... size-1 seconds elapsed.

        ``offset`` is work still to come after X (e.g. the mean wrap-up after talk)."""
        shift = horizon - offset
        table = []
        for e in range(size):
            f = self.cdf(e)
            survive = 1.0 - f
            table.append(1.0 if survive < 1e-9 else max(0.0, self.cdf(e + shift) - f) / survive)
        return table


class RingHazard:
    """P(a line still ringing after e seconds ends up a live answer), learned per second.

    Each finished dial adds weight to every second it was still ringing; weights
    grow geometrically (instead of decaying every cell), renormalised when large.
    """

    def __init__(self, prior: float, seconds: int = 40, memory: float = 400.0, prior_weight: float = 5.0):
        self.size = seconds + 1
        self.growth = 1.0 + 1.0 / memory
        self.w = 1.0
        self.alive = [prior_weight] * self.size
        self.live = [prior_weight * prior] * self.size
        self.table = [prior] * self.size

    def add(self, ring_s: float, live: bool) -> None:
        last = min(int(ring_s), self.size - 1)
        w = self.w
        alive, livec, table = self.alive, self.live, self.table
        for e in range(last + 1):
            alive[e] += w
            if live:
                livec[e] += w
            table[e] = livec[e] / alive[e]
        self.w *= self.growth
        if self.w > 1e6:
            for e in range(self.size):
                alive[e] /= self.w
                livec[e] /= self.w
            self.w = 1.0

    def __call__(self, elapsed: float) -> float:
        return self.table[min(int(elapsed), self.size - 1)]
