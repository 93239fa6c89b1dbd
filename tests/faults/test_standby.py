"""A node with a standby runner on the real sandbox and PostgreSQL: two runner processes, one lease.

Mid-campaign the active runner is killed with SIGKILL, then (the other one
active by then) its database link is cut through a gate of ours, then the
active one is frozen (SIGSTOP) and resumed after the takeover: each time the
standby takes over, resynchronises from the PBX's live channels and dials on;
the cut runner and the frozen one stop acting (their logs say they lost the
lease) and stand by. At the end no lead is lost, the world received no call beyond
the attempts recorded for its number (no duplicate originate), no number was
dialed twice at once, and every call was reconciled (``lab.standby``).
"""

from __future__ import annotations

import pytest

from lab.faults import table
from lab.standby import LEASE_LOST, STANDBY_FAULTS, StandbyRun
from store import models as m
from tests.db.conftest import _empty_pg_schema
from tests.integration.campaign_kit import BOTH_PBXES, kit_on

pytestmark = [pytest.mark.sandbox, pytest.mark.slow, pytest.mark.postgres]


@BOTH_PBXES
def test_the_standby_takes_over_when_the_active_dies_or_loses_the_database(
    sandbox, pg_database_url, tmp_path, kind
):
    _empty_pg_schema(pg_database_url)
    kit = kit_on(sandbox, tmp_path, kind, url=pg_database_url)
    try:
        with StandbyRun(kit, pg_url=pg_database_url, leads=160, serial=400) as run:
            for name in STANDBY_FAULTS:
                run.inject(name)
            verdict = run.finish()
            print(kind, table(verdict.results), verdict, f"failover_s={run.failover_s()}", sep="\n")
            logs = [r.log.read_text(errors="replace") for r in run.runners]
        assert verdict.stuck == 0, table(verdict.results)
        counts = (
            verdict.lost_leads,
            verdict.duplicate_originates,
            verdict.overlapping,
            verdict.unreconciled,
            verdict.charged_refusals,
        )
        assert counts == (0, 0, 0, 0, 0), verdict
        # the cut one and the frozen one said it; the killed one never could
        assert sum(log.count(LEASE_LOST) for log in logs) == 2
        with kit.sessions() as s:
            lease = s.get(m.RunnerLease, kit.node_id)
        assert lease.token >= 4  # taken at start, after the kill, the cut and the freeze
    finally:
        kit.close()
