"""A node with a standby runner on the sandbox: two real ``switchboard runner`` processes, one lease.

Shared by the live standby tests (``tests/faults/test_standby.py``) and
``bench.scale``. A :class:`StandbyRun` is a :class:`lab.faults.FaultRun` whose
node is set for a standby (``PbxNode.standby``) and which starts a second
runner for it; each runner reaches PostgreSQL through a gate of its own, so one
runner's database link can be cut while the other's flows. Faults, injected
while the campaign dials:

* ``kill9_active``: the runner holding the lease killed with SIGKILL; over when
  the other one took the lease (then the killed one is started again: it stands by);
* ``dbcut_active``: the active runner's database link cut (its gate closed);
  over when the other one took the lease and the cut one said it stopped
  acting (its log); then its link comes back and it stands by;
* ``hang_active``: the active runner frozen with SIGSTOP (its connections stay
  open); over when the other one took the lease, the frozen one was resumed
  (SIGCONT) and said it stopped acting.

``failover_s`` of a fault: from its start to the next call originated or
bridged to an agent by the runner that took over (the fault's length plus
:class:`~lab.faults.FaultResult`'s ``recovery_s``). The verdict is
``FaultRun``'s: no lead lost, no call the world received beyond the attempts
recorded for its number, no two attempts of one number at once.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass

from sqlalchemy import make_url

from lab.campaign import Kit, RunnerProcess
from lab.faults import FaultResult, FaultRun, TcpGate, gated_url
from store import models as m

#: What a runner logs when it lost its lease, stands by, takes the lease (``runner.main``, ``runner.lease``).
LEASE_LOST = "lease lost"
STANDING_BY = "standby: waiting for the lease"
LEASE_TAKEN = "lease taken"


@dataclass(frozen=True)
class Holder:
    runner: int  # index into StandbyRun.runners
    token: int


class StandbyRun(FaultRun):
    """One predictive campaign on a node with two runners (``runners[0]`` starts first and acts)."""

    def __init__(self, kit: Kit, *, pg_url: str, leads: int, **options: object) -> None:
        url = make_url(pg_url)
        self.db_gates = [TcpGate(url.host or "127.0.0.1", url.port or 5432) for _ in range(2)]
        super().__init__(kit, leads=leads, runner_url=gated_url(pg_url, self.db_gates[0]), **options)  # type: ignore[arg-type]
        with kit.sessions.begin() as s:
            node = s.get(m.PbxNode, kit.node_id)
            assert node is not None
            node.standby = True
        second = kit.runner()
        second.argv, second.log = list(self.runner.argv), kit.tmp / "runner-standby.log"
        second.env["SWITCHBOARD_DATABASE_URL"] = gated_url(pg_url, self.db_gates[1])
        self.runners: list[RunnerProcess] = [self.runner, second]

    def __enter__(self) -> StandbyRun:
        for gate in self.db_gates:
            gate.open()
        super().__enter__()
        self.kit.wait_for(
            "the first runner holding the lease", lambda _s: self.holder() is not None, self.runner
        )
        self.runners[1].start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for runner in reversed(self.runners):  # the standby first: the active must not hand over
                if runner.alive():
                    runner.stop()
        finally:
            super().__exit__(*exc)
            for gate in self.db_gates:
                gate.close()

    # --- who acts ---

    def holder(self) -> Holder | None:
        """The runner holding the lease now (by the pid in the lease row), if any of ours."""
        with self.kit.sessions() as s:
            lease = s.get(m.RunnerLease, self.kit.node_id)
        if lease is None or lease.holder.count(":") < 2:
            return None
        pid = int(lease.holder.split(":")[-2])
        for index, runner in enumerate(self.runners):
            if runner.proc is not None and runner.proc.pid == pid and runner.alive():
                return Holder(index, lease.token)
        return None

    def _took_over(self, before: Holder) -> Holder:
        """Wait until the other runner holds the lease, with a newer token."""
        found: list[Holder] = []

        def other_holds(_s: object) -> bool:
            now = self.holder()
            if now is not None and now.runner != before.runner and now.token > before.token:
                found.append(now)
            return bool(found)

        self.kit.wait_for(
            "the standby taking over", other_holds, self.runners[1 - before.runner], self.recovery_timeout_s
        )
        self.runner = self.runners[found[0].runner]  # what FaultRun's waits watch from now on
        return found[0]

    def _active(self) -> Holder:
        holder = self.holder()
        assert holder is not None, "no runner of ours holds the lease"
        return holder

    def standing_by(self, runner: RunnerProcess) -> bool:
        """``runner`` is up and waiting for the lease (its last start's log says so, after any taking)."""
        if not runner.alive():
            return False
        run = runner.log.read_text(errors="replace").rsplit("--- start", 1)[-1]
        return run.rfind(STANDING_BY) > run.rfind(LEASE_TAKEN)

    def inject(self, name: str) -> FaultResult:
        """Each fault begins with the other runner standing by (a restarted one takes seconds to boot on a
        loaded machine: a fault before that would measure the boot, not the takeover)."""
        active = self._active()
        other = self.runners[1 - active.runner]
        self.kit.wait_for(
            "the other runner standing by",
            lambda _s: self.standing_by(other),
            self.runner,
            self.recovery_timeout_s,
        )
        return super().inject(name)

    # --- faults ---

    def _fault_kill9_active(self) -> None:
        before = self._active()
        killed = self.runners[before.runner]
        killed.kill9()
        self._took_over(before)
        killed.start()  # as systemd's Restart= does: it stands by now

    def _fault_dbcut_active(self) -> None:
        before = self._active()
        cut, gate = self.runners[before.runner], self.db_gates[before.runner]
        said = self._lease_lost(cut)
        gate.close()
        try:
            self._took_over(before)
            self._said_lease_lost(cut, said)
        finally:
            gate.open()

    def _fault_hang_active(self) -> None:
        """The active runner frozen (SIGSTOP: a hung process, its connections open); resumed once the
        standby took over, it must notice before acting (its deadline passed) and stand by."""
        before = self._active()
        hung = self.runners[before.runner]
        assert hung.proc is not None
        said = self._lease_lost(hung)
        hung.proc.send_signal(signal.SIGSTOP)
        try:
            self._took_over(before)
        finally:
            hung.proc.send_signal(signal.SIGCONT)
        self._said_lease_lost(hung, said)

    @staticmethod
    def _lease_lost(runner: RunnerProcess) -> int:
        return runner.log.read_text(errors="replace").count(LEASE_LOST)

    def _said_lease_lost(self, runner: RunnerProcess, before: int) -> None:
        """Until ``runner`` logged that it lost the lease (once more than ``before``) and stopped acting."""
        deadline = time.monotonic() + self.recovery_timeout_s
        while self._lease_lost(runner) == before:
            assert runner.alive(), f"the runner exited:\n{runner.tail()}"
            assert time.monotonic() < deadline, f"the runner never stopped acting:\n{runner.tail()}"
            time.sleep(0.1)

    # --- the end ---

    def stop_runners(self) -> None:
        """Both runners stop cleanly (``FaultRun.finish`` drained the campaign first): the standby first.
        The other way round, the standby takes the lease the active hands on and is stopped while it
        starts acting (before its SIGTERM handler is in place it dies of the signal: exit -15)."""
        standby = self.runners[1 - self.runners.index(self.runner)]
        rc = standby.stop()
        if rc != 0:
            raise AssertionError(f"the standby exited {rc}:\n{standby.tail()}")
        super().stop_runners()

    def failover_s(self) -> list[float]:
        """Per standby fault: from its start to the first call the new holder dialed or bridged."""
        return [r.duration_s + r.recovery_s for r in self.results if r.recovery_s is not None]


STANDBY_FAULTS = ("kill9_active", "dbcut_active", "hang_active")
