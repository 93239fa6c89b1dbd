"""Live benchmark on the real sandbox (Asterisk or FreeSWITCH): hand-off latency and load of one runner.

``python -m bench.live [--quick] [--pbx asterisk|freeswitch]`` brings the
sandbox up, seeds a database with one high-volume predictive campaign and runs
the real runner on it -- the AMI runner on the Asterisk pbx, the ESL runner on
the FreeSWITCH node, both dialing the same Asterisk world (``bench.live_runner``:
the same runner with a fixed lines-per-ready-agent ratio, since only 8 agent
phones exist). Talk times are compressed to
seconds; most numbers are busy, unanswered, machines or unallocated, a few are
humans who reach one of the 8 agents.

Measured:

* own hand-off: the runner's ``bridge sent ... own_ms=`` log line (input taken
  from the AMI stream -> Bridge action sent);
* end-to-end: the pbx's AMD-verdict ``UserEvent`` -> the customer's
  ``BridgeEnter`` (both pbx timestamps, seen on an independent AMI login); on
  FreeSWITCH, whose verdict is the runner's, the route's last AMD report
  (``switchboard::amd``) -> the customer's ``CHANNEL_BRIDGE`` (both FreeSWITCH
  timestamps, seen on an independent ESL connection);
* the compliance measure: the end of the customer's greeting (the world's
  ``WorldGreetingEnd`` user event) -> the agent's bridge or the start of the
  abandon message (FreeSWITCH: ``CHANNEL_BRIDGE`` or ``switchboard::abandon``),
  for every human; the limit is 2 s;
* concurrency: calls up at the world (its Newchannel -> Hangup), median over
  the second half of the dialing window; attempts per second = calls the world
  received over that window; the runner's CPU share (``/proc``);
* duplicate originates: calls the world received beyond the attempts we
  recorded for that number, plus attempts of one lead that overlapped.

The last line is ``RESULT live [pbx=freeswitch] own_p99_ms=... bridge_p99_ms=... concurrent=...
attempts_per_s=... duplicate_originates=... greeting_to_agent_p99_ms=...``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from lab.campaign import (
    FS_BENCH_EVENTS,
    AmiWatcher,
    Kit,
    RunnerProcess,
    Sandbox,
    fs_reached,
    fs_verdict_to_bridge,
    greeting_end,
    greeting_to_agent_or_message,
    mixed_leads,
    overlapping,
    sandbox_up,
    verdict_to_bridge,
    world_dials,
    world_inbound,
)
from lab.esl_watcher import EventSocket
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.world import Outcome as World
from settings import load_settings
from store import models as m
from store.enums import CampaignMode, MachineAction, PbxKind

#: Share of each world outcome: few humans, so 8 agents keep up and stay ready (the ratio counts them).
MIX = {World.NO_ANSWER: 0.50, World.MACHINE: 0.25, World.BUSY: 0.15, World.HUMAN: 0.05,
       World.UNALLOCATED: 0.05}
#: Seconds each outcome keeps its line (no-answers ring 18 s of the 20 s ring timeout; machines until
#: the route hangs up on them after the verdict).
TALK = {World.NO_ANSWER: (18,), World.MACHINE: (12,), World.BUSY: (1,), World.HUMAN: (4, 5, 6),
        World.UNALLOCATED: (1,), World.CONGESTION: (1,)}
OWN = re.compile(r"bridge sent channel=\S+ own_ms=([0-9.]+)")
LAG = re.compile(r"event lag max_ms=([0-9]+)")
TARGETS = {"own_p99_ms": 300, "concurrent": 200, "attempts_per_s": 20}


@dataclass
class Sample:
    t: float
    open_attempts: int
    runner_cpu_s: float


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)


def pct(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (0 when empty)."""
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (``/proc/PID/stat``), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_attempts(kit: Kit, campaign_id: int) -> int:
    with kit.sessions() as s:
        return s.scalar(select(func.count()).select_from(m.Attempt).where(
            m.Attempt.campaign_id == campaign_id, m.Attempt.ended_at.is_(None))) or 0


def drive(kit: Kit, campaign_id: int, runner: RunnerProcess, timeout: float) -> Run:
    """Run until every lead was dialed once and ended, sampling the open calls and the runner's CPU."""
    run, deadline, finished = Run(), time.monotonic() + timeout, kit.finished(campaign_id)
    runner.start()
    assert runner.proc is not None
    while time.monotonic() < deadline:
        if not runner.alive():
            raise SystemExit(f"runner exited:\n{runner.tail()}")
        run.samples.append(Sample(time.time(), open_attempts(kit, campaign_id), cpu_seconds(runner.proc.pid)))
        with kit.sessions() as s:
            if finished(s):
                return run
        time.sleep(0.5)
    raise SystemExit(f"campaign not finished within {timeout:.0f} s:\n{runner.tail()}")


def world_calls(world: AmiWatcher, numbers: set[str]) -> list[tuple[float, float]]:
    """(start, end) on the world's clock of every call it received for ``numbers``: the PBX-side truth
    (the runner's attempt rows start when the core decides to dial, before the originate limit)."""
    starts = {e["Uniqueid"]: float(e["Timestamp"]) for e in world_inbound(world, numbers)}
    ends = {e["Uniqueid"]: float(e["Timestamp"]) for e in world.matching(
        lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") in starts)}
    return sorted((t, ends.get(uid, float("inf"))) for uid, t in starts.items())


class AsteriskMeasures:
    """The PBX-side measures on the Asterisk pbx, from an independent AMI login."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.watcher = AmiWatcher(sandbox.pbx)

    def __enter__(self) -> AsteriskMeasures:
        self.watcher.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.watcher.__exit__(*exc)

    def verdict_to_bridge(self, attempt: m.Attempt) -> float | None:
        return verdict_to_bridge(self.watcher, str(attempt.id), attempt.channel_id)

    def greeting_to_agent_or_message(self, world: AmiWatcher, attempt: m.Attempt) -> float | None:
        return greeting_to_agent_or_message(self.watcher, world, attempt)

    def events_seen(self) -> int:
        return len(self.watcher.events)

    def agent_legs_up(self) -> list[float]:
        return sorted(float(e["Timestamp"]) for e in self.watcher.matching(
            lambda e: e.get("Event") == "Newstate" and e.get("ChannelStateDesc") == "Up"
            and e.get("Channel", "").startswith("PJSIP/agent")))


class FreeswitchMeasures:
    """The same measures on the FreeSWITCH node, from an independent ESL connection (its own events)."""

    def __init__(self, sandbox: Sandbox) -> None:
        settings = sandbox.settings
        self.socket = EventSocket("127.0.0.1", settings.esl_port, freeswitch_secrets(settings).esl_password)

    def __enter__(self) -> FreeswitchMeasures:
        reply = self.socket.send(FS_BENCH_EVENTS).get("Reply-Text")
        if not reply.startswith("+OK"):
            raise SystemExit(f"FreeSWITCH refused the event subscription: {reply}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.socket.close()

    def verdict_to_bridge(self, attempt: m.Attempt) -> float | None:
        return fs_verdict_to_bridge(self.socket.events(lambda _e: True), attempt.channel_id)

    def greeting_to_agent_or_message(self, world: AmiWatcher, attempt: m.Attempt) -> float | None:
        reached = fs_reached(self.socket.events(lambda _e: True), attempt.channel_id)
        ended = greeting_end(world, attempt)
        return None if reached is None or ended is None else reached - ended

    def events_seen(self) -> int:
        return len(self.socket.events(lambda _e: True))

    def agent_legs_up(self) -> list[float]:
        return []  # not subscribed (the measures need bridges and the route's signals only)


def up_at(calls: list[tuple[float, float]], t: float) -> int:
    return sum(start <= t < end for start, end in calls)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced run, under 60 s")
    parser.add_argument("--pbx", choices=("asterisk", "freeswitch"), default="asterisk",
                        help="the sandbox node to run the campaign on (both dial the same world)")
    parser.add_argument("--leads", type=int, default=None, help="numbers to dial (default 2000, quick 350)")
    parser.add_argument("--originates-per-s", type=float, default=25.0, help="the runner's originate limit")
    parser.add_argument("--ratio", type=float, default=100.0, help="lines per ready agent")
    parser.add_argument("--max-lines", type=int, default=300)
    parser.add_argument("--runner-log", type=Path, default=None, help="keep the runner's log here")
    args = parser.parse_args()
    n = args.leads or (350 if args.quick else 2000)

    began = time.monotonic()
    kind = PbxKind.FREESWITCH if args.pbx == "freeswitch" else PbxKind.ASTERISK
    sandbox = sandbox_up(load_settings(), args.pbx)
    measures = FreeswitchMeasures if kind is PbxKind.FREESWITCH else AsteriskMeasures
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        kit = Kit(sandbox, Path(tmp), kind=kind)
        kit.agents(8)
        counts = {outcome: round(share * n) for outcome, share in MIX.items()}
        ordered = mixed_leads(counts, first_serial=0, talk=TALK)  # grouped by outcome: shuffle, or every
        leads = dict(random.Random(1).sample(list(ordered.items()), len(ordered)))  # human comes in one burst
        campaign = kit.campaign("bench-live", CampaignMode.PREDICTIVE, leads, wrap_up_s=1, ring_timeout_s=20,
                                max_attempts=1, max_lines=args.max_lines, abandon_cap=Decimal("0.99"),
                                amd_action=MachineAction.HANGUP)
        runner = kit.runner([sys.executable, "-m", "bench.live_runner",
                             "--originates-per-s", str(args.originates_per_s), "--ratio", str(args.ratio)])
        with measures(sandbox) as pbx, AmiWatcher(sandbox.world) as world:
            try:
                run = drive(kit, campaign, runner, timeout=60 + n / 5)
                kit.stop_campaign(campaign, runner)
            finally:
                code = runner.stop()
            attempts = kit.attempts(campaign)
            log = runner.log.read_text(errors="replace")
            if args.runner_log is not None:
                args.runner_log.write_text(log)
            e2e = [took * 1000 for a in attempts if a.bridged_at is not None
                   and (took := pbx.verdict_to_bridge(a)) is not None]
            greeting = [took * 1000 for a in attempts if a.amd_verdict is not None
                        and (took := pbx.greeting_to_agent_or_message(world, a)) is not None]
            dials = world_dials(world, set(leads))
            calls = world_calls(world, set(leads))
            pbx_events = pbx.events_seen()
            legs = pbx.agent_legs_up()
        kit.close()
    own = [float(x) for x in OWN.findall(log)]
    lags = [int(x) for x in LAG.findall(log)]
    recorded = Counter(a.phone for a in attempts)
    duplicates = sum((dials - recorded).values()) + len(overlapping(attempts))

    first, last = calls[0][0], calls[-1][0]
    span = max(last - first, 1e-9)
    attempts_per_s = (len(calls) - 1) / span
    grid = [first + span / 2 + i * 0.5 for i in range(int(span / 2 / 0.5) + 1)]
    sustained = statistics.median(up_at(calls, t) for t in grid)
    peak = max(up_at(calls, start) for start, _ in calls)
    runner_peak = max(x.open_attempts for x in run.samples)
    cpu = run.samples[-1].runner_cpu_s / max(run.samples[-1].t - run.samples[0].t, 1e-9)
    outcomes = Counter(a.outcome.value for a in attempts if a.outcome is not None)
    bridged = sum(a.bridged_at is not None for a in attempts)

    print(f"live benchmark on {args.pbx} ({'quick' if args.quick else 'full'}): {len(attempts)} attempts, "
          f"8 agents, originate limit {args.originates_per_s:g}/s, ratio {args.ratio:g}, "
          f"max_lines {args.max_lines}; "
          f"runner exit {code}; pbx events seen {pbx_events}; wall {time.monotonic() - began:.0f} s")
    print(f"outcomes: {dict(outcomes)}; bridged {bridged}" + ("; agent legs up " + ", ".join(
        f"{t - first:+.1f}" for t in legs) + " s after the first customer call" if legs else ""))
    print(f"{'metric':<40}{'p50':>10}{'p99':>10}{'max':>10}{'n':>7}")
    for name, xs in (("own hand-off (input -> Bridge sent) ms", own),
                     ("end-to-end (AMD verdict -> BridgeEnter) ms" if kind is PbxKind.ASTERISK
                      else "end-to-end (AMD report -> CHANNEL_BRIDGE) ms", e2e),
                     ("greeting end -> agent or message ms", greeting)):
        print(f"{name:<40}{pct(xs, 50):>10.1f}{pct(xs, 99):>10.1f}{max(xs, default=0):>10.1f}{len(xs):>7}")
    print(f"{'calls up at the world (2nd half of dialing, median/peak)':<56}{sustained:>6} / {peak}")
    print(f"{'open attempts in the runner (peak; max_lines caps it)':<56}{runner_peak:>6}")
    print(f"{'call attempts per second (world, dialing window)':<56}{attempts_per_s:>6.1f}")
    print(f"{'event backlog: worst pbx->runner lag per 5 s, ms':<56}" + " ".join(map(str, lags)))
    print(f"{'runner CPU (share of one core, whole run)':<56}{cpu:>6.2f}")
    print(f"{'duplicate originates':<56}{duplicates:>6}")
    print("targets: own p99 <= {own_p99_ms} ms, >= {concurrent} concurrent, >= {attempts_per_s} attempts/s"
          .format(**TARGETS))
    print(result_line(args.pbx, own=own, e2e=e2e, greeting=greeting, concurrent=sustained,
                      attempts_per_s=attempts_per_s, duplicates=duplicates))


def result_line(pbx: str, *, own: list[float], e2e: list[float], greeting: list[float], concurrent: float,
                attempts_per_s: float, duplicates: int) -> str:
    """The RESULT line: Asterisk's as it always was, FreeSWITCH's tagged ``pbx=freeswitch``; a latency
    with no sample (nothing of that kind was seen) is left out rather than printed as 0."""
    fields = [("pbx", pbx)] if pbx != "asterisk" else []
    fields += [(name, f"{pct(xs, 99):.1f}") for name, xs in (("own_p99_ms", own), ("bridge_p99_ms", e2e))
               if xs]
    fields += [("concurrent", f"{concurrent:.0f}"), ("attempts_per_s", f"{attempts_per_s:.1f}"),
               ("duplicate_originates", str(duplicates))]
    if greeting:
        fields.append(("greeting_to_agent_p99_ms", f"{pct(greeting, 99):.1f}"))
    return "RESULT live " + " ".join(f"{k}={v}" for k, v in fields)


if __name__ == "__main__":
    main()
