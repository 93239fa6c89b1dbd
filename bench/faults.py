"""Fault benchmark on the real Asterisk sandbox: a predictive campaign through outages, cuts and crashes.

``python -m bench.faults [--quick]`` brings the sandbox up and, for each
database (SQLite; PostgreSQL in a throw-away database on the local server,
reached through a gate of ours that is cut -- the server itself is never
stopped), runs one predictive campaign under a real runner and injects, one
after another while it dials (``lab.faults``): the database
unavailable (PostgreSQL 30 s, SQLite write lock 20 s), the AMI connection cut
mid-burst, the pbx restarted, the runner killed with SIGKILL, the runner
stopped with SIGTERM. Between faults the campaign runs normally for a while.

Measured per fault: how long it lasted, calls in flight when it began, and the
recovery (fault end -> next call originated or bridged). At the end of each
campaign (drained): leads lost (left dialing or claimed), duplicate originates
(calls the world received beyond the attempts recorded for the number, plus
attempts of one lead that overlapped), calls never reconciled, campaigns stuck
(never dialing again within a minute of a fault).

``--quick`` (under a minute): SQLite only, a 5 s write lock, no pause between
faults. The last line is ``RESULT faults scenarios=<n> lost_leads=<n>
duplicate_originates=<n> stuck_campaigns=<n> max_recovery_s=<x>``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import make_url

from lab.campaign import Kit, sandbox_up
from lab.faults import FAULTS, TcpGate, Verdict, gated_url, run_faults, table
from lab.pgdb import server_for_tests, throwaway_database
from settings import load_settings

TARGET_RECOVERY_S = 5.0


def pg_database() -> AbstractContextManager[str]:
    """A throw-away database on the local server (dropped afterwards)."""
    return throwaway_database(server_for_tests(), "switchboard_faults")


def run_backend(sandbox, backend: str, tmp: Path, *, leads: int, outage_s: float, settle: int,
                serial: int) -> Verdict:
    print(f"--- {backend}: {leads} leads, database outage {outage_s:g} s, {settle} calls between faults")
    if backend == "sqlite":
        kit = Kit(sandbox, tmp)
        try:
            return run_faults(kit, FAULTS, leads=leads, db_outage_s=outage_s, settle=settle, serial=serial)
        finally:
            kit.close()
    with pg_database() as url:
        kit = Kit(sandbox, tmp, url=url)
        parsed = make_url(url)
        try:
            with TcpGate(parsed.host or "127.0.0.1", parsed.port or 5432) as gate:
                return run_faults(kit, FAULTS, leads=leads, db_outage_s=outage_s, settle=settle,
                                  serial=serial, pg_gate=gate, runner_url=gated_url(url, gate))
        finally:
            kit.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="SQLite only, short outage: under 60 s")
    parser.add_argument("--leads", type=int, default=None,
                        help="numbers in each campaign (default 1500, quick 300)")
    parser.add_argument("--settle", type=int, default=None,
                        help="calls ended between faults (default 15, quick 0)")
    args = parser.parse_args()
    leads = args.leads or (300 if args.quick else 1500)
    settle = args.settle if args.settle is not None else (0 if args.quick else 15)
    backends = ("sqlite",) if args.quick else ("sqlite", "postgres")

    began = time.monotonic()
    sandbox = sandbox_up(load_settings())
    verdicts: list[tuple[str, Verdict]] = []
    for index, backend in enumerate(backends):
        outage_s = 5.0 if args.quick else (20.0 if backend == "sqlite" else 30.0)
        with tempfile.TemporaryDirectory(prefix=f"bench-faults-{backend}-") as tmp:
            verdict = run_backend(sandbox, backend, Path(tmp), leads=leads, outage_s=outage_s, settle=settle,
                                  serial=index * 200)
        verdicts.append((backend, verdict))
        print(table(verdict.results))
        print(f"{backend}: attempts={verdict.attempts} lost_leads={verdict.lost_leads} "
              f"duplicate_originates={verdict.duplicate_originates} overlapping={verdict.overlapping} "
              f"unreconciled={verdict.unreconciled} stuck={verdict.stuck}")

    scenarios = sum(len(v.results) for _, v in verdicts)
    lost = sum(v.lost_leads + v.unreconciled for _, v in verdicts)
    duplicates = sum(v.duplicate_originates + v.overlapping for _, v in verdicts)
    stuck = sum(v.stuck for _, v in verdicts)
    worst = max(v.max_recovery_s for _, v in verdicts)
    print(f"faults benchmark ({'quick' if args.quick else 'full'}): {', '.join(b for b, _ in verdicts)}; "
          f"wall {time.monotonic() - began:.0f} s; target: 0 lost, 0 duplicates, 0 stuck, "
          f"recovery <= {TARGET_RECOVERY_S:g} s")
    print(f"RESULT faults scenarios={scenarios} lost_leads={lost} duplicate_originates={duplicates} "
          f"stuck_campaigns={stuck} max_recovery_s={worst:.2f}")


if __name__ == "__main__":
    main()
