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
        mu, scale = self.mu, math.sqrt(max(self.var, 1e-6)) * math.sqrt(2.0)
        log, erfc = math.log, math.erfc

        def cdf(x: float) -> float:  # self.cdf inlined: the tables are rebuilt often while young
            return 0.0 if x <= 0.0 else 0.5 * erfc(-(log(x) - mu) / scale)

        table = []
        for e in range(size):
            f = cdf(e)
            survive = 1.0 - f
            done = cdf(e + shift) - f
            table.append(1.0 if survive < 1e-9 else (done if done > 0.0 else 0.0) / survive)
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


@dataclass(slots=True)
class Cusum:
    """Two-sided CUSUM change detector on a stream compared with a moving reference.

    ``add(x, reference, sd)`` accumulates standardised deviations beyond the
    slack ``k`` (in standard deviations) each way; a sum above ``h`` means the
    stream moved away from the reference (a list switch, an afternoon of longer
    calls), and the side that fired is returned: +1 up, -1 down, 0 nothing.
    The sums restart after a detection, so one change is reported once.
    Slack and threshold trade speed against false alarms: for normal data with
    ``k = 0.5`` pure noise alarms about once per 900 observations at ``h = 5``
    and once per ~19,000 at ``h = 8``, while a shift of one standard deviation
    is caught within ~10 and ~16 observations (Siegmund's approximation).
    """

    k: float = 0.5
    h: float = 5.0
    up: float = 0.0
    down: float = 0.0

    def add(self, x: float, reference: float, sd: float) -> int:
        d = (x - reference) / max(sd, 1e-9)
        self.up = max(0.0, self.up + d - self.k)
        self.down = max(0.0, self.down - d - self.k)
        if self.up > self.h:
            self.up = self.down = 0.0
            return 1
        if self.down > self.h:
            self.up = self.down = 0.0
            return -1
        return 0


def window_target(cap: float, abandons: float, live: float, coming: float, z: float,
                  ahead: float = 0.0) -> float:
    """Abandon rate allowed on the next ``coming`` live answers so the window stays under ``cap``.

    A binomial bound: with ``abandons`` of ``live`` already in the window and
    ``coming`` more answers expected before the controller can correct (its
    horizon, at the current pace), the window ends over the cap with
    probability ``Phi(-z)`` if those answers are abandoned at the returned rate
    ``r``: ``abandons + coming r + z sqrt(coming cap (1 - cap)) = cap (live + coming)``.
    The margin is ``z sqrt(cap coming)`` abandons whatever the window's size:
    a few tenths of a point of a small team's day, a few hundredths of a
    large team's. Clamped to ``[0, cap]``: a window well under the cap never
    licenses more than the cap itself. ``ahead``: the answers a window not yet
    full will still receive before it is first judged (at least ``coming``);
    the same rate applies to them all, while the spread stays that of the
    ``coming`` ones, since the controller corrects the rest as it goes.
    """
    coming = max(coming, 1.0)
    ahead = max(ahead, coming)
    spread = z * math.sqrt(coming * cap * (1.0 - cap))
    return min(cap, max(0.0, (cap * (live + ahead) - abandons - spread) / ahead))
