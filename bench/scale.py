"""Scale benchmark on the real sandbox and PostgreSQL: a node with a standby runner under load.

``python -m bench.scale [--quick]`` brings the sandbox up, makes a throw-away
PostgreSQL database on the local server, and runs one predictive campaign on
the Asterisk ``pbx`` node set for a standby (``lab.standby``): two real
``switchboard runner`` processes, each reaching PostgreSQL through a gate of
ours. Channels: the sandbox world -- real SIP calls with RTP from the pbx
instance to the simulated carrier (the ``world`` Asterisk instance: humans,
machines, busy, no answer, unallocated), 8 SIP agents; no Local channels (at
this size RTP does not saturate the 2 cores). One node: several nodes sharing
the database (issue 17 item 1) are not part of this benchmark yet.

Measured:

* ``command_latency_p99_ms``: desk commands queued as the web queues them
  (``store.desk_queue.enqueue``, which sends ``NOTIFY``) until the active runner
  took them (``taken_at - created_at``), with calls under way; the same idle
  (the campaign paused, the runner listening) is printed too. The probe is a log-in
  of an agent with no seat, which the runner takes and refuses: the whole path
  from the web's commit to the runner's handler, without touching the agents
  who dial;
* ``attempts_per_s``: calls originated per second while nothing fails;
* ``failover_s``: the worst of the faults (``lab.standby``): the active
  runner killed with SIGKILL (and, full run, its database link cut, and it
  frozen with SIGSTOP), from the fault to the first call the standby dialed or
  bridged;
* ``duplicate_originates``: calls the world received beyond the attempts recorded
  for their number, plus attempts of one number that overlapped;
* ``lost_leads``: leads left dialing or claimed, plus attempts never ended.

``--quick`` (under a minute): fewer leads and probes, the kill only. The last
line is ``RESULT scale nodes=<n> attempts_per_s=<x> failover_s=<x>
duplicate_originates=<n> lost_leads=<n> command_latency_p99_ms=<x>``.
Targets: failover <= 5 s, 0 duplicates, 0 lost, p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.faults import pg_database
from lab.campaign import Kit, sandbox_up
from lab.faults import table
from lab.standby import STANDBY_FAULTS, StandbyRun
from settings import load_settings
from store import desk_queue
from store import models as m
from store.enums import CampaignState, DeskCommand, DeskRequestStatus, UserRole
from store.types import utcnow

#: The sandbox pbx has 8 agent phones.
AGENTS = 8
#: What a runner logs once its command listener is up (``runner.wakeup``).
LISTENING = "command listener on"
TARGETS = "failover <= 5 s, 0 duplicates, 0 lost, command p99 <= 50 ms"


def probe_agent(kit: Kit) -> int:
    """An agent with no seat: their log-in is taken by the runner and refused (nothing else moves)."""
    with kit.sessions.begin() as s:
        user = m.User(
            username="latency-probe", password_hash="!", role=UserRole.AGENT, display_name="Latency probe"
        )
        s.add(user)
        s.flush()
        agent = m.Agent(user_id=user.id)
        s.add(agent)
        s.flush()
        return agent.id


def command_latencies_ms(kit: Kit, agent_id: int, count: int, gap_s: float = 0.05) -> list[float]:
    """Queue ``count`` desk commands one after another, as the web does; how long each waited."""
    ids = []
    for _ in range(count):
        with kit.sessions.begin() as s:
            request = m.DeskRequest(
                kind=DeskCommand.AGENT_LOGIN, node_id=kit.node_id, agent_id=agent_id, created_at=utcnow()
            )
            ids.append(desk_queue.enqueue(s, request).id)
        time.sleep(gap_s)
    deadline = time.monotonic() + 30
    while True:
        with kit.sessions() as s:
            rows = s.execute(
                select(m.DeskRequest.created_at, m.DeskRequest.taken_at).where(
                    m.DeskRequest.id.in_(ids), m.DeskRequest.status != DeskRequestStatus.PENDING
                )
            ).all()
        if len(rows) == len(ids):
            return [(taken - created).total_seconds() * 1000 for created, taken in rows]
        assert time.monotonic() < deadline, f"{len(ids) - len(rows)} desk commands never taken"
        time.sleep(0.1)


def set_state(kit: Kit, campaign_id: int, state: CampaignState) -> None:
    with kit.sessions.begin() as s:
        campaign = s.get(m.Campaign, campaign_id)
        assert campaign is not None
        campaign.desired_state = state


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


def originated_per_s(kit: Kit, campaign_id: int, since: datetime, until: datetime) -> float:
    with kit.sessions() as s:
        n = (
            s.scalar(
                select(func.count())
                .select_from(m.Attempt)
                .where(
                    m.Attempt.campaign_id == campaign_id,
                    m.Attempt.originated_at >= since,
                    m.Attempt.originated_at < until,
                )
            )
            or 0
        )
    return n / max(1e-9, (until - since).total_seconds())


def run(quick: bool) -> str:
    began = time.monotonic()
    sandbox = sandbox_up(load_settings())
    leads, probes = (60, 40) if quick else (400, 200)
    faults = STANDBY_FAULTS[:1] if quick else STANDBY_FAULTS
    with pg_database() as url, tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        kit = Kit(sandbox, Path(tmp), url=url)
        try:
            agent_id = probe_agent(kit)
            standby = StandbyRun(kit, pg_url=url, leads=leads, agents=AGENTS, serial=700)
            set_state(kit, standby.campaign_id, CampaignState.PAUSED)  # idle first
            with standby:
                kit.wait_for(
                    "the runner listening, the other standing by",
                    lambda _s: (
                        LISTENING in standby.runner.log.read_text()
                        and standby.standing_by(standby.runners[1])
                    ),
                    standby.runner,
                )
                idle = command_latencies_ms(kit, agent_id, probes // 4)
                set_state(kit, standby.campaign_id, CampaignState.RUNNING)
                standby.wait_dialing()
                window_start = utcnow()
                loaded = command_latencies_ms(kit, agent_id, probes)
                window_end = utcnow()
                if window_end - window_start < timedelta(seconds=5):
                    standby.settle(10)
                    window_end = utcnow()
                rate = originated_per_s(kit, standby.campaign_id, window_start, window_end)
                for name in faults:
                    result = standby.inject(name)
                    print(f"fault {name}: lasted {result.duration_s:.1f} s, recovery {result.recovery_s} s")
                verdict = standby.finish()
                failovers = standby.failover_s()
        finally:
            kit.close()
    print(table(verdict.results))
    print(
        f"command latency idle: p50 {statistics.median(idle):.1f} ms p99 {p99(idle):.1f} ms (n={len(idle)}); "
        f"loaded: p50 {statistics.median(loaded):.1f} ms p99 {p99(loaded):.1f} ms (n={len(loaded)})"
    )
    print(
        f"attempts={verdict.attempts} lost={verdict.lost_leads} unreconciled={verdict.unreconciled} "
        f"world_duplicates={verdict.duplicate_originates} overlapping={verdict.overlapping} "
        f"stuck={verdict.stuck} failovers_s={[round(f, 2) for f in failovers]}"
    )
    print(
        f"scale benchmark ({'quick' if quick else 'full'}): wall {time.monotonic() - began:.0f} s; "
        f"targets: {TARGETS}"
    )
    failover = max(failovers) if len(failovers) == len(faults) else float("inf")
    return (
        f"RESULT scale nodes=1 attempts_per_s={rate:.2f} failover_s={failover:.2f} "
        f"duplicate_originates={verdict.duplicate_originates + verdict.overlapping} "
        f"lost_leads={verdict.lost_leads + verdict.unreconciled} command_latency_p99_ms={p99(loaded):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer leads and probes, the kill only: < 60 s")
    print(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
