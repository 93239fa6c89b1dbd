"""Blending benchmark (issue 12): the reference customer's day with its hotline, simulated, then live.

    flock /tmp/sandbox.lock .venv/bin/python -m bench.blend [--quick] [--days 5] [--seed 1] [--no-live]

Simulated half, below; the live half is ``bench.blend_live`` (a predictive
campaign and the hotline at once on the Asterisk sandbox, the real runner, the
world calling the hotline DID; 150 s of dialing, ``--quick`` 26 s), printed as
``LIVE blend pbx=asterisk ...`` with the same keys plus its checks (callers
lost or duplicated, abandons next to an overflow hand-off) before the final
``RESULT`` line, which carries the simulated figures. ``--no-live``: the
simulated half only (a machine without the sandbox). Measured (seed 1): full, 17 callers,
0 lost or duplicated, SL20 82.4 %, ASA 4.0 s, queue abandons 17.6 % (3 impatient callers), outbound
3 abandons of 60 live answers = 5.0 % over the 3 % cap (2 windows), none next to an overflow
hand-off, outbound occupancy 68.0 % (without hotline callers, ``python -m bench.blend_live
--no-inbound``: 0 abandons of 72, 73.8 %); ``--quick`` 58 s in all (README's Benchmarks table).

48 agents on a predictive campaign (world S1, our policy), two of them the
designated overflow agents of the hotline queue, plus one hotline seat; about
100 inbound calls a day with a peak hour (``simulation.inbound``). The same
days are run without inbound calls (same seed, same leads) for the outbound
comparison. Inbound calls go through the core's queue unit on a node host;
the standby of overflow agents kept at hand while the hotline is busy is
sized by Erlang C for the peak hour. Prints the Erlang C plan, a table, and
last one machine-readable line:

    RESULT blend inbound_sl20_pct=<x> inbound_asa_s=<x> queue_abandon_pct=<x>
           outbound_occupancy_pct=<x> outbound_abandon_pct=<x> window_breaches=<n>

(service level: answered within 20 s / callers offered that left the queue,
abandons and max-wait included; occupancy of the outbound agents while they
work outbound; abandon rate and breaches (24 h windows over the cap) with the
US profile's definition. Targets: SL >= 90 %, queue abandons <= 3 %, outbound
occupancy within 1 point of the day without inbound, outbound abandon <= cap,
0 breaches.) ``--quick``: 1 day instead of 5 and the short live run (under a minute in all).
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

from bench import blend_live
from orchestrator.pacing.catalog import make_policy
from simulation.engine import Simulator
from simulation.inbound import InboundTally, InboundWorld, erlang_plan
from simulation.metrics import Summary
from simulation.scenarios import scenario
from simulation.world import World


def world(days: int, inbound: bool) -> World:
    return scenario("S1", p=0.3, days=days).with_(inbound=InboundWorld() if inbound else None)


def run(args: tuple[int, int, bool]) -> tuple[bool, Summary, int, InboundTally | None, float]:
    """One run: (with inbound?, outbound summary, outbound connects, inbound tally, seconds)."""
    days, seed, inbound = args
    started = time.perf_counter()
    w = world(days, inbound)
    policy = make_policy("ours", shift_start_s=w.shift_start_h * 3600, shift_s=w.day_s)
    sim = Simulator(w, policy, seed)
    tally = sim.run()
    return (inbound, tally.summary(w.cap, w.profile), tally.connects_measured,
            sim.inbound.tally if sim.inbound is not None else None, time.perf_counter() - started)


def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 simulated day instead of 5")
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-live", action="store_true", help="the simulated day only (no sandbox here)")
    args = parser.parse_args()
    days = 1 if args.quick else args.days
    w = world(days, True)
    assert w.inbound is not None
    for line in erlang_plan(w.inbound, w.day_s).lines():
        print(line)
    with multiprocessing.Pool(2) as pool:
        results = {inbound: rest for inbound, *rest in
                   pool.map(run, [(days, args.seed, True), (days, args.seed, False)])}
    (blend, connects, tally, secs), (alone, connects_alone, _, secs_alone) = results[True], results[False]
    assert tally is not None
    print(f"\n{days} days, seed {args.seed}; {tally.offered} inbound calls "
          f"({tally.by_overflow} answered by overflow agents, {tally.sent_on} to voicemail)\n")
    print("| run | outbound occupancy % | outbound abandon US % | worst 24 h % | windows over cap "
          "| connects/agent-h | inbound SL20 % | ASA s | queue abandon % | run s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = (("with inbound", blend, tally, secs), ("without inbound", alone, None, secs_alone))
    for name, s, t, run_s in rows:
        inbound_cols = (f"{pct(t.service_level)} | {t.asa_s:.1f} | {pct(t.abandon_rate)}" if t is not None
                        else "- | - | -")
        print(f"| {name} | {pct(s.occupancy)} | {pct(s.abandon_us)} | {pct(s.worst_24h)} "
              f"| {s.breaches_24h}/{s.windows_24h} | {s.connects_per_agent_hour:.2f} | {inbound_cols} "
              f"| {run_s:.0f} |")
    print(f"\noutbound occupancy without inbound: {pct(alone.occupancy)} % "
          f"(difference {100 * (blend.occupancy - alone.occupancy):+.2f} points); outbound connects "
          f"{connects} with inbound, {connects_alone} without "
          f"({100 * (connects / max(connects_alone, 1) - 1):+.1f} %: the overflow agents' time on the hotline"
          " and at hand)")
    if not args.no_live:
        blend_live.report(blend_live.run(quick=args.quick, seed=args.seed))
    print(f"RESULT blend inbound_sl20_pct={pct(tally.service_level)} inbound_asa_s={tally.asa_s:.1f} "
          f"queue_abandon_pct={pct(tally.abandon_rate)} outbound_occupancy_pct={pct(blend.occupancy)} "
          f"outbound_abandon_pct={pct(blend.abandon_us)} "
          f"window_breaches={blend.breaches_24h + blend.breaches_30d}")


if __name__ == "__main__":
    main()
