"""Scale benchmark on the real sandbox and PostgreSQL: one campaign on several nodes, each with a standby.

``python -m bench.scale [--quick]`` brings the sandbox up (the Asterisk pair and
the FreeSWITCH node), makes a throw-away PostgreSQL database on the local
server, and runs one predictive campaign from two nodes at once
(``lab.multinode``): the Asterisk ``pbx`` instance and the FreeSWITCH node, each
with its own agents (8 SIP phones each) and two real ``switchboard runner``
processes holding a lease per node (``lab.standby``), each runner reaching
PostgreSQL through a gate of ours. The nodes share the campaign's leads through
``SKIP LOCKED`` claims. Channels: the sandbox world -- real SIP calls with RTP
from both nodes to the simulated carrier (the ``world`` Asterisk instance:
humans, machines, busy, no answer, unallocated); no Local channels (at this size
RTP does not saturate the 2 cores: the CPU line says what each part used).

``nodes=2``, not the issue's three (two Asterisk + FreeSWITCH): the sandbox has
one Asterisk pbx instance; a second one means reconfiguring and restarting the
shared ``world`` under every other test on the machine (``lab.multinode``).

Measured:

* ``command_latency_p99_ms``: desk commands queued as the web queues them
  (``store.desk_queue.enqueue``, which sends ``NOTIFY``) for each node, until that
  node's active runner took them (``taken_at - created_at``), with calls under way
  on both nodes; the same idle (the campaign paused, the runners listening) is
  printed too. The probe is a log-in of an agent with no seat, which the runner
  takes and refuses: the whole path from the web's commit to the runner's handler,
  without touching the agents who dial;
* ``attempts_per_s``: calls originated per second by all nodes while nothing fails, over
  the probes and then 12 (full run: 80) more calls ended (per node printed);
* ``failover_s``: the worst of the faults: the active runner of each node killed
  with SIGKILL (``--quick``: the Asterisk node's only; full run: also its database
  link cut, and it frozen with SIGSTOP), from the fault to the first call that
  node's standby dialed or bridged while the other node dialed on;
* ``duplicate_originates``: calls the world received beyond the attempts recorded
  for their number, plus attempts of one number that overlapped, plus leads
  dialed more than once over the nodes;
* ``lost_leads``: leads left dialing or claimed, plus attempts never ended;
* the CPU (% of one core) of each PBX instance, each runner and the whole machine
  (other work on it included) over the loaded window; and whether each node's
  abandon-rate counts (its own minute buckets) equal its attempts' truth.

``--quick`` (under a minute on an idle machine): fewer leads and probes, one
kill. The last line is ``RESULT scale nodes=<n> attempts_per_s=<x>
failover_s=<x> duplicate_originates=<n> lost_leads=<n>
command_latency_p99_ms=<x>``. Targets: failover <= 5 s, 0 duplicates, 0 lost,
p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.faults import pg_database
from lab.campaign import Kit, sandbox_up
from lab.faults import table
from lab.multinode import (
    CpuMeter,
    MultiNodeRun,
    counts_by_node,
    dials_per_lead,
    node_kits,
    shared_minutes,
    truth_by_node,
)
from lab.sandbox import cli as sandbox_cli
from lab.standby import STANDBY_FAULTS, StandbyRun
from settings import load_settings
from store import desk_queue
from store import models as m
from store.enums import CampaignState, DeskCommand, DeskRequestStatus, UserRole
from store.types import utcnow

#: Agents per node: the sandbox world has 8 phones for the pbx and 8 for the FreeSWITCH node.
AGENTS = 8
#: What a runner logs once its command listener is up (``runner.wakeup``).
LISTENING = "command listener on"
TARGETS = "failover <= 5 s, 0 duplicates, 0 lost, command p99 <= 50 ms"


def probe_agent(kit: Kit, index: int = 0) -> int:
    """An agent with no seat: their log-in is taken by the runner and refused (nothing else moves)."""
    with kit.sessions.begin() as s:
        user = m.User(
            username=f"latency-probe-{index}", password_hash="!", role=UserRole.AGENT,
            display_name="Latency probe",
        )
        s.add(user)
        s.flush()
        agent = m.Agent(user_id=user.id)
        s.add(agent)
        s.flush()
        return agent.id


def latencies(kits: list[Kit], probes: dict[int, int], count: int) -> list[float]:
    """``command_latencies_ms`` for each node (``probes``: node id -> its probe agent), all together."""
    return [ms for kit in kits for ms in command_latencies_ms(kit, probes[kit.node_id], count // len(kits))]


def command_latencies_ms(kit: Kit, agent_id: int, count: int, gap_s: float = 0.05) -> list[float]:
    """Queue ``count`` desk commands for the kit's node one after another, as the web does; how long
    each waited."""
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


def ready(run: StandbyRun) -> Callable[[object], bool]:
    """The node's active runner listens for commands, the other one stands by."""
    return lambda _s: LISTENING in run.runner.log.read_text() and run.standing_by(
        run.runners[1 - run.runners.index(run.runner)])


def set_state(kit: Kit, campaign_id: int, state: CampaignState) -> None:
    with kit.sessions.begin() as s:
        campaign = s.get(m.Campaign, campaign_id)
        assert campaign is not None
        campaign.desired_state = state


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


def originated_per_s(kit: Kit, campaign_id: int, since: datetime, until: datetime, node_id: int) -> float:
    with kit.sessions() as s:
        n = (
            s.scalar(
                select(func.count())
                .select_from(m.Attempt)
                .where(
                    m.Attempt.campaign_id == campaign_id,
                    m.Attempt.node_id == node_id,
                    m.Attempt.originated_at >= since,
                    m.Attempt.originated_at < until,
                )
            )
            or 0
        )
    return n / max(1e-9, (until - since).total_seconds())


def run(quick: bool) -> str:
    began = time.monotonic()
    settings = load_settings()
    sandbox = sandbox_up(settings)
    sandbox_cli.up(settings, "freeswitch")
    leads, probes, settle = (60, 40, 12) if quick else (400, 200, 80)
    faults = [(0, "kill9_active")] if quick else [(n, f) for f in STANDBY_FAULTS for n in (0, 1)]
    with pg_database() as url, tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        kits = node_kits(Kit(sandbox, Path(tmp) / "pbx", url=url), Path(tmp))
        try:
            probes_of = {kit.node_id: probe_agent(kit, i) for i, kit in enumerate(kits)}
            multi = MultiNodeRun(kits, pg_url=url, leads=leads, agents=AGENTS, serial=700)
            set_state(kits[0], multi.campaign_id, CampaignState.PAUSED)  # idle first
            with multi:
                for run in multi.nodes:
                    kits[0].wait_for("the runner listening, the other standing by", ready(run), run.runner)
                idle = latencies(kits, probes_of, probes // 4)
                set_state(kits[0], multi.campaign_id, CampaignState.RUNNING)
                multi.wait_dialing(2)
                window_start = utcnow()
                with CpuMeter(settings, multi.runner_pids()) as cpu:
                    loaded = latencies(kits, probes_of, probes)
                    multi.nodes[0].settle(settle)  # a window of whole calls, not only a burst's start
                window_end = utcnow()
                rates = {kit.node_name: originated_per_s(kit, multi.campaign_id, window_start, window_end,
                                                         kit.node_id) for kit in kits}
                for index, name in faults:
                    fault = multi.inject(index, name)
                    print(f"fault {name} on {fault.node}: lasted {fault.result.duration_s:.1f} s, "
                          f"recovery {fault.result.recovery_s} s")
                verdict = multi.finish()
            failovers = multi.failover_s()
            by_node = multi.attempts_by_node()
            twice = sum(n > 1 for n in dials_per_lead(kits[0], multi.campaign_id).values())
            stored = counts_by_node(kits[0], multi.campaign_id)
            truth = truth_by_node(kits[0], multi.campaign_id)
            shared = shared_minutes(kits[0], multi.campaign_id)
        finally:
            for kit in kits:
                kit.close()
    print(table(verdict.results))
    print(
        f"command latency idle: p50 {statistics.median(idle):.1f} ms p99 {p99(idle):.1f} ms (n={len(idle)}); "
        f"loaded: p50 {statistics.median(loaded):.1f} ms p99 {p99(loaded):.1f} ms (n={len(loaded)})"
    )
    print(
        f"attempts={verdict.attempts} by node {by_node} lost={verdict.lost_leads} "
        f"unreconciled={verdict.unreconciled} world_duplicates={verdict.duplicate_originates} "
        f"overlapping={verdict.overlapping} dialed_twice={twice} stuck={verdict.stuck} "
        f"failovers_s={[round(f, 2) for f in failovers]}"
    )
    print(f"attempts/s while nothing failed, per node: {({k: round(v, 2) for k, v in rates.items()})}")
    print(f"compliance counts per node {'EQUAL' if stored == truth else 'DIFFER FROM'} the attempts' truth "
          f"(stored {stored}, truth {truth}); minutes written by both nodes: {shared}")
    print(f"CPU over the loaded window (% of one core): {cpu.summary()}")
    print(
        f"scale benchmark ({'quick' if quick else 'full'}): wall {time.monotonic() - began:.0f} s; "
        f"targets: {TARGETS}"
    )
    failover = max(failovers) if len(failovers) == len(faults) else float("inf")
    return (
        f"RESULT scale nodes={len(kits)} attempts_per_s={sum(rates.values()):.2f} failover_s={failover:.2f} "
        f"duplicate_originates={verdict.duplicate_originates + verdict.overlapping + twice} "
        f"lost_leads={verdict.lost_leads + verdict.unreconciled} command_latency_p99_ms={p99(loaded):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer leads and probes, one kill: < 60 s")
    print(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
