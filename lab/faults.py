"""Faults injected into a live predictive campaign on the sandbox, and what must hold after each.

Shared by the fault tests (``tests/faults``) and ``bench.faults``. A
:class:`FaultRun` drives one campaign under a real ``switchboard runner``
process and injects, one after another while it dials:

* ``db``: the database goes away -- PostgreSQL cut through a :class:`TcpGate`
  of our own placed in front of it (the runner is given the gate's port; the
  shared server is never stopped), SQLite blocked by one more connection
  holding its write lock (:func:`hold_sqlite_write_lock`, as a long import does);
* ``ami``: the runner's PBX connection (AMI, or ESL on a FreeSWITCH kit) cut mid-burst (its
  node's port is a gate too);
* ``freeze``: the runner's PBX connection goes silent without closing (the gate swallows what
  either side sends: a half-open link, a hung PBX); the runner (given ``--liveness-s``) must notice
  and connect again;
* ``pbx``: the PBX restarted (the Asterisk pbx instance or the FreeSWITCH node): every call on it dies;
* ``kill9``: the runner killed with SIGKILL and started again;
* ``sigterm``: the runner stopped with SIGTERM (it must exit 0) and started again.

After each fault the campaign must dial again (``recovery_s``: from the end of
the fault to the next call originated or bridged to an agent); at the end, with the campaign
drained: no lead left dialing or claimed (lost), no number dialed twice at once,
no call the world received beyond the attempts recorded for its number
(duplicate originates), every attempt ended (reconciled), and no lead charged for
a call the node refused while its PBX was down or restarting (``refusals`` counts
those, ``charged_refusals`` the leads charged for one: an attempt counted beyond the
attempts that reached the network, or a refusal's cause recorded as a customer outcome).
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import func, make_url, select

from lab.campaign import AmiWatcher, Kit, RunnerProcess, mixed_leads, overlapping, world_dials
from lab.sandbox import cli as sandbox_cli
from lab.sandbox.world import Outcome as World
from orchestrator.leads.outcomes import NODE_CAUSES
from settings import Settings
from store import models as m
from store.enums import AgentState, CampaignMode, CampaignState, LeadStatus, Outcome, PbxKind
from store.types import utcnow


class TcpGate:
    """A loopback TCP forwarder that can be closed (every connection cut, new ones refused) and reopened.

    Closed, it stops listening, so a client sees "connection refused" at once,
    as when a database server is down; open again, it listens on the same port.
    Frozen (:meth:`freeze`), the connections open at that moment stay open but
    carry nothing more, either way (a half-open TCP link, a hung server); new
    connections flow.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        # The port stays bound (not listening: connections are refused, as when closed) until the first
        # open(), so nothing else on the machine can take it in between.
        self._reserved: socket.socket | None = self._bound(0)
        self.port = self._reserved.getsockname()[1]
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._flows: list[threading.Event] = []  # one per connection: cleared, it carries nothing
        self.accepted = 0  # connections forwarded so far
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.cuts = 0

    @staticmethod
    def _bound(port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        return sock

    def open(self) -> None:
        listener, self._reserved = self._reserved or self._bound(self.port), None
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Refuse new connections and abort the open ones (both sides)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            # shutdown() first: a pump thread blocked in recv() on the socket holds its file open, so
            # close() alone cuts nothing -- the peer kept a live-looking connection that no longer
            # carried anything (an ESL client then waited on events that never came).
            for action in (lambda c=conn: c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                        b"\x01\x00\x00\x00\x00\x00\x00\x00"),
                           lambda c=conn: c.shutdown(socket.SHUT_RDWR), lambda c=conn: c.close()):
                with contextlib.suppress(OSError):
                    action()
        self.cuts += 1

    def freeze(self) -> None:
        """Stop forwarding on every open connection without closing it; new connections flow."""
        with self._lock:
            flows, self._flows = self._flows, []
        for flow in flows:
            flow.clear()

    def __enter__(self) -> TcpGate:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            flow = threading.Event()
            flow.set()
            with self._lock:
                self._conns |= {client, server}
                self._flows.append(flow)
                self.accepted += 1
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b, flow), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, flow: threading.Event) -> None:
        try:
            while data := src.recv(65536):
                if flow.is_set():  # frozen: what arrives is swallowed, the connection stays open
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def gated_url(url: str, gate: TcpGate) -> str:
    """``url`` (a PostgreSQL URL) pointing at the gate instead of the server."""
    return make_url(url).set(host="127.0.0.1", port=gate.port).render_as_string(hide_password=False)


@contextlib.contextmanager
def hold_sqlite_write_lock(url_or_path: str | Path) -> Iterator[None]:
    """Hold the database's write lock (as a long import does) until the block ends; readers go on."""
    path = str(url_or_path)
    if path.startswith("sqlite"):
        path = make_url(path).database or ""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def restart_pbx(settings: Settings, kind: PbxKind = PbxKind.ASTERISK) -> None:
    """Stop and start the sandbox's PBX of ``kind``: the Asterisk pbx instance or the FreeSWITCH node
    (their ports may linger a moment after they exit)."""
    instance = sandbox_cli.FREESWITCH if kind is PbxKind.FREESWITCH else "pbx"
    sandbox_cli.stop_instance(settings, instance)
    deadline = time.monotonic() + 30
    while True:
        try:
            sandbox_cli.start_instance(settings, instance)
            return
        except click.ClickException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


#: Share of each world outcome (humans talk 4-6 s, so the 4 agents turn over quickly).
MIX = {World.HUMAN: 0.4, World.NO_ANSWER: 0.2, World.BUSY: 0.15, World.MACHINE: 0.15, World.UNALLOCATED: 0.1}
FAULTS = ("db", "ami", "freeze", "pbx", "kill9", "sigterm")


@dataclass
class FaultResult:
    name: str
    duration_s: float  # how long the fault lasted
    in_flight: int  # attempts open when it began
    recovery_s: float | None  # fault end -> next attempt originated (None: never dialed again)


@dataclass
class Verdict:
    lost_leads: int
    duplicate_originates: int
    overlapping: int
    unreconciled: int
    attempts: int
    refusals: int = 0
    charged_refusals: int = 0
    results: list[FaultResult] = field(default_factory=list)

    @property
    def stuck(self) -> int:
        return sum(r.recovery_s is None for r in self.results)

    @property
    def max_recovery_s(self) -> float:
        return max((r.recovery_s for r in self.results if r.recovery_s is not None), default=0.0)

    def ok(self) -> bool:
        return not (self.lost_leads or self.duplicate_originates or self.overlapping or self.unreconciled
                    or self.charged_refusals or self.stuck)


class FaultRun:
    """One predictive campaign under a runner whose database (PostgreSQL) and PBX connection go through gates.

    ``runner_url``: the database URL the runner uses (a gated PostgreSQL URL), if not the kit's;
    ``liveness_s``: the runner's ``--liveness-s`` (how soon a frozen PBX link is noticed);
    ``joins``: another node's run on the same database whose campaign this node's agents log in to
    (one campaign dialed from several nodes, ``lab.multinode``) instead of a campaign of its own.
    The waits before and after a fault (calls in flight, dialing again) watch this node's calls.
    """

    def __init__(self, kit: Kit, *, leads: int, agents: int = 4, first_phone: int = 0,
                 db_outage_s: float = 20.0, runner_url: str = "", pg_gate: TcpGate | None = None,
                 recovery_timeout_s: float = 60.0, serial: int = 0, liveness_s: float = 2.0,
                 joins: FaultRun | None = None) -> None:
        self.kit = kit
        self.db_outage_s = db_outage_s
        self.pg_gate = pg_gate
        self.recovery_timeout_s = recovery_timeout_s
        with kit.sessions.begin() as s:  # the runner reaches its PBX (AMI or ESL) through the gate
            node = s.get(m.PbxNode, kit.node_id)
            self.pbx_gate = TcpGate(node.host, node.port)
            node.port = self.pbx_gate.port
        kit.agents(agents, first=first_phone)
        if joins is None:
            counts = {outcome: max(1, round(share * leads)) for outcome, share in MIX.items()}
            self.leads = mixed_leads(counts, first_serial=serial)
            self.campaign_id = kit.campaign("faults", CampaignMode.PREDICTIVE, self.leads, wrap_up_s=1)
        else:
            self.leads, self.campaign_id = joins.leads, joins.campaign_id
            kit.join(self.campaign_id)
        self.runner: RunnerProcess = kit.runner()
        self.runner.argv = [*self.runner.argv, "--liveness-s", str(liveness_s)]
        if runner_url:
            self.runner.env["SWITCHBOARD_DATABASE_URL"] = runner_url
        self.results: list[FaultResult] = []
        self._world: AmiWatcher | None = None

    # --- the run ---

    def __enter__(self) -> FaultRun:
        self.pbx_gate.open()
        self._world = AmiWatcher(self.kit.sandbox.world).__enter__()
        self.runner.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.runner.alive():
                self.runner.stop()
        finally:
            if self._world is not None:
                self._world.__exit__()
            self.pbx_gate.close()

    def wait_dialing(self, in_flight: int = 2, timeout: float = 120.0) -> None:
        """Until at least ``in_flight`` customer calls are up (a burst under way)."""
        self.kit.wait_for(f"{in_flight} calls in flight on {self.kit.node_name}",
                          lambda s: self._open(s, node_only=True) >= in_flight, self.runner, timeout)

    def settle(self, calls: int, timeout: float = 180.0) -> None:
        """Until ``calls`` more attempts ended than when this was called (the campaign running normally)."""
        if calls <= 0:
            return
        with self.kit.sessions() as s:
            target = self._ended(s) + calls
        self.kit.wait_for(f"{calls} more calls ended", lambda s: self._ended(s) >= target, self.runner,
                          timeout)

    def inject(self, name: str) -> FaultResult:
        """Inject one fault (see the module docstring), then wait for the campaign to dial again."""
        self.wait_dialing()
        with self.kit.sessions() as s:
            in_flight = self._open(s, node_only=True)
        began = time.monotonic()
        getattr(self, f"_fault_{name}")()
        ended_at, duration = utcnow(), time.monotonic() - began
        result = FaultResult(name, duration, in_flight, self._recovery(ended_at))
        self.results.append(result)
        return result

    def finish(self, timeout: float = 120.0) -> Verdict:
        """Pause the campaign, let every call end, stop it and the runner; then judge."""
        self.drain(timeout)
        self.stop_runners()
        return self.verdict()

    def drain(self, timeout: float = 120.0, agent_ids: list[int] | None = None) -> None:
        """Pause the campaign, let every call end (on every node), stop it; until ``agent_ids`` (the
        kit's agents unless given: several nodes' agents) are logged out."""
        agent_ids = self.kit.agent_ids if agent_ids is None else agent_ids
        self.drain_calls(timeout)
        with self.kit.sessions.begin() as s:
            s.get(m.Campaign, self.campaign_id).desired_state = CampaignState.STOPPED
        self.kit.wait_for("agents logged out", lambda s: all(
            s.get(m.Agent, i).state is AgentState.LOGGED_OUT for i in agent_ids), self.runner, 30)

    def drain_calls(self, timeout: float = 120.0) -> None:
        """Pause the campaign; until every call of it ended (on every node)."""
        with self.kit.sessions.begin() as s:
            s.get(m.Campaign, self.campaign_id).desired_state = CampaignState.PAUSED
        self.kit.wait_for("every call ended", lambda s: self._open(s) == 0, self.runner, timeout)

    def stop_runners(self) -> None:
        """Stop the runner (SIGTERM), which must exit 0."""
        rc = self.runner.stop()
        if rc != 0:
            raise AssertionError(f"the runner exited {rc}:\n{self.runner.tail()}")

    def verdict(self) -> Verdict:
        assert self._world is not None
        attempts = self.kit.attempts(self.campaign_id)
        with self.kit.sessions() as s:
            lost = s.scalar(select(func.count()).select_from(m.Lead).where(
                m.Lead.campaign_id == self.campaign_id,
                (m.Lead.status == LeadStatus.DIALING) | m.Lead.claimed_by.is_not(None)))
            counted = {lead_id: n for lead_id, n in s.execute(select(m.Lead.id, m.Lead.attempts).where(
                m.Lead.campaign_id == self.campaign_id))}
        recorded = Counter(a.phone for a in attempts)
        dials = world_dials(self._world, set(self.leads))
        duplicates = sum(max(0, n - recorded[phone]) for phone, n in dials.items())
        refused = [a for a in attempts if a.outcome is Outcome.REFUSED]
        placed = Counter(a.lead_id for a in attempts if a.outcome is not Outcome.REFUSED)
        charged = sum(max(0, n - placed[lead_id]) for lead_id, n in counted.items()) + sum(
            a.answered_at is None and a.outcome in (Outcome.FAILED, Outcome.CONGESTION)
            and a.hangup_cause in NODE_CAUSES for a in attempts)
        return Verdict(lost_leads=lost or 0, duplicate_originates=duplicates,
                       overlapping=len(overlapping(attempts)),
                       unreconciled=sum(a.ended_at is None or a.outcome is None for a in attempts),
                       attempts=len(attempts), refusals=len(refused), charged_refusals=charged,
                       results=list(self.results))

    # --- faults ---

    def _fault_db(self) -> None:
        if self.pg_gate is not None:
            self.pg_gate.close()
            try:
                time.sleep(self.db_outage_s)  # the outage itself
            finally:
                self.pg_gate.open()
        else:
            with hold_sqlite_write_lock(self.kit.url):
                time.sleep(self.db_outage_s)  # the outage itself

    def _fault_ami(self) -> None:
        self.pbx_gate.close()
        self.pbx_gate.open()

    def _fault_freeze(self) -> None:
        """The runner's PBX link goes silent without closing (a half-open TCP link, a hung PBX):
        over when the runner has noticed it (its ``liveness_s``) and connected again."""
        starts = self.pbx_gate.accepted
        self.pbx_gate.freeze()
        self.kit.wait_for("the runner connected again", lambda _s: self.pbx_gate.accepted > starts,
                          self.runner, self.recovery_timeout_s)

    def _fault_pbx(self) -> None:
        restart_pbx(self.kit.sandbox.settings, self.kit.kind)

    def _fault_kill9(self) -> None:
        self.runner.kill9()
        self.runner.start()

    def _fault_sigterm(self) -> None:
        rc = self.runner.stop()
        if rc != 0:
            raise AssertionError(f"SIGTERM: the runner exited {rc}:\n{self.runner.tail()}")
        self.runner.start()

    # --- reading the store ---

    def _ended(self, s) -> int:
        return s.scalar(select(func.count()).select_from(m.Attempt).where(
            m.Attempt.campaign_id == self.campaign_id, m.Attempt.ended_at.is_not(None))) or 0

    def _open(self, s, node_only: bool = False) -> int:
        """Calls of the campaign not ended yet (``node_only``: those this run's node dialed)."""
        query = select(func.count()).select_from(m.Attempt).where(
            m.Attempt.campaign_id == self.campaign_id, m.Attempt.ended_at.is_(None))
        if node_only:
            query = query.where(m.Attempt.node_id == self.kit.node_id)
        return s.scalar(query) or 0

    def _recovery(self, since: datetime) -> float | None:
        found: list[datetime] = []

        def dialed(s) -> bool:
            """A call of this node's originated or handed to an agent since the fault ended (which
            comes first depends on the pacing: with every agent busy the dialer rightly waits)."""
            mine = (m.Attempt.campaign_id == self.campaign_id) & (m.Attempt.node_id == self.kit.node_id)
            times = [s.scalar(select(func.min(column)).where(mine, column > since))
                     for column in (m.Attempt.originated_at, m.Attempt.bridged_at)]
            first = min((t for t in times if t is not None), default=None)
            if first is not None:
                found.append(first)
            return first is not None

        try:
            self.kit.wait_for("dialing again", dialed, self.runner, self.recovery_timeout_s)
        except AssertionError:
            if not self.runner.alive():
                raise  # the runner died: that is a failure of its own, not a slow recovery
            return None
        return max(0.0, (found[0] - since).total_seconds())


def table(results: list[FaultResult]) -> str:
    lines = [f"{'fault':<10}{'lasted_s':>10}{'in_flight':>11}{'recovery_s':>12}"]
    for r in results:
        rec = f"{r.recovery_s:.2f}" if r.recovery_s is not None else "STUCK"
        lines.append(f"{r.name:<10}{r.duration_s:>10.1f}{r.in_flight:>11}{rec:>12}")
    return "\n".join(lines)


def run_faults(kit: Kit, faults: tuple[str, ...] = FAULTS, report: Callable[[str], None] = print,
               settle: int = 0, **options: object) -> Verdict:
    """The whole scenario: start, inject ``faults`` in order (after ``settle`` more calls ended
    since the previous one: a longer campaign), drain, judge."""
    with FaultRun(kit, **options) as run:  # type: ignore[arg-type]
        for name in faults:
            run.settle(settle)
            result = run.inject(name)
            report(f"fault {result.name}: lasted {result.duration_s:.1f} s, in flight {result.in_flight}, "
                   f"recovery {result.recovery_s if result.recovery_s is not None else 'STUCK'} s")
        return run.finish()
