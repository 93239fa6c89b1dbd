"""Our predictive policy: expected agent availability, learned online, with abandon-rate feedback.

Method (what the literature and practice agree on, put together):

1. **What a new line needs.** A line dialed now needs an agent at its *setup
   time* ``s`` (ring + AMD verdict, learned from :class:`DialOutcome`) and the
   customer may wait ``grace_s`` (2 s, the regulators' limit) more. So we look
   at the horizon ``H = mean(s) + grace``.
2. **Agents free by then** (the *expected availability* rule of
   Samuelson's/VICIdial-successor dialers): a ready agent counts 1; an agent
   talking for ``e`` seconds counts ``P(T + mean(W) <= e + H | T > e)`` and
   an agent in wrap-up ``P(W <= e + H | W > e)``, with talk ``T`` and wrap
   ``W`` log-normal fits learned online (exponential forgetting, so a
   handle-time drift is followed). Their sum ``A`` and Poisson-binomial
   variance ``VA`` describe the agents available.
3. **Customers already coming**: waiting customers (1 each), answered lines
   awaiting the AMD verdict (``P(person | answered)``) and every ringing line
   through its *ring hazard* ``q(e) = P(live | still ringing after e s)``,
   learned per second of ringing. Sum ``L``, variance ``VL``.
4. **Risk of one more line.** With ``n`` new lines of live probability ``p``
   (learned answer rate, forgetting over a few hundred dials so a list switch
   is caught), the surplus ``D = A - L - n p`` is about normal; the next line
   finds no agent with probability ``Phi((0.5 - mu_D) / sigma_D)``. We dial
   while that stays below ``Phi(-z)``: ``mu_D - 0.5 >= z sigma_D``.
5. **Feedback on the measured rate** (an integral controller, so model bias
   does not matter): every live answer lowers ``z`` by ``gain x target``,
   every abandon raises it by ``gain``; the cumulative abandons then track
   ``target x live answers`` within a few abandons, whatever the model's
   calibration. ``target`` is ``safety x cap`` expressed in plain abandons: in
   the UK profile the estimated AMD false positives of each window already
   count as abandons, so the target subtracts them
   (``(A + F) / (L + F) <= c  <=>  A / L <= c (1 + F/L) - F/L``).
6. **Window guard.** If a rolling window (24 h or 30 days) comes within
   ``guard`` of the cap, ``z`` is pushed up to ``z_guard`` at once: the
   integral term keeps the long-run rate, the guard keeps the worst window.

The *talk-time oracle* is the same rule fed with each agent's true free time
(``AgentView.free_at``, only a simulator knows it): availability becomes 0/1.
"""

from __future__ import annotations

import math

from orchestrator.compliance import abandon_rate
from orchestrator.events import AgentState
from orchestrator.pacing.base import (
    Abandoned,
    CallResult,
    DialOutcome,
    PacingState,
    TalkEnded,
    WrapEnded,
)
from orchestrator.pacing.learning import LogNormalFit, Rate, RingHazard

TABLE_S = 1800  # seconds of elapsed talk tabulated; beyond that computed directly
REFRESH_EVERY = 100  # talk/wrap observations between table rebuilds


class PredictivePolicy:
    def __init__(self, *, safety: float = 0.9, gain: float = 0.05, grace_s: float = 2.0,
                 guard: float = 0.95, z_guard: float = 3.0, z_start: float = 1.5,
                 prior_live: float = 0.25, oracle: bool = False) -> None:
        self.name = "oracle" if oracle else "ours"
        self.oracle = oracle
        self.safety, self.gain, self.grace_s = safety, gain, grace_s
        self.guard, self.z_guard = guard, z_guard
        self.z = z_start
        self.target = 0.0
        self.live = Rate(prior_live, memory=250.0)  # P(live | dial)
        self.person = Rate(0.6, memory=250.0)  # P(live | answered), for lines awaiting AMD
        self.ring = RingHazard(prior_live)
        self.setup = LogNormalFit.from_mean_sd(11.0, 6.0)
        self.talk = LogNormalFit.from_mean_sd(240.0, 240.0)
        self.wrap = LogNormalFit.from_mean_sd(20.0, 10.0)
        self._since_refresh = REFRESH_EVERY
        self._horizon = 0.0
        self._talk_table: list[float] = []
        self._wrap_table: list[float] = []

    # -- learning -------------------------------------------------------------------------
    def observe(self, event: object) -> None:
        if isinstance(event, DialOutcome):
            live = event.result is CallResult.LIVE
            self.live.add(live)
            self.ring.add(event.ring_s, live)
            if event.result in (CallResult.LIVE, CallResult.MACHINE):
                self.person.add(live)
            if live:
                self.setup.add(event.setup_s)
                self.z = max(-3.0, self.z - self.gain * self.target)
        elif isinstance(event, Abandoned):
            self.z = min(4.0, self.z + self.gain)
        elif isinstance(event, TalkEnded):
            self.talk.add(event.talk_s)
            self._since_refresh += 1
        elif isinstance(event, WrapEnded):
            self.wrap.add(event.wrap_s)
            self._since_refresh += 1

    def _tables(self) -> None:
        horizon = self.setup.mean + self.grace_s
        if self._since_refresh < REFRESH_EVERY and abs(horizon - self._horizon) < 0.5:
            return
        self._horizon, self._since_refresh = horizon, 0
        self._talk_table = self.talk.done_within_table(horizon, self.wrap.mean, TABLE_S)
        self._wrap_table = self.wrap.done_within_table(horizon, 0.0, TABLE_S)

    def _free_within(self, fit: LogNormalFit, table: list[float], elapsed: float, offset: float) -> float:
        e = int(elapsed)
        if e < TABLE_S:
            return table[e]
        survive = 1.0 - fit.cdf(e)
        return 1.0 if survive < 1e-9 else (fit.cdf(e + self._horizon - offset) - fit.cdf(e)) / survive

    # -- the abandon target ---------------------------------------------------------------
    def _update_target(self, state: PacingState) -> None:
        cap = state.abandon_cap
        target = self.safety * cap
        for w in state.windows:
            if w.live_answers > 0 and w.amd_false_positives_estimate > 0:
                f = w.amd_false_positives_estimate / w.live_answers
                target = min(target, self.safety * cap * (1.0 + f) - f)
            if w.live_answers >= 50 and abandon_rate(w) >= self.guard * cap:
                self.z = max(self.z, self.z_guard)
        self.target = max(0.0, target)

    # -- the decision ---------------------------------------------------------------------
    def lines_to_dial(self, state: PacingState) -> int:
        self._tables()
        self._update_target(state)
        now, horizon = state.now, self._horizon
        avail = var = 0.0
        wrap_mean = self.wrap.mean
        for a in state.agents:
            st = a.state
            if st is AgentState.READY:
                avail += 1.0
                continue
            if st is AgentState.ON_CALL or st is AgentState.WRAP_UP:
                if self.oracle and a.free_at is not None:
                    if a.free_at - now <= horizon:
                        avail += 1.0
                    continue
                if st is AgentState.ON_CALL:
                    p = self._free_within(self.talk, self._talk_table, a.elapsed(now), wrap_mean)
                else:
                    p = self._free_within(self.wrap, self._wrap_table, a.elapsed(now), 0.0)
                avail += p
                var += p * (1.0 - p)
        coming = float(state.customers_waiting)
        person = self.person.value
        coming += state.lines_answered * person
        var += state.lines_answered * person * (1.0 - person)
        ringing = state.lines_ringing - state.lines_answered
        if state.ring_started:
            for t0 in state.ring_started:
                q = self.ring(now - t0)
                coming += q
                var += q * (1.0 - q)
        elif ringing > 0:
            q = self.live.value
            coming += ringing * q
            var += ringing * q * (1.0 - q)
        p = self.live.value
        surplus = avail - coming - 0.5
        z = self.z
        limit = min(state.max_lines, int((avail + 1.0) / max(p, 0.02)) + 10)
        n = 0
        while n < limit:
            mu = surplus - n * p
            if mu < 0.0 and z >= 0.0:
                break
            if mu < z * math.sqrt(var + n * p * (1.0 - p) + 0.05):
                break
            n += 1
        return n
