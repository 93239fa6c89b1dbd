"""Pacing benchmark: every policy on the same random numbers, scenarios S1-S7 of BENCHMARKS.md.

    .venv/bin/python -m bench.pacing [--quick] [--seeds 2] [--processes 2]

Each (scenario, replication) world is simulated once per policy with the same
seed, hence the same leads (common random numbers). The fixed ratio is tuned
after the fact per scenario and seed: the largest ratio whose whole-run abandon
rate (the profile's definition) stays under the cap on the first days, found
by bisection. Prints a markdown table and, last, one machine-readable line:

    RESULT pacing s1_occupancy=<pct> s1_abandon_us=<pct> oracle=<pct> progressive=<pct>
           ours_window_breaches=<n> ratio_window_breaches=<n> vicidial_window_breaches=<n>
           small_team_days_over_cap=<n> small_team_days=<days> small_team_occupancy=<pct>
           step_up_10min_abandon_pct=<pct> departure_10min_abandon_pct=<pct>
           step_up_10min_abandon_se=<pct> step_up_events=<n>
           departure_10min_abandon_se=<pct> departure_events=<n>

(S1 at p = 0.3; breaches are 24 h + 30-day windows over the cap, summed over S2-S4 and
replications; for VICIdial the best of its three brakes. The issue-18 scenarios run our policy
only: S8, 10 agents, counts days whose own US rate is over the cap (30 days, 5 with --quick); S9
and S10 give the US abandon rate of the ten minutes after the answer rate steps up (0.2 -> 0.35)
and after half the agents leave for lunch within ten minutes (announced five minutes ahead),
pooled over every event (abandoned / live persons), with its standard error between events
(~150 persons per ten minutes: one abandon is ~0.7 point of one event). The full run has one
event a day over 20 (S9) and 5 (S10) days; --quick has 24 steps and 4 departures, each on its
own seed's first day cut after the event's ten minutes (``World.cut_after_event``: the same
figure as the full day's, without the hours after it). S11 is the UK rule with 5 % AMD false
positives, shown in the table.)

--quick runs what its RESULT line reads and nothing more: S1 for ours, the oracle and
progressive, S2-S4 (2 days) for the window breaches of ours, the ratio and VICIdial, S8 5 days,
S9 and S10 as above. The full run adds S1 at p = 0.2 and 0.4, S5-S7, S11, every policy
everywhere, 30-day S2-S4 with replications, and whole days for S9 and S10.

The baselines (progressive, ratio, VICIdial) do not depend on our policy's code: their results
are kept in ~/.cache/switchboard/bench-pacing, keyed by a hash of every other source they can
depend on (the simulator, the core, this file), and reused by the next run of the same code
(--no-cache recomputes them). Our policy and the oracle (the same model) always run.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from orchestrator.compliance import ComplianceProfile
from orchestrator.pacing.catalog import make_policy
from orchestrator.pacing.simple import FixedRatioPolicy
from orchestrator.pacing.vicidial import BRAKES
from simulation import World, simulate
from simulation.metrics import Summary, pooled_rate
from simulation.scenarios import scenario

POLICIES = ("progressive", "ratio", *(f"vicidial-{b}" for b in BRAKES), "oracle", "ours")
WINDOW_SCENARIOS = ("S2", "S3", "S4")
ISSUE18 = ("S8", "S9", "S10", "S11")  # run with our policy only


#: Baselines do not depend on our policy's code, so their results are kept between runs
#: (``--no-cache`` recomputes them). ``ours`` and the oracle (the same model) always run.
CACHED = frozenset(POLICIES) - {"ours", "oracle"}
#: Code our policy lives in: a change here leaves the baselines' results valid.
OURS_SOURCES = ("orchestrator/pacing/predictive.py", "orchestrator/pacing/learning.py")
ROOT = Path(__file__).resolve().parent.parent


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "switchboard" / "bench-pacing"


def baseline_code_hash() -> str:
    """Hash of every source a baseline's result can depend on: the simulator, the core and
    this benchmark (all of ``orchestrator/`` but our policy's own modules)."""
    digest = hashlib.sha256()
    files = sorted([*ROOT.glob("orchestrator/**/*.py"), *ROOT.glob("simulation/*.py"), Path(__file__)])
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        if rel not in OURS_SOURCES:
            digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Job:
    label: str  # e.g. "S1 p=0.3"
    name: str
    p: float
    days: int
    seed: int
    policy: str
    tune_days: int
    cut: bool = False  # each day ends with its event's ten minutes (World.cut_after_event)

    def world(self) -> World:
        world = scenario(self.name, p=self.p, days=self.days)
        return world.cut_after_event() if self.cut else world

    def cost(self) -> float:
        """CPU it takes, roughly (agent-hours simulated, ours ~2.3 x a baseline, the ratio's
        bisection), so that the longest jobs go first and the processes end together."""
        world = self.world()
        hours = world.days * world.day_s / 3600.0
        if self.policy == "ratio":
            hours += TUNING_RUNS * self.tune_days * world.day_s / 3600.0
        return hours * world.agents * (2.3 if self.policy in ("ours", "oracle") else 1.0)


def policy_for(kind: str, world: World, ratio: float = 1.0):
    return make_policy(kind, ratio=ratio, shift_start_s=world.shift_start_h * 3600, shift_s=world.day_s)


def _profile_rate(s: Summary, world: World) -> float:
    return s.abandon_ofcom if world.profile is ComplianceProfile.UK else s.abandon_us


TUNING_RUNS = 7  # bisection steps of tune_ratio: (1.6 / 0.3 - 1) / 2**7 < 0.05


def tune_ratio(world: World, seed: int, days: int) -> float:
    """Largest ratio (to 0.05) whose abandon rate over ``days`` stays under the cap."""
    short = world.with_(days=days)
    lo, hi = 1.0, 1.6 / min(world.p_live, 0.3)
    while hi - lo > 0.05:
        mid = (lo + hi) / 2
        s = simulate(short, FixedRatioPolicy(mid), seed).tally.summary(short.cap, short.profile)
        lo, hi = (mid, hi) if _profile_rate(s, short) <= short.cap else (lo, mid)
    return lo


def run_job(job: Job) -> tuple[Job, str, Summary, float]:
    started = time.perf_counter()
    world = job.world()
    ratio = tune_ratio(world, job.seed, job.tune_days) if job.policy == "ratio" else 1.0
    policy = policy_for(job.policy, world, ratio)
    summary = simulate(world, policy, job.seed).tally.summary(world.cap, world.profile)
    return job, policy.name, summary, time.perf_counter() - started


def _cache_file(job: Job, code: str) -> Path:
    key = json.dumps([code, dataclasses.astuple(job)])
    return _cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def cached(job: Job, code: str | None) -> tuple[Job, str, Summary, float] | None:
    """A baseline's result from an earlier run of the same code, if any."""
    if code is None or job.policy not in CACHED:
        return None
    try:
        kept = json.loads(_cache_file(job, code).read_text())
    except (OSError, ValueError):
        return None
    fields = kept["summary"]
    fields["focus_events"] = tuple(tuple(e) for e in fields.get("focus_events", ()))  # JSON has lists
    return job, kept["name"], Summary(**fields), kept["seconds"]


def keep(result: tuple[Job, str, Summary, float], code: str | None) -> None:
    job, name, summary, seconds = result
    if code is None or job.policy not in CACHED:
        return
    path = _cache_file(job, code)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": name, "summary": dataclasses.asdict(summary), "seconds": seconds}))


#: Quick runs what the RESULT line reads and nothing else: S1 for ours, the oracle and
#: progressive; S2-S4 for the window breaches of ours, the ratio and VICIdial.
QUICK_POLICIES = {"S1": ("progressive", "oracle", "ours"),
                  **dict.fromkeys(WINDOW_SCENARIOS, ("ratio", *(f"vicidial-{b}" for b in BRAKES), "ours"))}
#: Quick: events measured, each on its own seed's first day cut after the event's ten minutes.
QUICK_STEPS, QUICK_DEPARTURES = 24, 4


def plan(quick: bool, seeds: int) -> list[Job]:
    jobs = []
    if quick:
        cases = [("S1 p=0.3", "S1", 0.3, 2, 1), *((n, n, 0.3, 2, 1) for n in WINDOW_SCENARIOS)]
        seeds = 1
        ours = [("S8", "S8", 0.3, 5, 1, 1, False), ("S9", "S9", 0.2, 1, 1, QUICK_STEPS, True),
                ("S10", "S10", 0.3, 1, 1, QUICK_DEPARTURES, True)]
    else:
        cases = [*((f"S1 p={p}", "S1", p, 5, 2) for p in (0.2, 0.3, 0.4)),
                 *((n, n, 0.3, 30, 3) for n in WINDOW_SCENARIOS),
                 ("S5", "S5", 0.3, 10, 4), ("S6", "S6", 0.3, 5, 2), ("S7", "S7", 0.3, 10, 4)]
        ours = [("S8", "S8", 0.3, 30, 1, 1, False), ("S9", "S9", 0.2, 20, 1, 1, False),
                ("S10", "S10", 0.3, 5, 1, 1, False), ("S11", "S11", 0.3, 2, 1, 1, False)]
    for label, name, p, days, tune_days in cases:
        kinds = QUICK_POLICIES[name] if quick else POLICIES
        for seed in range(1, (seeds if name in WINDOW_SCENARIOS else 1) + 1):
            jobs += [Job(label, name, p, days, seed, kind, tune_days) for kind in kinds]
    jobs += [Job(label, name, p, days, seed, "ours", tune_days, cut)
             for label, name, p, days, tune_days, replications, cut in ours
             for seed in range(1, replications + 1)]
    return jobs


def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def table(results: list[tuple[Job, str, Summary, float]]) -> str:
    head = ("| scenario | seed | policy | occupancy % | talk min/agent-h | idle s/connect p50 / p90 "
            "| abandon US % | Ofcom % | dialer-measured % | worst 24 h % | worst 30 d % "
            "| windows over cap 24 h / 30 d "
            "| connects/agent-h | dials/agent-h | peak lines | p99 connect delay s | recalls <72 h "
            "| run s |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for job, name, s, secs in results:
        rows.append(
            f"| {job.label} | {job.seed} | {name} | {pct(s.occupancy)} | {s.talk_min_per_agent_hour:.1f} "
            f"| {s.idle_per_connect_median:.1f} / {s.idle_per_connect_p90:.1f} | {pct(s.abandon_us)} "
            f"| {pct(s.abandon_ofcom)} | {pct(s.abandon_measured)} | {pct(s.worst_24h)} "
            f"| {pct(s.worst_30d) if s.windows_30d else '-'} "
            f"| {s.breaches_24h}/{s.windows_24h} / {s.breaches_30d}/{s.windows_30d} "
            f"| {s.connects_per_agent_hour:.2f} | {s.dials_per_agent_hour:.1f} | {s.peak_lines} "
            f"| {s.connect_delay_p99:.2f} | {s.recalls_within_72h} | {secs:.0f} |")
    return "\n".join(rows)


def result_line(results: list[tuple[Job, str, Summary, float]]) -> str:
    """The RESULT line; a figure whose runs were left out (``--policies``) is left out too."""
    def find(label: str, kind: str) -> Summary | None:
        return next((s for j, _, s, _ in results if (j.label, j.policy, j.seed) == (label, kind, 1)), None)

    def breaches(kind: str) -> int | None:
        counts = [s.breaches_24h + s.breaches_30d for j, _, s, _ in results
                  if j.name in WINDOW_SCENARIOS and j.policy == kind]
        return sum(counts) if counts else None

    ours, oracle, progressive = (find("S1 p=0.3", k) for k in ("ours", "oracle", "progressive"))
    vicidial = [n for n in (breaches(f"vicidial-{b}") for b in BRAKES) if n is not None]
    small = find("S8", "ours")

    def events(name: str) -> tuple[float, float, int] | None:
        """Every event's ten minutes of a scenario, over its days and seeds: (rate, its standard
        error, events)."""
        counts = [e for j, _, s, _ in results if (j.name, j.policy) == (name, "ours") for e in s.focus_events]
        return (*pooled_rate(counts), len(counts)) if counts else None

    def se(x: float) -> str:
        return pct(x) if math.isfinite(x) else "nan"

    step, departure = events("S9"), events("S10")
    fields: list[tuple[str, object, object]] = [  # (name, value, what it needs)
        ("s1_occupancy", ours and pct(ours.occupancy), ours),
        ("s1_abandon_us", ours and pct(ours.abandon_us), ours),
        ("oracle", oracle and pct(oracle.occupancy), oracle),
        ("progressive", progressive and pct(progressive.occupancy), progressive),
        ("ours_window_breaches", breaches("ours"), breaches("ours")),
        ("ratio_window_breaches", breaches("ratio"), breaches("ratio")),
        ("vicidial_window_breaches", vicidial and min(vicidial), vicidial or None),
        ("small_team_days_over_cap", small and small.days_over_cap, small),
        ("small_team_days", small and small.days, small),
        ("small_team_occupancy", small and pct(small.occupancy), small),
        ("step_up_10min_abandon_pct", step and pct(step[0]), step),
        ("departure_10min_abandon_pct", departure and pct(departure[0]), departure),
        ("step_up_10min_abandon_se", step and se(step[1]), step),
        ("step_up_events", step and step[2], step),
        ("departure_10min_abandon_se", departure and se(departure[1]), departure),
        ("departure_events", departure and departure[2], departure),
    ]
    return "RESULT pacing " + " ".join(f"{k}={v}" for k, v, needs in fields if needs is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="only what the RESULT line reads: S1 and S2-S4 for 2 days, one seed; "
                             "S8 5 days; 24 step ups and 4 departures on days cut after the event")
    parser.add_argument("--seeds", type=int, default=2, help="replications of S2-S4 (full run)")
    parser.add_argument("--processes", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--policies", default=",".join(POLICIES),
                        help="comma-separated subset of the policies to run (the RESULT line then "
                             "leaves out what it cannot compute)")
    parser.add_argument("--no-cache", action="store_true",
                        help="recompute the baselines even if this code already produced them")
    args = parser.parse_args()
    wanted = set(args.policies.split(","))
    if not wanted <= set(POLICIES):
        parser.error(f"unknown policies {sorted(wanted - set(POLICIES))}: one of {', '.join(POLICIES)}")
    started = time.perf_counter()
    jobs = [j for j in plan(args.quick, args.seeds) if j.policy in wanted]
    code = None if args.no_cache else baseline_code_hash()
    done = {}
    for j in jobs:
        hit = cached(j, code)
        if hit is not None:
            done[(j.label, j.seed, j.policy)] = hit[1:]
    reused = len(done)
    # Longest jobs first so the pool ends together.
    order = sorted((j for j in jobs if (j.label, j.seed, j.policy) not in done), key=lambda j: -j.cost())
    with multiprocessing.Pool(args.processes) as pool:
        for j, *r in pool.imap_unordered(run_job, order):
            done[(j.label, j.seed, j.policy)] = r
            keep((j, *r), code)
            print(f"[{len(done)}/{len(jobs)}] {j.label} seed {j.seed} {r[0]}: {r[2]:.0f} s", file=sys.stderr)
    results = [(j, *done[(j.label, j.seed, j.policy)]) for j in jobs]
    print(table(results))
    print(f"\n{len(jobs)} simulations ({reused} baselines from an earlier run of the same code), "
          f"{time.perf_counter() - started:.0f} s wall clock on {args.processes} processes.")
    print(result_line(results))


if __name__ == "__main__":
    main()
