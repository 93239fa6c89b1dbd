"""One campaign dialed from several sandbox nodes at once on one PostgreSQL, each node with a standby runner.

Shared by the live multi-node test (``tests/faults/test_multinode.py``) and
``bench.scale``. The sandbox's nodes: the Asterisk ``pbx`` instance and the
FreeSWITCH node, both calling out through the one ``world`` (the simulated
carrier and the agents' phones). A second Asterisk node is not part of it:
the sandbox has one pbx instance, and adding one means reconfiguring and
restarting the shared ``world`` (its phones and its trunk) under every other
test on the machine; what two nodes cost the 2 cores is measured
(:class:`CpuMeter`) and reported by ``bench.scale``.

Each node is a :class:`lab.standby.StandbyRun` on the same database: two real
``switchboard runner`` processes and a lease, its own agents (seats belong to a
node) logged in to the one campaign the first node's run made (campaigns
belong to none). Leads are claimed with ``SKIP LOCKED`` (``store.leads``), so
the nodes share the list without waiting for each other.

What must hold at the end (:meth:`MultiNodeRun.finish`): ``FaultRun``'s verdict
over the whole campaign (no lead lost, no call the world received beyond the
attempts recorded for its number, no number dialed twice at once), every lead
dialed exactly once over all nodes (:func:`dials_per_lead`), and the abandon-rate
counts each node's runners added to their own minute buckets equal what its
attempts say happened (:func:`counts_by_node` against :func:`truth_by_node`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from lab.campaign import Kit
from lab.faults import FaultResult, Verdict
from lab.sandbox import fscli, process
from lab.sandbox.layout import nodes
from lab.standby import StandbyRun
from settings import Settings
from store import models as m
from store.enums import AmdVerdict, Outcome, PbxKind

#: The sandbox's nodes a multi-node run dials from, in order (the first makes the campaign).
NODE_KINDS = (PbxKind.ASTERISK, PbxKind.FREESWITCH)


def node_kits(first: Kit, tmp: Path) -> list[Kit]:
    """``first`` (a kit on the Asterisk pbx, on PostgreSQL) and a kit for each other node on its database."""
    return [first, *(first.sibling(tmp / kind.value, kind) for kind in NODE_KINDS[1:])]


@dataclass(frozen=True)
class Counts:
    """Abandon-rate counts of one node: as its runners stored them, or as its attempts say."""

    live_answers: int = 0
    abandons: int = 0
    machines: int = 0


@dataclass(frozen=True)
class NodeFault:
    node: str
    result: FaultResult


class MultiNodeRun:
    """One predictive campaign on every kit's node at once (``kits[0]`` makes it), each node with a standby.

    ``agents``: agents per node (on that node's sandbox phones); ``options`` as ``FaultRun``'s.
    """

    def __init__(self, kits: list[Kit], *, pg_url: str, leads: int, agents: int = 4,
                 **options: object) -> None:
        self.kits = kits
        first = StandbyRun(kits[0], pg_url=pg_url, leads=leads, agents=agents, **options)
        self.nodes = [first, *(StandbyRun(kit, pg_url=pg_url, leads=0, agents=agents, joins=first, **options)
                               for kit in kits[1:])]
        self.campaign_id = first.campaign_id
        self.leads = first.leads
        self.faults: list[NodeFault] = []
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> MultiNodeRun:
        with contextlib.ExitStack() as stack:
            for node in self.nodes:  # the first node's world watcher starts before any runner
                stack.enter_context(node)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def agent_ids(self) -> list[int]:
        return [i for kit in self.kits for i in kit.agent_ids]

    def wait_dialing(self, in_flight: int = 1) -> None:
        """Until every node has ``in_flight`` calls up (they dial the campaign at the same time)."""
        for node in self.nodes:
            node.wait_dialing(in_flight)

    def inject(self, node: int, name: str) -> NodeFault:
        """A ``lab.standby`` fault (``kill9_active`` ...) on the ``node``-th node while all of them dial."""
        fault = NodeFault(self.kits[node].node_name, self.nodes[node].inject(name))
        self.faults.append(fault)
        return fault

    def wait_all_dialed(self, timeout: float = 240.0) -> None:
        """Until every lead was dialed and every call ended (the nodes shared the whole list)."""
        self.kits[0].wait_for("every lead dialed and ended", self.kits[0].finished(self.campaign_id),
                              self.nodes[0].runner, timeout)

    def finish(self, timeout: float = 120.0) -> Verdict:
        """Drain the campaign on every node, stop every runner cleanly, judge the whole campaign."""
        self.nodes[0].drain(timeout, self.agent_ids)
        for node in self.nodes:
            node.stop_runners()
        verdict = self.nodes[0].verdict()  # every attempt of the campaign; its watcher saw every call
        return dataclasses.replace(verdict, results=[f.result for f in self.faults])

    def failover_s(self) -> list[float]:
        return [s for node in self.nodes for s in node.failover_s()]

    def runner_pids(self) -> dict[str, int]:
        """``<node>/<active|standby>`` -> pid of each runner alive now."""
        out = {}
        for kit, node in zip(self.kits, self.nodes, strict=True):
            for runner in node.runners:
                if runner.alive() and runner.proc is not None:
                    role = "active" if runner is node.runner else "standby"
                    out[f"{kit.node_name}/{role}"] = runner.proc.pid
        return out

    # --- what must hold ---

    def attempts_by_node(self) -> dict[str, int]:
        names = {kit.node_id: kit.node_name for kit in self.kits}
        dialed = Counter(a.node_id for a in self.kits[0].attempts(self.campaign_id))
        return {names[node]: n for node, n in dialed.items() if node is not None}


def dials_per_lead(kit: Kit, campaign_id: int) -> Counter[int]:
    """lead id -> calls that reached the network for it (node refusals are not dials), every lead listed."""
    with kit.sessions() as s:
        lead_ids = s.scalars(select(m.Lead.id).where(m.Lead.campaign_id == campaign_id)).all()
    dials = Counter({lead_id: 0 for lead_id in lead_ids})
    dials.update(a.lead_id for a in kit.attempts(campaign_id) if a.outcome is not Outcome.REFUSED)
    return dials


def counts_by_node(kit: Kit, campaign_id: int) -> dict[int, Counts]:
    """node id -> the campaign's abandon-rate counts its runners stored, summed over its minute buckets."""
    b = m.AbandonBucket
    with kit.sessions() as s:
        rows = s.execute(select(b.node_id, *(func.sum(c) for c in (b.live_answers, b.abandons, b.machines)))
                         .where(b.campaign_id == campaign_id).group_by(b.node_id)).all()
    return {node: Counts(int(live), int(abandons), int(machines)) for node, live, abandons, machines in rows}


def truth_by_node(kit: Kit, campaign_id: int) -> dict[int, Counts]:
    """node id -> the counts the campaign's attempts on it imply: a live answer for each call a person
    answered (a human or not-sure verdict; or bridged or abandoned, which only a call taken for live
    can be: a machine heard after that, FreeSWITCH's beep, leaves the live answer counted), an abandon
    for each abandoned call, a machine for each machine verdict."""
    live: Counter[int] = Counter()
    abandons: Counter[int] = Counter()
    machines: Counter[int] = Counter()
    for a in kit.attempts(campaign_id):
        assert a.node_id is not None
        live[a.node_id] += (a.amd_verdict in (AmdVerdict.HUMAN, AmdVerdict.NOTSURE) or a.abandoned
                            or a.bridged_at is not None)
        abandons[a.node_id] += a.abandoned
        machines[a.node_id] += a.amd_verdict is AmdVerdict.MACHINE
    nodes_seen = {*live, *abandons, *machines}
    return {node: Counts(live[node], abandons[node], machines[node]) for node in nodes_seen}


def shared_minutes(kit: Kit, campaign_id: int) -> int:
    """Minute buckets of the campaign that more than one node wrote (the nodes counted at the same time)."""
    b = m.AbandonBucket
    with kit.sessions() as s:
        return len(s.execute(select(b.start).where(b.campaign_id == campaign_id).group_by(b.start)
                             .having(func.count(b.node_id) > 1)).all())


# --- what the nodes cost the 2 cores ---


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of every core so far (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used over a window by the sandbox's PBX processes (the Asterisk pbx and world instances, the
    FreeSWITCH node), by ``processes`` of ours (name -> pid: the runners), and by the whole machine
    (others' work included: the cores are shared), each as % of one core; the machine's capacity is
    100 % per core. A process that exits inside the window counts for what it used until its last sample."""

    def __init__(self, settings: Settings, processes: dict[str, int]) -> None:
        pids = {name: process.pid(node) for name, node in nodes(settings).items()}
        pids["freeswitch"] = fscli.pid(settings)
        self.pids = {**{name: pid for name, pid in pids.items() if pid is not None}, **processes}
        self._start: dict[str, float] = {}
        self._machine = (0.0, 0.0)
        self._began = 0.0
        self.percent: dict[str, float] = {}

    def __enter__(self) -> CpuMeter:
        self._start = {name: _proc_cpu_s(pid) for name, pid in self.pids.items()}
        self._machine = _machine_cpu()
        self._began = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = max(1e-9, time.monotonic() - self._began)
        busy, total = _machine_cpu()
        cores = os.cpu_count() or 1
        self.percent = {name: 100 * (_proc_cpu_s(pid) - self._start[name]) / wall
                        for name, pid in self.pids.items()}
        self.percent["machine"] = 100 * cores * (busy - self._machine[0]) / max(1.0, total - self._machine[1])
        self.percent["machine_capacity"] = 100.0 * cores

    def summary(self) -> str:
        return " ".join(f"{name}={value:.0f}%" for name, value in self.percent.items())
