"""A VICIdial-style adaptive dial level, as the usual open-source baseline.

VICIdial (``AST_VDadapt.pl`` / ``AST_VDauto_dial.pl``) keeps a *dial level*:
the line goal is ``level x active agents`` (ready or talking; an agent on the
disposition screen is paused) minus the calls already in progress (ringing,
waiting *and* talking), so level 1 is progressive dialing. Every 15 s the level is nudged by
``1 + (ready - waiting) / agents`` and clamped to [1, 3]; it is halved when more
than half of the last minute's answers were dropped. When today's drop
percentage (since midnight, the campaign's own counters) passes the cap, one
of the three "adaptive" methods brakes:

* ``hard``: back to level 1 (1:1) until the day's rate is under the cap again;
* ``tapered``: the same, but the allowed rate tapers from 2x the cap at the
  start of the shift down to the cap at its end (VICIdial lets the rate run
  over early and gets stricter as the shift goes on);
* ``average``: the level is scaled by ``cap / rate`` every period, no reset.

It looks only at today's counter, not at the 24 h / 30-day rolling windows:
that is why it breaches them on bad days.
"""

from __future__ import annotations

import math
from collections import deque

from orchestrator.events import AgentState
from orchestrator.pacing.base import Abandoned, CallResult, DialOutcome, PacingState

DAY = 86400.0
BRAKES = ("hard", "tapered", "average")


class VicidialPolicy:
    def __init__(self, brake: str = "hard", *, period_s: float = 15.0, max_level: float = 3.0,
                 shift_start_s: float = 0.0, shift_s: float = 8.5 * 3600) -> None:
        if brake not in BRAKES:
            raise ValueError(f"brake must be one of {BRAKES}: {brake!r}")
        self.brake = brake
        self.name = f"vicidial-{brake}"
        self.period_s = period_s
        self.max_level = max_level
        self.shift_start_s = shift_start_s
        self.shift_s = shift_s
        self.level = 1.0
        self._next_adapt: float | None = None
        self._day = -1
        self.answers_today = 0
        self.drops_today = 0
        self._recent: deque[tuple[float, bool]] = deque()  # (at, dropped) of the last minute

    def observe(self, event: object) -> None:
        if isinstance(event, DialOutcome) and event.result is CallResult.LIVE:
            self._roll(event.at)
            self.answers_today += 1
            self._recent.append((event.at, False))
        elif isinstance(event, Abandoned):
            self._roll(event.at)
            self.drops_today += 1
            self._recent.append((event.at, True))

    def _roll(self, now: float) -> None:
        day = int(now // DAY)
        if day != self._day:
            self._day, self.answers_today, self.drops_today = day, 0, 0

    def drop_rate_today(self) -> float:
        return self.drops_today / self.answers_today if self.answers_today else 0.0

    def _allowed(self, now: float, cap: float) -> float:
        if self.brake != "tapered":
            return cap
        done = min(1.0, max(0.0, (now % DAY - self.shift_start_s) / self.shift_s))
        return cap * (2.0 - done)

    def _adapt(self, state: PacingState, active: int, ready: int) -> None:
        now = state.now
        self._roll(now)
        while self._recent and self._recent[0][0] < now - 60.0:
            self._recent.popleft()
        level = self.level * (1.0 + (ready - state.customers_waiting) / active)
        answers = sum(1 for _, dropped in self._recent if not dropped)
        drops = len(self._recent) - answers
        if answers and drops / answers > 0.5:
            level /= 2.0
        rate = self.drop_rate_today()
        if rate > self._allowed(now, state.abandon_cap):
            level = level * state.abandon_cap / rate if self.brake == "average" else 1.0
        self.level = min(self.max_level, max(1.0, level))

    def lines_to_dial(self, state: PacingState) -> int:
        # VICIdial's agents in wrap-up sit on the dispo screen, PAUSED: not active. Counted with
        # list.count (asked every second: a loop of comparisons was half a simulated day's time).
        states = [a.state for a in state.agents]
        ready, on_call = states.count(AgentState.READY), states.count(AgentState.ON_CALL)
        active = ready + on_call + states.count(AgentState.RESERVED)
        if active == 0:
            return 0
        if self._next_adapt is None or state.now >= self._next_adapt:
            self._adapt(state, active, ready)
            self._next_adapt = state.now + self.period_s
        goal = math.ceil(self.level * active) - (state.lines_ringing + state.customers_waiting + on_call)
        return max(0, min(goal, state.max_lines))
