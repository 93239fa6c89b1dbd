"""Faults during a running predictive campaign on the real sandbox, on SQLite and on PostgreSQL, on
each PBX (the Asterisk pbx, the FreeSWITCH node).

One campaign per database and PBX, five faults in a row (``lab.faults``):
the database unavailable (PostgreSQL cut 30 s through our own gate, SQLite's
write lock held 20 s), the runner's PBX connection (AMI or ESL) cut mid-burst, the
PBX restarted, the runner killed with SIGKILL, the runner stopped with SIGTERM.
After each the campaign dials again; at the end no lead is lost, no number was
dialed twice at once, the world received no call beyond the attempts recorded,
and every call in flight was reconciled.
"""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from lab.faults import FAULTS, TcpGate, gated_url, run_faults, table
from tests.integration.campaign_kit import BOTH_PBXES, kit_on

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


@BOTH_PBXES
def test_a_predictive_campaign_survives_every_fault(sandbox, db_url, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind, url=db_url)
    try:
        if make_url(db_url).get_backend_name() == "sqlite":
            verdict = run_faults(kit, FAULTS, leads=400, db_outage_s=20.0, serial=100)
        else:
            url = make_url(db_url)
            with TcpGate(url.host or "127.0.0.1", url.port or 5432) as gate:
                verdict = run_faults(kit, FAULTS, leads=400, db_outage_s=30.0, serial=200, pg_gate=gate,
                                     runner_url=gated_url(db_url, gate))
        print(kind, table(verdict.results), sep="\n")
        print(verdict)
        assert [r.name for r in verdict.results] == list(FAULTS)
        assert verdict.stuck == 0, table(verdict.results)
        counts = (verdict.lost_leads, verdict.duplicate_originates, verdict.overlapping, verdict.unreconciled)
        assert counts == (0, 0, 0, 0), verdict
    finally:
        kit.close()
