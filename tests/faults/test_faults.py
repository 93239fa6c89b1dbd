"""Faults during a running predictive campaign on the real sandbox, on SQLite and on PostgreSQL, on
each PBX (the Asterisk pbx, the FreeSWITCH node).

One campaign per database and PBX, six faults in a row (``lab.faults``):
the database unavailable (PostgreSQL cut 12 s through our own gate, SQLite's
write lock held 13 s, past its 10 s busy timeout), the runner's PBX connection
(AMI or ESL) cut mid-burst, then frozen (silent, not closed), the PBX restarted,
the runner killed with SIGKILL, the runner stopped with SIGTERM.
After each the campaign dials again; at the end no lead is lost, no number was
dialed twice at once, the world received no call beyond the attempts recorded,
and every call in flight was reconciled; no lead was charged for a call the node refused
(``charged_refusals``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from lab.faults import FAULTS, TcpGate, gated_url, run_faults, table
from store.db import SQLITE_BUSY_TIMEOUT_MS
from tests.integration.campaign_kit import BOTH_PBXES, kit_on

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

#: SQLite's outage: its write lock held past the runner's busy timeout (10 s), so writes fail, not wait.
SQLITE_OUTAGE_S = SQLITE_BUSY_TIMEOUT_MS / 1000 + 3  # a write begun in the first 3 s fails
#: PostgreSQL's outage: long enough for every pooled connection to be cut and several reconnects to
#: fail (the runner's outage path, not one slow query); ``bench.faults`` holds longer ones.
PG_OUTAGE_S = 12.0  # the runner's database backoff tops out at 2 s: 5 or more reconnects fail


@BOTH_PBXES
def test_a_predictive_campaign_survives_every_fault(sandbox, db_url, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind, url=db_url)
    try:
        if make_url(db_url).get_backend_name() == "sqlite":
            verdict = run_faults(kit, FAULTS, leads=400, db_outage_s=SQLITE_OUTAGE_S, serial=100)
        else:
            url = make_url(db_url)
            with TcpGate(url.host or "127.0.0.1", url.port or 5432) as gate:
                verdict = run_faults(kit, FAULTS, leads=400, db_outage_s=PG_OUTAGE_S, serial=200,
                                     pg_gate=gate, runner_url=gated_url(db_url, gate))
        print(kind, table(verdict.results), sep="\n")
        print(verdict)
        assert [r.name for r in verdict.results] == list(FAULTS)
        assert verdict.stuck == 0, table(verdict.results)
        counts = (verdict.lost_leads, verdict.duplicate_originates, verdict.overlapping, verdict.unreconciled,
                  verdict.charged_refusals)
        assert counts == (0, 0, 0, 0, 0), verdict
    finally:
        kit.close()



@BOTH_PBXES
@pytest.mark.parametrize("fault", ["pbx", "freeze"])
def test_one_pbx_fault_short(sandbox, tmp_path, kind, fault):
    """One PBX fault alone (short, SQLite).

    ``pbx``: the PBX restarted mid-burst; the originates it refused while stopping or
    starting (Asterisk shutting down, FreeSWITCH's sofia not loaded yet) end as
    ``node_refused`` and no lead is charged for one. ``freeze``: the runner's link
    to the PBX goes silent without closing; the runner notices (AMI Ping, ESL
    HEARTBEAT/probe), connects again and dials on.
    """
    kit = kit_on(sandbox, tmp_path, kind, url=f"sqlite:///{tmp_path / 'switchboard.sqlite3'}")
    try:
        verdict = run_faults(kit, (fault,), leads=120, serial=300, liveness_s=1.0)
        print(kind, table(verdict.results), verdict, sep="\n")
        assert verdict.stuck == 0, table(verdict.results)
        counts = (verdict.lost_leads, verdict.duplicate_originates, verdict.unreconciled,
                  verdict.charged_refusals)
        assert counts == (0, 0, 0, 0), verdict
    finally:
        kit.close()
