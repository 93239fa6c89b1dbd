"""Blending benchmark, live half: a predictive campaign and the hotline on the real sandbox at once.

Called by ``python -m bench.blend`` (after the simulated day); run it under the
sandbox lock (``flock /tmp/sandbox.lock``). The 8 sandbox phones: one hotline
seat (the demo's hotline, ``lab.demo.ensure_hotline``, on the route the live
hotline test calls), two designated overflow agents and five outbound agents,
all seven on one predictive campaign (the real runner process, the real
pacer). The world dials the campaign's leads as usual and, meanwhile, calls
the hotline DID at a Poisson rate scaled up (talk times are compressed to
seconds, so a few minutes hold enough callers); a share of them are impatient
and hang up in the queue if nobody answers within a few seconds.

Measured, from the database (as the reports define them: ``web.reports.inbound``,
``store.compliance``, the agent state log) and from the PBX's own events (an
independent AMI login on the pbx, and the world's):

* inbound service level (answered within 20 s of waiting, abandons in the
  denominator), ASA, queue abandons; the PBX's arrival -> ``BridgeEnter`` waits
  as a cross-check;
* outbound abandon rate (the campaign's 24 h window, US definition) against its
  cap, and windows over the cap; abandons counted three ways (attempts, the
  compliance buckets, the abandon route's ``SwitchboardAbandon`` events); abandons
  within 10 s after an overflow agent was handed an inbound caller (what a
  reservation the pacer did not see would cause);
* occupancy of the five outbound agents (on call + wrap-up over logged-in time,
  over the dialing window);
* nothing lost or duplicated: callers placed by the world = inbound channels at
  the pbx = inbound call rows, one per caller.

Prints ``LIVE blend pbx=... inbound_sl20_pct=... ...`` (the issue's keys plus the checks).
"""

from __future__ import annotations

import dataclasses
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from lab import demo
from lab.campaign import AmiWatcher, Kit, RunnerProcess, mixed_leads, sandbox_up
from lab.sandbox.calls import call_in, hang_up
from lab.sandbox.credentials import fs_phone_credentials, phone_credentials
from lab.sandbox.world import Outcome as World
from settings import load_settings
from store import models as m
from store.compliance import campaign_windows
from store.enums import AgentState, CallDirection, CampaignMode, MachineAction, PbxKind
from web.reports.inbound import RouteFigures, by_route
from web.reports.services import BUSY, Period

#: The hotline DIDs the sandbox delivers on each node (as ``tests/integration/test_hotline_live.py``).
DID = {PbxKind.ASTERISK: "14005550400", PbxKind.FREESWITCH: "14005550401"}
#: Outbound leads' outcomes: enough humans to keep 7 agents busy, the rest as a carrier gives them.
MIX = {World.HUMAN: 0.45, World.MACHINE: 0.15, World.NO_ANSWER: 0.2, World.BUSY: 0.1, World.UNALLOCATED: 0.1}
#: Seconds each outcome keeps its line (humans: AMD ~2-3 s, then 5-11 s with the agent).
TALK = {World.HUMAN: (8, 10, 12, 14), World.MACHINE: (10,), World.NO_ANSWER: (6,), World.BUSY: (1,),
        World.UNALLOCATED: (1,), World.CONGESTION: (1,)}
OVERFLOW_AFTER_S = 3  # the reference's 10 s, compressed like the talk times
MAX_WAIT_S = 60
IMPATIENT_SHARE = 0.25  # callers who hang up after 2-6 s in the queue
PATIENT_S = 50.0  # everybody else waits (up to the max wait)
SL_S = 20
NEAR_OVERFLOW_S = 10.0


@dataclass(frozen=True)
class Plan:
    window_s: float  # dialing and inbound arrivals
    inbound_per_min: float
    inbound_talk_s: tuple[float, float]  # uniform, from the answer
    drain_s: float  # longest wait for the callers still on after the window

    @property
    def leads(self) -> int:
        return int(self.window_s * 3) + 60  # ~1.5 dials/s: never run dry


FULL = Plan(window_s=150, inbound_per_min=4, inbound_talk_s=(6, 14), drain_s=40)
QUICK = Plan(window_s=26, inbound_per_min=8, inbound_talk_s=(4, 8), drain_s=12)


@dataclass
class Caller:
    number: str
    channel: str
    placed: float
    patience_s: float
    talk_s: float
    hung_up_by_us: str = ""  # "" | "talked" | "impatient" | "cut"


@dataclass
class LiveResult:
    pbx: str
    inbound: RouteFigures
    pbx_waits: list[float]
    placed: int
    pbx_channels: int
    call_rows: int
    duplicated: int
    cut: int
    occupancy: float
    overflow_busy: float
    abandons: int
    live_answers: int
    bucket_abandons: int
    pbx_abandon_events: int | None
    abandon_rate: float
    cap: float
    breaches: int
    near_overflow: int
    connects: int
    window_s: float
    #: Why each caller's call ended on the world's side: talked, impatient, cut, ended (by the node).
    reasons: Counter[str] = field(default_factory=Counter)
    #: (queue outcome, queue wait s, the caller's patience s) per caller.
    waits: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return max(0, self.placed - self.call_rows)

    def line(self) -> str:
        f = self.inbound
        return (f"LIVE blend pbx={self.pbx} inbound_sl20_pct={100 * (f.service_level or 0):.2f} "
                f"inbound_asa_s={f.asa_s or 0:.1f} queue_abandon_pct={100 * (f.abandon_rate or 0):.2f} "
                f"outbound_occupancy_pct={100 * self.occupancy:.2f} "
                f"outbound_abandon_pct={100 * self.abandon_rate:.2f} window_breaches={self.breaches} "
                f"inbound_calls={f.offered} overflow={f.by_overflow} lost={self.lost} "
                f"duplicated={self.duplicated} abandons_near_overflow={self.near_overflow}")


def seats(kit: Kit) -> list[tuple[str, str]]:
    phones = fs_phone_credentials if kit.kind is PbxKind.FREESWITCH else phone_credentials
    return [(p.extension, p.secret) for p in phones(kit.sandbox.settings)]


def set_up(kit: Kit, plan: Plan) -> tuple[int, list[int], list[int]]:
    """The campaign on phones 2-8 (the first two of them its overflow agents) and the hotline on
    phone 1; returns (campaign, overflow agents, outbound agents)."""
    agents = kit.agents(7, first=1)
    overflow, outbound = agents[:2], agents[2:]
    counts = {outcome: round(share * plan.leads) for outcome, share in MIX.items()}
    ordered = mixed_leads(counts, first_serial=0, talk=TALK)
    leads = dict(random.Random(2).sample(list(ordered.items()), len(ordered)))
    campaign = kit.campaign("blend-live", CampaignMode.PREDICTIVE, leads, wrap_up_s=2, ring_timeout_s=20,
                            max_attempts=1, amd_action=MachineAction.HANGUP)
    with kit.sessions.begin() as s:
        node = s.get(m.PbxNode, kit.node_id)
        route = demo.ensure_hotline(s, kit.sealer, node, DID[kit.kind], seats(kit)[0],
                                    [s.get(m.Agent, i) for i in overflow])
        assert route is not None, "a fresh database has no hotline yet"
        route.overflow_after_s, route.max_wait_s = OVERFLOW_AFTER_S, MAX_WAIT_S
        return campaign, overflow, outbound


def all_ready(kit: Kit, runner: RunnerProcess) -> None:
    kit.wait_for("every agent ready", lambda s: all(a.state is AgentState.READY for a in s.scalars(
        select(m.Agent).where(m.Agent.seat_id.is_not(None)))), runner, timeout=40)


def inbound_rows(kit: Kit) -> dict[str, list[m.Call]]:
    with kit.sessions() as s:
        out: dict[str, list[m.Call]] = {}
        for call in s.scalars(select(m.Call).where(m.Call.direction == CallDirection.INBOUND)):
            out.setdefault(call.caller.lstrip("+"), []).append(call)
        return out


def drive(kit: Kit, runner: RunnerProcess, plan: Plan, rng: random.Random) -> list[Caller]:
    """Callers at a Poisson rate over the window; each hangs up ``talk_s`` after being answered, or
    after ``patience_s`` unanswered; the rest are waited for (``drain_s``), then cut."""
    callers: list[Caller] = []
    start = time.time()
    end, rate = start + plan.window_s, plan.inbound_per_min / 60
    next_at = start + rng.expovariate(rate) if rate else float("inf")
    serial = rng.randrange(10_000)
    while True:
        now = time.time()
        if not runner.alive():
            raise SystemExit(f"runner exited:\n{runner.tail()}")
        while next_at <= now < end:
            serial += 1
            number = f"1212555{serial % 10_000:04d}"
            patience = rng.uniform(2, 6) if rng.random() < IMPATIENT_SHARE else PATIENT_S
            channel = call_in(kit.sandbox.world, kit.kind, DID[kit.kind], number, name="Blend Caller",
                              talk_s=int(PATIENT_S + plan.inbound_talk_s[1] + 30))  # a backstop only
            callers.append(Caller(number, channel, time.time(), patience, rng.uniform(*plan.inbound_talk_s)))
            next_at += rng.expovariate(rate)
        live = [c for c in callers if not c.hung_up_by_us]
        if now >= end and not live:
            return callers
        rows = inbound_rows(kit)
        for c in live:
            c.hung_up_by_us = why_over(c, next(iter(rows.get(c.number, [])), None), now, end + plan.drain_s)
            if c.hung_up_by_us not in ("", "ended"):
                hang_up(kit.sandbox.world, c.channel)
        time.sleep(0.2)


def why_over(c: Caller, row: m.Call | None, now: float, cut_at: float) -> str:
    """Why ``c``'s call is over now ("" if it goes on): the node ended it (voicemail), they talked
    their time with an agent, lost patience in the queue, or the run is over."""
    if row is not None and row.ended_at is not None:
        return "ended"
    if row is not None and row.answered_at is not None and row.agent_id is not None:
        return "talked" if now >= row.answered_at.timestamp() + c.talk_s else ""
    if now >= c.placed + c.patience_s:
        return "impatient"
    return "cut" if now >= cut_at else ""


def occupancy(kit: Kit, agents: list[int], lo: datetime, hi: datetime) -> float:
    """(on call + wrap-up) / logged-in time of ``agents`` between ``lo`` and ``hi`` (the state log)."""
    busy = available = 0.0
    with kit.sessions() as s:
        for row in s.scalars(select(m.AgentStateLog).where(m.AgentStateLog.agent_id.in_(agents))):
            a, b = max(row.started_at, lo), min(row.ended_at or hi, hi)
            seconds = max(0.0, (b - a).total_seconds())
            if row.state is not AgentState.PAUSED:
                available += seconds
                busy += seconds if row.state in BUSY else 0.0
    return busy / available if available else 0.0


def pbx_inbound(watcher: AmiWatcher, did: str) -> tuple[int, list[float]]:
    """(inbound channels for ``did`` at the pbx, each answered one's arrival -> BridgeEnter seconds)."""
    arrivals = {e["Uniqueid"]: float(e["Timestamp"]) for e in watcher.matching(
        lambda e: e.get("Event") == "Newchannel" and e.get("Exten") == did)}
    bridged: dict[str, float] = {}
    for e in watcher.matching(lambda e: e.get("Event") == "BridgeEnter" and e.get("Uniqueid") in arrivals):
        bridged.setdefault(e["Uniqueid"], float(e["Timestamp"]))
    return len(arrivals), sorted(bridged[u] - arrivals[u] for u in bridged)


def run(kind: PbxKind = PbxKind.ASTERISK, quick: bool = False, seed: int = 1, inbound: bool = True,
        ) -> LiveResult:
    """One live run on the sandbox node of ``kind`` (the caller holds the sandbox lock); without
    ``inbound`` the world places no hotline calls (the outbound baseline)."""
    plan = QUICK if quick else FULL
    plan = plan if inbound else dataclasses.replace(plan, inbound_per_min=0)
    sandbox = sandbox_up(load_settings(), "freeswitch" if kind is PbxKind.FREESWITCH else "asterisk")
    with tempfile.TemporaryDirectory(prefix="bench-blend-") as tmp:
        kit = Kit(sandbox, Path(tmp), kind=kind)
        campaign, overflow, outbound = set_up(kit, plan)
        runner = kit.runner()
        with AmiWatcher(sandbox.pbx) as pbx:
            runner.start()
            try:
                all_ready(kit, runner)
                lo = datetime.now(UTC)
                callers = drive(kit, runner, plan, random.Random(seed))
                hi = min(datetime.now(UTC), lo + timedelta(seconds=plan.window_s))
                kit.stop_campaign(campaign, runner)
            finally:
                runner.stop()
            channels, waits = pbx_inbound(pbx, DID[kind])
            abandon_events = len(pbx.matching(lambda e: e.get("UserEvent") == "SwitchboardAbandon"))
        result = measure(kit, campaign, callers, overflow, outbound, lo, hi)
        result.pbx_waits, result.pbx_channels = waits, channels
        result.pbx_abandon_events = abandon_events if kind is PbxKind.ASTERISK else None
        kit.close()
    return result


def measure(kit: Kit, campaign_id: int, callers: list[Caller], overflow: list[int], outbound: list[int],
            lo: datetime, hi: datetime) -> LiveResult:
    rows = inbound_rows(kit)
    today = datetime.now(UTC).date()
    with kit.sessions() as s:
        figures = next(iter(by_route(s, Period(today - timedelta(days=1), today))),
                       RouteFigures("-", 0, 0, 0, 0, 0, 0, 0, 0, None))
        campaign = s.get(m.Campaign, campaign_id)
        cap = float(campaign.abandon_cap)
        windows = campaign_windows(s, campaign_id, datetime.now(UTC) + timedelta(seconds=1))
        attempts = list(s.scalars(select(m.Attempt).where(m.Attempt.campaign_id == campaign_id)))
        handed = [c.answered_at.timestamp() for c in s.scalars(select(m.Call).where(
            m.Call.direction == CallDirection.INBOUND, m.Call.agent_id.in_(overflow),
            m.Call.answered_at.is_not(None)))]
    day = next(w for w in windows if w.seconds == 24 * 3600)
    rate = day.abandons / day.live_answers if day.live_answers else 0.0
    abandoned = [a for a in attempts if a.abandoned]
    near = sum(any(0 <= (a.answered_at or a.ended_at).timestamp() - t <= NEAR_OVERFLOW_S for t in handed)
               for a in abandoned if (a.answered_at or a.ended_at) is not None)
    return LiveResult(
        pbx=kit.node_name if kit.kind is PbxKind.FREESWITCH else "asterisk", inbound=figures, pbx_waits=[],
        placed=len(callers), pbx_channels=0, call_rows=sum(len(v) for v in rows.values()),
        duplicated=sum(len(v) - 1 for v in rows.values() if len(v) > 1),
        cut=sum(c.hung_up_by_us == "cut" for c in callers),
        reasons=Counter(c.hung_up_by_us for c in callers),
        waits=[(str(row.queue_outcome), -1.0 if row.queue_wait_s is None else float(row.queue_wait_s),
                c.patience_s) for c in callers
               for row in rows.get(c.number, [])[:1]],
        occupancy=occupancy(kit, outbound, lo, hi), overflow_busy=occupancy(kit, overflow, lo, hi),
        abandons=len(abandoned), live_answers=day.live_answers, bucket_abandons=day.abandons,
        pbx_abandon_events=None, abandon_rate=rate, cap=cap,
        breaches=sum(w.live_answers > 0 and w.abandons / w.live_answers > cap for w in windows),
        near_overflow=near, connects=sum(a.bridged_at is not None for a in attempts),
        window_s=(hi - lo).total_seconds())


def report(r: LiveResult) -> None:
    f = r.inbound
    waits = r.pbx_waits
    within = sum(w <= SL_S for w in waits)
    print(f"\nlive on the sandbox ({r.pbx}): {r.window_s:.0f} s of dialing, 1 hotline seat, "
          f"2 overflow agents, 5 outbound agents (all 7 on one predictive campaign)")
    print(f"inbound: {r.placed} callers placed by the world, {r.pbx_channels} inbound channels at the pbx, "
          f"{r.call_rows} call rows ({r.duplicated} duplicated, {r.lost} lost, {r.cut} cut at the end); "
          f"offered {f.offered}, answered {f.answered} ({f.by_overflow} by overflow agents), "
          f"abandoned {f.abandoned}, voicemail {f.voicemail}")
    print(f"inbound (database): SL{SL_S} {100 * (f.service_level or 0):.1f} %, ASA {f.asa_s or 0:.1f} s; "
          f"(pbx arrival -> BridgeEnter): {within}/{len(waits)} bridged within {SL_S} s, mean "
          f"{sum(waits) / max(len(waits), 1):.1f} s, max {max(waits, default=0):.1f} s")
    events = "" if r.pbx_abandon_events is None else f", {r.pbx_abandon_events} abandon messages at the pbx"
    print(f"outbound: {r.connects} customers bridged; abandons {r.abandons} (attempts), "
          f"{r.bucket_abandons} of {r.live_answers} live answers (compliance 24 h window){events}: "
          f"{100 * r.abandon_rate:.2f} % "
          f"against the cap {100 * r.cap:.2f} %, windows over the cap {r.breaches}; abandons within "
          f"{NEAR_OVERFLOW_S:.0f} s after an overflow hand-off {r.near_overflow}")
    print(f"occupancy over the window: outbound agents {100 * r.occupancy:.1f} %, overflow agents "
          f"(outbound and inbound) {100 * r.overflow_busy:.1f} %")
    print(f"callers' ends {dict(r.reasons)}; (outcome, wait s, patience s): "
          + ", ".join(f"({o}, {w:.1f}, {p:.0f})" for o, w, p in r.waits))
    print(r.line())


def main() -> None:
    """``python -m bench.blend_live [--quick] [--no-inbound]``: the live half alone, or its outbound
    baseline (the same campaign, no hotline callers)."""
    report(run(PbxKind.ASTERISK, "--quick" in sys.argv, inbound="--no-inbound" not in sys.argv))


if __name__ == "__main__":
    main()
