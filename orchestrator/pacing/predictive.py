"""Our predictive policy: expected agent availability, learned online, with abandon-rate feedback.

Method (what the literature and practice offer, put together):

1. **What a new line needs.** A line dialed now needs an agent at its *setup
   time* ``s`` (ring + AMD verdict, learned from :class:`DialOutcome`), and the
   customer may wait ``grace_s`` more (what is left of the regulators' 2 s,
   counted from the greeting's end, once the detector has decided). So we
   look at the horizon ``H = mean(s) + grace``.
2. **Agents free by then** (the *expected availability* rule of modern
   predictive dialers): a ready agent counts 1; an agent talking for ``e``
   seconds counts ``P(T + mean(W) <= e + H | T > e)`` and one in wrap-up
   ``P(W <= e + H | W > e)``, with talk ``T`` and wrap ``W`` log-normal fits
   learned online (exponential forgetting, so a handle-time drift is
   followed). Sum ``A``, Poisson-binomial variance ``VA``.
3. **Customers already coming**: waiting customers (1 each), answered lines
   awaiting the AMD verdict (``P(person | answered)``) and every ringing line
   through its *ring hazard* ``q(e) = P(live | still ringing after e s)``,
   learned per second of ringing. Sum ``L``, variance ``VL``.
4. **Risk of one more line.** With ``n`` new lines of live probability ``p``
   the surplus ``D = A - L - n p`` is about normal; the next line finds no
   agent with probability ``Phi((0.5 - mu_D) / sigma_D)``. We dial while that
   stays below ``Phi(-z)``, i.e. ``mu_D - 0.5 >= z sigma_D``. ``sigma_D``
   includes the uncertainty of ``p`` itself (all lines share it), which keeps
   a cold or just-restarted dialer from flooding the agents.
5. **Learning ``p`` without bias.** Failures end in seconds, live answers
   after ~10 s, no-answers at the give-up: outcomes known *so far* under-count
   live answers. Answer rate and ring hazard learn only from whole cohorts
   (dials placed more than ``settle_s`` ago). A slow estimate (~250 dials) is
   overridden by a fast one (~60 dials) when that is clearly higher, so a
   switch to a better-answering list is caught in a minute or two (more
   answers than planned are what makes abandons). After a pause longer than
   ``session_gap_s`` (a night) the estimate restarts from the long-run rate
   (if higher) and is trusted as ~3 dials: the first burst of the day is
   then small whatever the new list does.
6. **Feedback on the measured rate** (an integral controller, so the model's
   calibration does not matter): every live answer lowers ``z`` by
   ``gain x target``, every abandon raises it by ``gain``; cumulative abandons
   then track ``target x live answers`` within a few abandons. ``target``
   comes from a binomial bound on each window (:func:`window_target`): the
   rate at which the live answers expected over the next ``horizon_s`` (at the
   current pace) may be abandoned so the window stays under the cap with
   probability ``Phi(confidence_z)``. The margin is ``z sqrt(cap x coming)``
   abandons: about three of a 48-agent day's 180 (the 0.97 x cap it replaces),
   but a few tenths of a point for a 10-agent team, whose day one abandon
   moves by 0.1 point. In the UK profile each window's estimated AMD false
   positives already count as abandons, so they are taken off
   (``(A + F) / (L + F) <= c  <=>  A / L <= c (1 + F/L) - F/L``).
7. **Window brake.** The integral term holds the long-run rate, but a
   rolling window (24 h, 30 days) can still run over it for a while (the
   term wanders by a few abandons, i.e. a few tenths of a percent of a day).
   So ``z`` gets ``window_brake x`` the abandons by which the worst window
   exceeds ``brake_at x cap`` (counted as the regulator does, false positives
   included; ``brake_at`` sits between ``safety`` and 1), at most
   ``max_brake``: nothing while every window is under, a steep brake as soon
   as one goes over, but never a full stop, because a window over the cap
   comes back only by adding live answers with few abandons. While it brakes
   the integral term is frozen (no wind-up either way).
8. **Change detection.** Two-sided CUSUMs on settled dials (answer rate) and
   on log talk and wrap times against the current estimates: a list switch
   or a time-of-day shift of handle times is declared within a minute or two
   (48 agents) without reacting to noise, and the estimate then relearns
   from ~``CHANGE_TRUST`` observations instead of its full memory, in both
   directions.
9. **Known departures.** An agent who announced a break or log-out
   (``AgentView.leaving_at``) within the horizon counts as no availability:
   the lines for them are not dialed, so nobody is left waiting when they go.
10. **Explanation.** :meth:`explain` returns why the last decision is what it
    is (brake, learning, change, departures, few agents, AMD false positives
    that make the cap unreachable), with the numbers.

The *talk-time oracle* is the same rule fed with each agent's true free time
(``AgentView.free_at``, only a simulator knows it): availability becomes 0/1.

Feeding it live: see :mod:`orchestrator.pacing.base` (``ring_started`` and
``lines_answered`` in the state, the observation dataclasses to ``observe``).
"""

from __future__ import annotations

import heapq
import math
from collections import deque

from orchestrator.events import AgentState
from orchestrator.pacing.base import (
    Abandoned,
    CallResult,
    DialOutcome,
    PacingExplanation,
    PacingReason,
    PacingState,
    TalkEnded,
    WrapEnded,
)
from orchestrator.pacing.learning import Cusum, LogNormalFit, Rate, RingHazard, window_target

TABLE_S = 1800  # seconds of elapsed talk tabulated; beyond that computed directly
REFRESH_EVERY = 300  # talk/wrap observations between table rebuilds
SESSION_TRUST = 3  # dials the answer rate is worth after a long pause
CHANGE_TRUST = 30  # observations an estimate is worth right after a detected change
CHANGE_SHOWN_S = 300.0  # how long the explanation names a detected change
LEARNING_DIALS = 100  # below this many settled dials the explanation says "learning"
WORKING_SHARE = 1.0 / 3.0  # share of a day's hours a campaign dials (an 8-hour shift)
FEW_AGENTS = 20  # a team this small or smaller: the explanation names the margin it costs


class PredictivePolicy:
    def __init__(self, *, confidence_z: float = 1.64, horizon_s: float = 1800.0,
                 gain: float = 0.2, grace_s: float = 2.0,
                 window_brake: float = 0.5, brake_at: float = 0.99, max_brake: float = 2.5,
                 z_start: float = 1.5,
                 session_gap_s: float = 1800.0, settle_s: float = 30.0,
                 prior_live: float = 0.25, oracle: bool = False) -> None:
        self.name = "oracle" if oracle else "ours"
        self.oracle = oracle
        self.confidence_z, self.horizon_s = confidence_z, horizon_s
        self.gain, self.grace_s = gain, grace_s
        self._live_at: deque[float] = deque()  # times of live answers: the pace
        # Answer rate: small shifts matter (0.20 -> 0.30); handle times: only clear shifts (a false
        # alarm resets a fit that 48 agents' noisy calls then move around: occupancy lost).
        self.rate_change = Cusum(0.25, 8.0)
        self.talk_change, self.wrap_change = Cusum(0.5, 8.0), Cusum(0.5, 8.0)
        self._changed_at: float | None = None
        self._born: float | None = None  # first decision: how old the campaign's windows are
        self._last: tuple[float, int, float, int, int] | None = None  # what explain() needs
        self._worst = self._fp_share = 0.0
        self.window_brake, self.brake_at, self.max_brake = window_brake, brake_at, max_brake
        self.brake = 0.0
        self.z = z_start
        self.target = 0.0
        self.live = Rate(prior_live, memory=250.0)  # P(live | dial)
        self.live_fast = Rate(prior_live, memory=60.0)  # catches a list switch within a minute or two
        self.live_long = Rate(prior_live, memory=3000.0)  # about a day: where a new session starts
        self.person = Rate(0.6, memory=250.0)  # P(live | answered), for lines awaiting AMD
        self.ring = RingHazard(prior_live)
        self.setup = LogNormalFit.from_mean_sd(11.0, 6.0)
        self.talk = LogNormalFit.from_mean_sd(240.0, 240.0)
        self.wrap = LogNormalFit.from_mean_sd(20.0, 10.0)
        self.session_gap_s = session_gap_s
        self.settle_s = settle_s
        self._pending: list[tuple[float, float, bool]] = []  # (dialed at, ring s, live)
        self._last_outcome: float | None = None
        self._since_refresh = REFRESH_EVERY
        self._horizon = 0.0
        self._talk_table: list[float] = []
        self._wrap_table: list[float] = []

    # -- learning -------------------------------------------------------------------------
    def observe(self, event: object) -> None:
        if isinstance(event, DialOutcome):
            self._last_outcome = event.at
            live = event.result is CallResult.LIVE
            heapq.heappush(self._pending, (event.at - event.setup_s, event.ring_s, live))
            if event.result in (CallResult.LIVE, CallResult.MACHINE):
                self.person.add(live)
            if live:
                self._live_at.append(event.at)
                self.setup.add(event.setup_s)
                if self.brake == 0.0:  # frozen while the window brake holds the line (no wind-up)
                    self.z = max(-3.0, self.z - self.gain * self.target)
        elif isinstance(event, Abandoned):
            if self.brake == 0.0:
                self.z = min(4.0, self.z + self.gain)
        elif isinstance(event, TalkEnded):
            self._duration(self.talk, self.talk_change, event.talk_s, event.at)
        elif isinstance(event, WrapEnded):
            self._duration(self.wrap, self.wrap_change, event.wrap_s, event.at)

    def _duration(self, fit: LogNormalFit, detector: Cusum, seconds: float, at: float) -> None:
        """Learn a talk or wrap time; after a detected shift relearn fast and rebuild the tables."""
        if fit.n >= CHANGE_TRUST and detector.add(math.log(max(seconds, 0.1)), fit.mu, math.sqrt(fit.var)):
            fit.n = min(fit.n, CHANGE_TRUST)
            self._since_refresh = REFRESH_EVERY
            self._changed_at = at
        fit.add(seconds)
        self._since_refresh += 1

    def _tables(self) -> None:
        """Rebuild the availability tables when the fits moved: often while they are young.

        The priors (240 s talk) can be far from a campaign's real handle time
        (the demo's calls last 15-40 s). Rebuilding only every ``REFRESH_EVERY``
        observations kept such a campaign on its prior for hundreds of calls,
        counting every agent on a call as busy for minutes: fewer lines than
        ready agents. So the interval grows with what was learned (4, 8, 16 ...).
        """
        horizon = self.setup.mean + self.grace_s
        due = min(REFRESH_EVERY, max(4, (self.talk.n + self.wrap.n) // 2))
        if self._since_refresh < due and abs(horizon - self._horizon) < 1.0:
            return
        self._horizon, self._since_refresh = horizon, 0
        self._talk_table = self.talk.done_within_table(horizon, self.wrap.mean, TABLE_S)
        self._wrap_table = self.wrap.done_within_table(horizon, 0.0, TABLE_S)

    def _tail(self, fit: LogNormalFit, elapsed: int, offset: float) -> float:
        """Beyond the table (very long calls): the same conditional probability, computed."""
        survive = 1.0 - fit.cdf(elapsed)
        if survive < 1e-9:
            return 1.0
        return max(0.0, fit.cdf(elapsed + self._horizon - offset) - fit.cdf(elapsed)) / survive

    def answer_rate(self) -> float:
        """The slow estimate, unless the fast one is clearly higher (more answers than planned
        are what makes abandons; fewer only cost some occupancy until the slow one follows)."""
        fast, slow = self.live_fast.value, self.live.value
        noise = math.sqrt(max(fast * (1.0 - fast), 0.01) / min(self.live_fast.n + 1.0, self.live_fast.memory))
        return max(slow, fast - 1.5 * noise)

    # -- the abandon target ---------------------------------------------------------------
    def _update_target(self, state: PacingState) -> None:
        """Set the integral controller's target and the window brake from the rolling windows."""
        cap, now = state.abandon_cap, state.now
        live_at = self._live_at
        while live_at and live_at[0] < now - self.horizon_s:
            live_at.popleft()
        coming = float(len(live_at))  # live answers over the next horizon, at the last one's pace
        if self._born is None:
            self._born = now
        age = now - self._born
        target, excess, worst, fp_share = cap, 0.0, 0.0, 0.0
        for w in state.windows:
            fp = w.amd_false_positives_estimate
            f = fp / w.live_answers if w.live_answers else 0.0
            # A window younger than its length is first judged when full: until then it receives
            # answers at this pace for a working day's share of the time left.
            ahead = coming / self.horizon_s * (w.seconds - age) * WORKING_SHARE if age < w.seconds else 0.0
            regulator = window_target(cap, w.abandons + fp, w.live_answers + fp, coming * (1.0 + f),
                                      self.confidence_z, ahead * (1.0 + f))
            target = min(target, regulator * (1.0 + f) - f)  # plain abandons per live answer
            # Abandons (the regulator's, with false positives) above ``brake_at x cap`` here.
            excess = max(excess, w.abandons + fp - self.brake_at * cap * (w.live_answers + fp))
            if w.live_answers + fp > 0:
                worst = max(worst, (w.abandons + fp) / (w.live_answers + fp))
                fp_share = max(fp_share, fp / (w.live_answers + fp))
        self.target = min(cap, max(0.0, target))
        self.brake = min(self.max_brake, self.window_brake * excess)
        self._worst, self._fp_share = worst, fp_share

    # -- the decision ---------------------------------------------------------------------
    def _settle(self, now: float) -> None:
        """Learn answer rate and ring hazard from whole cohorts of dials only.

        Failures end within seconds, live answers after ~10 s, no-answers at the
        give-up: outcomes known *so far* under-count live answers. Counting only
        dials placed more than ``settle_s`` ago (all resolved) removes that bias,
        which otherwise makes a cold or restarted dialer over-dial."""
        pending = self._pending
        horizon = now - self.settle_s
        while pending and pending[0][0] <= horizon:
            dialed, ring_s, live = heapq.heappop(pending)
            self._answer_change(live, dialed + self.settle_s)
            self.live.add(live)
            self.live_fast.add(live)
            self.live_long.add(live)
            self.ring.add(ring_s, live)

    def _answer_change(self, live: bool, at: float) -> None:
        """A list switch (or an hour that answers differently), up or down: the slow estimate
        jumps to the fast one and relearns from ``CHANGE_TRUST`` dials instead of ~250."""
        slow = self.live
        if slow.n < CHANGE_TRUST:
            return
        sd = math.sqrt(max(slow.value * (1.0 - slow.value), 0.01))
        if self.rate_change.add(1.0 if live else 0.0, slow.value, sd):
            slow.n = min(slow.n, CHANGE_TRUST)
            self._changed_at = at

    def _new_session(self) -> None:
        """After a long pause (a night, a stopped campaign) the list or the hour has changed:
        start from the long-run answer rate if that is higher (the end of yesterday's last
        list says little about today's first) and trust it as a handful of dials."""
        for rate in (self.live, self.live_fast):
            rate.value = max(rate.value, self.live_long.value)
            rate.n = min(rate.n, SESSION_TRUST)

    def lines_to_dial(self, state: PacingState) -> int:
        self._settle(state.now)
        if self._last_outcome is not None and state.now - self._last_outcome > self.session_gap_s:
            self._new_session()
            self._last_outcome = state.now
        self._tables()
        self._update_target(state)
        avail, var, leaving, agents, staying = self._agents_free(state)
        coming, from_ringing, var_coming, p = self._customers_coming(state)
        var += var_coming
        # Uncertainty of p itself (relative): every line's live chance is wrong together.
        rel = (1.0 - p) / (p * (min(self.live.n, self.live.memory) + 2.0))
        surplus = avail - coming - 0.5
        z = self.z + self.brake
        limit = min(state.max_lines, int((avail + 1.0) / max(p, 0.02)) + 10)  # p ~ 0: no flood
        n = 0
        while n < limit:
            mu = surplus - n * p
            if mu < 0.0 and z >= 0.0:
                break
            expected = from_ringing + n * p
            if mu < z * math.sqrt(var + n * p * (1.0 - p) + expected * expected * rel + 0.05):
                break
            n += 1
        n = max(n, self._progressive_floor(state, staying))
        self._last = (state.now, n, state.abandon_cap, leaving, agents)
        return n

    def _agents_free(self, state: PacingState) -> tuple[float, float, int, int, int]:
        """Agents expected free within the horizon: (mean, variance, agents leaving before it,
        agents logged in, ready agents who stay). One pass: this runs every second."""
        now, horizon = state.now, self._horizon
        soon = now + horizon
        avail = var = 0.0
        wrap_mean = self.wrap.mean
        talk_table, wrap_table = self._talk_table, self._wrap_table
        oracle = self.oracle
        leaving = logged_in = staying = 0
        ready, on_call, wrap_up, logged_out = (AgentState.READY, AgentState.ON_CALL, AgentState.WRAP_UP,
                                               AgentState.LOGGED_OUT)
        for a in state.agents:
            st = a.state
            if st is logged_out:
                continue
            logged_in += 1
            if a.leaving_at is not None and a.leaving_at <= soon:
                leaving += 1  # their next free moment is not a customer's
                continue
            if st is ready:
                avail += 1.0
                staying += 1
                continue
            if st is on_call or st is wrap_up:
                if oracle and a.free_at is not None:
                    if a.free_at - now <= horizon:
                        avail += 1.0
                    continue
                e = int(now - a.since if a.since is not None else a.seconds_in_state)
                if st is on_call:
                    p = talk_table[e] if e < TABLE_S else self._tail(self.talk, e, wrap_mean)
                else:
                    p = wrap_table[e] if e < TABLE_S else self._tail(self.wrap, e, 0.0)
                avail += p
                var += p * (1.0 - p)
        return avail, var, leaving, logged_in, staying

    def _customers_coming(self, state: PacingState) -> tuple[float, float, float, float]:
        """Customers who will want an agent from the lines already out: (mean, of them from ringing
        lines, variance, a new line's live chance)."""
        coming = float(state.customers_waiting)
        person = self.person.value
        coming += state.lines_answered * person
        var = state.lines_answered * person * (1.0 - person)
        ringing = state.lines_ringing - state.lines_answered
        p = max(self.answer_rate(), 0.005)
        from_ringing = 0.0
        if state.ring_started:
            table, last, now = self.ring.table, self.ring.size - 1, state.now
            scale = p / max(table[0], 0.005)  # the hazard learns slowly; follow the answer rate
            for t0 in state.ring_started:  # every ringing line, every second: no builtin calls
                e = int(now - t0)
                q = scale * table[e if e < last else last]
                if not q < 1.0:
                    q = 1.0
                from_ringing += q
                var += q * (1.0 - q)
        elif ringing > 0:
            from_ringing = ringing * p
            var += ringing * p * (1.0 - p)
        return coming + from_ringing, from_ringing, var, p

    def explain(self) -> PacingExplanation | None:
        """Why the last ``lines_to_dial`` asked for what it did (None before the first call).

        Built on demand from what the decision kept (the simulator never asks; the live
        dialer asks after each decision), with the estimates as they are now."""
        if self._last is None:
            return None
        now, lines, cap, leaving, agents = self._last
        reasons = []
        if self._fp_share >= cap:
            reasons.append(PacingReason.AMD_UNREACHABLE)
        if self.brake > 0.0 or self.target < cap * 0.9:
            reasons.append(PacingReason.CAP_BRAKE)
        if self._changed_at is not None and now - self._changed_at < CHANGE_SHOWN_S:
            reasons.append(PacingReason.CHANGE)
        if self.live.n < LEARNING_DIALS:
            reasons.append(PacingReason.LEARNING)
        if leaving:
            reasons.append(PacingReason.DEPARTURES)
        if agents <= FEW_AGENTS:
            reasons.append(PacingReason.FEW_AGENTS)
        return PacingExplanation(
            now, lines, tuple(reasons) or (PacingReason.PACE,), cap, self.target, self._worst,
            self.answer_rate(), min(self.live.n, int(self.live.memory)), agents, leaving, self._fp_share)

    def _progressive_floor(self, state: PacingState, staying: int) -> int:
        """Never fewer lines than progressive dialing while no window is over the cap.

        One line per ready agent not already covered by a line in flight cannot
        leave a person without an agent, so it costs no abandons; without this
        floor a cold or mis-fitted model (few agents, short calls) dialed fewer
        lines than there were idle agents. While a window is over the cap the
        brake alone decides (in the UK every dial risks an AMD false positive).
        ``staying``: ready agents who did not announce they leave within the horizon.
        """
        if self.brake > 0.0:
            return 0
        return min(state.max_lines, staying - state.lines_ringing - state.customers_waiting)
