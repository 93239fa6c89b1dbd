"""What a simulated run measured, and the BENCHMARKS.md metrics computed from it.

Agent time, dials and connects count only inside each day's measured part
(after the warm-up); outcomes and compliance counts cover everything, since
the regulator counts every call. Window rates are taken every 15 simulated
minutes once a window is full, with the profile's definition (US: abandons /
live persons; Ofcom: abandons and *estimated* AMD false positives / live
persons and estimated false positives, the estimate being AMD machine verdicts
x the campaign's measured false-positive rate, as Ofcom asks), with the
simulator's ground truth for who was a person. ``abandon_measured`` is the US
rate on the dialer's own counts, which cannot tell a dropped answering machine
from a person: it is what the policy controls and a regulator would be shown.
"Peak lines" counts every open outbound call (ringing, awaiting AMD, waiting,
talking); "recalls within 72 h" counts dials of a lead less than 72 h after
it was abandoned (the lead rules forbid them, so it should stay 0).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from orchestrator.compliance import ComplianceProfile, abandon_rate, rules_for
from orchestrator.events import AgentState
from orchestrator.pacing.base import AbandonWindow

DAY = 86400.0
RECALL_WINDOW_S = 72 * 3600.0


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(slots=True)
class Tally:
    fp_per_machine_verdict: float = 0.0  # the campaign's estimate, for the Ofcom rate
    #: Measured seconds in each agent state.
    time: dict[AgentState, float] = field(default_factory=lambda: dict.fromkeys(AgentState, 0.0))
    dials_measured: int = 0
    dials: int = 0
    outcomes: Counter = field(default_factory=Counter)
    connects_measured: int = 0
    idle_per_connect: list[float] = field(default_factory=list)
    connect_delays: list[float] = field(default_factory=list)
    peak_lines: int = 0
    recalls_within_72h: int = 0
    live_persons: int = 0
    abandoned_persons: int = 0
    machine_verdicts: int = 0
    measured_live: int = 0  # what the dialer's own counters saw (dropped machines look live)
    measured_abandons: int = 0
    window_rates: dict[tuple[str, float], list[float]] = field(default_factory=dict)
    #: Per day (truth, the profile's persons): [live persons, abandoned persons].
    days: dict[int, list[int]] = field(default_factory=dict)
    #: The ten minutes after each day's event (a step in the answer rate, a mass departure),
    #: and per event [live persons, abandoned persons] in them.
    focus_windows: list[tuple[float, float]] = field(default_factory=list)
    focus_counts: list[list[int]] = field(default_factory=list)

    # -- fed by the simulator ------------------------------------------------------------
    def agent_time(self, state: AgentState, since: float, now: float, measure: tuple[float, float]) -> None:
        lo, hi = max(since, measure[0]), min(now, measure[1])
        if hi > lo and state is not AgentState.LOGGED_OUT:
            self.time[state] += hi - lo

    def dial(self, now: float, recall_of: float | None, measure: tuple[float, float]) -> None:
        self.dials += 1
        if measure[0] <= now < measure[1]:
            self.dials_measured += 1
        if recall_of is not None and now - recall_of < RECALL_WINDOW_S:
            self.recalls_within_72h += 1

    def outcome(self, kind: str) -> None:
        self.outcomes[kind] += 1
        if kind in ("amd_false_positive", "machine"):
            self.machine_verdicts += 1

    def connect(self, kind: str, idle: float, delay: float, now: float, measure: tuple[float, float]) -> None:
        self.outcome(f"connected_{kind}")
        if kind == "live":
            self.live_persons += 1
        self.connect_delays.append(delay)
        if measure[0] <= now < measure[1]:
            self.connects_measured += 1
            self.idle_per_connect.append(idle)

    def abandon(self, kind: str, waited: float) -> None:
        self.outcome(f"abandoned_{kind}")
        if kind == "live":
            self.live_persons += 1
            self.abandoned_persons += 1

    def measured(self, live_answers: int = 0, abandons: int = 0) -> None:
        self.measured_live += live_answers
        self.measured_abandons += abandons

    def focus_window(self, start: float, end: float) -> None:
        """Measure the persons of ``[start, end)`` apart (one event: a step, a mass departure)."""
        self.focus_windows.append((start, end))
        self.focus_counts.append([0, 0])

    def person(self, now: float, day: int, abandoned: bool) -> None:
        """A live person's fate (answered by an agent or abandoned), by day and in the focus windows."""
        counts = self.days.setdefault(day, [0, 0])
        counts[0] += 1
        counts[1] += abandoned
        for (lo, hi), focus in zip(self.focus_windows, self.focus_counts, strict=True):
            if lo <= now < hi:
                focus[0] += 1
                focus[1] += abandoned

    def lines(self, n: int) -> None:
        if n > self.peak_lines:
            self.peak_lines = n

    def evaluate_windows(self, at: float, us: tuple[AbandonWindow, ...], ofcom: tuple[AbandonWindow, ...],
                         cap: float) -> None:
        for name, windows in (("us", us), ("ofcom", ofcom)):
            for w in windows:
                if at >= w.seconds and w.live_answers > 0:
                    self.window_rates.setdefault((name, w.seconds), []).append(abandon_rate(w))

    # -- results --------------------------------------------------------------------------
    def summary(self, cap: float, profile: ComplianceProfile) -> Summary:
        busy = self.time[AgentState.ON_CALL] + self.time[AgentState.WRAP_UP]
        logged = busy + self.time[AgentState.READY] + self.time[AgentState.RESERVED]
        hours = logged / 3600.0 or 1.0
        name = "ofcom" if rules_for(profile).counts_amd_false_positives else "us"
        windows = {}
        for seconds in (DAY, 30 * DAY):
            rates = self.window_rates.get((name, seconds), [])
            windows[seconds] = (max(rates, default=0.0), sum(r > cap for r in rates), len(rates))
        persons = self.live_persons or 1
        fp = self.machine_verdicts * self.fp_per_machine_verdict
        return Summary(
            occupancy=busy / logged if logged else 0.0,
            talk_min_per_agent_hour=self.time[AgentState.ON_CALL] / 60.0 / hours,
            idle_per_connect_median=_quantile(self.idle_per_connect, 0.5),
            idle_per_connect_p90=_quantile(self.idle_per_connect, 0.9),
            abandon_us=self.abandoned_persons / persons,
            abandon_ofcom=(self.abandoned_persons + fp) / (persons + fp),
            abandon_measured=self.measured_abandons / (self.measured_live or 1),
            worst_24h=windows[DAY][0], breaches_24h=windows[DAY][1], windows_24h=windows[DAY][2],
            worst_30d=windows[30 * DAY][0], breaches_30d=windows[30 * DAY][1],
            windows_30d=windows[30 * DAY][2],
            connects_per_agent_hour=self.connects_measured / hours,
            dials_per_agent_hour=self.dials_measured / hours,
            peak_lines=self.peak_lines,
            connect_delay_p99=_quantile(self.connect_delays, 0.99),
            recalls_within_72h=self.recalls_within_72h,
            dials=self.dials,
            days_over_cap=sum(a > cap * p for p, a in self.days.values()),
            days=len(self.days),
            focus_events=tuple((n, a) for n, a in self.focus_counts),
        )


@dataclass(frozen=True, slots=True)
class Summary:
    occupancy: float
    talk_min_per_agent_hour: float
    idle_per_connect_median: float
    idle_per_connect_p90: float
    abandon_us: float
    abandon_ofcom: float
    abandon_measured: float  # US definition on the dialer's counts (machines it dropped count as people)
    worst_24h: float
    breaches_24h: int
    windows_24h: int
    worst_30d: float
    breaches_30d: int
    windows_30d: int
    connects_per_agent_hour: float
    dials_per_agent_hour: float
    peak_lines: int
    connect_delay_p99: float
    recalls_within_72h: int
    dials: int
    days_over_cap: int = 0  # days whose own rate (abandoned / live persons) is over the cap
    days: int = 0
    #: (live persons, abandoned persons) in the ten minutes after each day's event.
    focus_events: tuple[tuple[int, int], ...] = ()

    @property
    def focus_abandon(self) -> float:
        """Abandoned / live persons over the ten minutes after every event of the run."""
        return pooled_rate(self.focus_events)[0]

    def lines(self) -> list[str]:
        """Human-readable, for the CLI."""
        return [
            f"occupancy            {100 * self.occupancy:.2f} %  (talk {self.talk_min_per_agent_hour:.1f} min"
            " per agent-hour)",
            f"abandon rate         US {100 * self.abandon_us:.2f} %  Ofcom {100 * self.abandon_ofcom:.2f} %"
            f"  (dialer-measured {100 * self.abandon_measured:.2f} %)",
            f"worst 24 h window    {100 * self.worst_24h:.2f} %  ({self.breaches_24h} of {self.windows_24h}"
            " over the cap)",
            f"idle per connect     median {self.idle_per_connect_median:.1f} s,"
            f" p90 {self.idle_per_connect_p90:.1f} s",
            f"per agent-hour       {self.connects_per_agent_hour:.2f} connects,"
            f" {self.dials_per_agent_hour:.1f} dials",
            f"peak lines           {self.peak_lines}   p99 connect delay {self.connect_delay_p99:.2f} s",
        ]


def pooled_rate(events: Iterable[tuple[int, int]]) -> tuple[float, float]:
    """Abandoned / live persons over several events, and its standard error.

    The events (one step or departure each, from different days or seeds) are
    independent, but the persons within one are not: one slow reaction
    abandons several at once. So the error is the ratio estimator's with the
    events as clusters, ``sqrt(k / (k - 1) sum (a_i - r n_i)^2) / sum n_i``,
    not the binomial one (which would claim 0.35 point from 24 events where
    the spread between events says more). With fewer than two events it is
    unknown (NaN).
    """
    counts = [(n, a) for n, a in events]
    persons = sum(n for n, _ in counts)
    if not persons:
        return 0.0, math.nan
    rate = sum(a for _, a in counts) / persons
    k = len(counts)
    if k < 2:
        return rate, math.nan
    spread = sum((a - rate * n) ** 2 for n, a in counts)
    return rate, math.sqrt(k / (k - 1) * spread) / persons
