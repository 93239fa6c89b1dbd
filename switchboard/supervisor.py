"""Keep one box's long-running processes up: start each child, restart one that dies, stop all on request.

``switchboard run`` uses it for the runner, the scheduler and the web. A child
that exits while we are not stopping is started again after a backoff that
grows while it keeps dying and starts over once it has stayed up
``stable_s`` seconds; every exit is logged with its cause (status or signal)
and the last line of the child's log. Stopping sends SIGTERM to every child
and SIGKILL to those still alive after ``grace_s``.

No thread and no polling: the loop sleeps in ``select`` on one pidfd per child
(readable when that child exits) and on a self-pipe that :meth:`request_stop`
writes to, which is safe from a signal handler (no lock is taken). In
production the same job is done by systemd (``deploy/systemd``) or by the
container runtime's restart policy; this is the one-box equivalent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.backoff import Backoff

log = logging.getLogger("switchboard.supervisor")
#: First restart after about a second; a child that keeps dying is retried every 15-30 s.
RESTART_BACKOFF = Backoff(initial=1.0, maximum=30.0)


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(repr=False)
    log_path: Path


@dataclass(frozen=True)
class ChildStatus:
    pid: int | None
    restarts: int


@dataclass
class _Child:
    spec: ChildSpec
    failures: int = 0  # exits in a row, each after less than ``stable_s`` up
    proc: subprocess.Popen[bytes] | None = None
    pidfd: int | None = None
    started_at: float = 0.0
    restart_at: float = 0.0
    restarts: int = 0


def exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


def last_line(path: Path, limit: int = 4096) -> str:
    """The child's last log line (why it died, most of the time); "" when there is none."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - limit))
            lines = fh.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


class Supervisor:
    def __init__(self, specs: Iterable[ChildSpec], *, stable_s: float = 60.0, grace_s: float = 10.0,
                 backoff: Backoff = RESTART_BACKOFF) -> None:
        self.stable_s, self.grace_s, self.backoff = stable_s, grace_s, backoff
        self._rng = random.Random()  # noqa: S311 - restart jitter, not a secret
        self._children = [_Child(spec) for spec in specs]
        if len({c.spec.name for c in self._children}) != len(self._children):
            raise ValueError("child names must be unique")
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
        self._stopping = False
        self._changed = threading.Condition()

    # --- control, from any thread or a signal handler ---

    def request_stop(self, *_: object) -> None:
        """Ask :meth:`run` to stop every child and return (usable as a signal handler)."""
        self._stopping = True
        if self._wake_w >= 0:  # not yet closed by the end of run()
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_w, b"\0")

    def status(self) -> dict[str, ChildStatus]:
        """Each child's pid (None while it waits to be restarted) and how often it was restarted."""
        with self._changed:
            return self._status()

    def wait_for(self, predicate: Callable[[dict[str, ChildStatus]], bool], timeout: float) -> bool:
        """Wait until ``predicate(status())`` holds (callers and tests watch restarts with it)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self._status()), timeout)

    def _status(self) -> dict[str, ChildStatus]:
        return {c.spec.name: ChildStatus(c.proc.pid if c.proc is not None and c.proc.returncode is None
                                         else None, c.restarts) for c in self._children}

    # --- the loop ---

    def run(self) -> None:
        """Start the children and keep them up until :meth:`request_stop`; then stop them all."""
        try:
            for child in self._children:
                self._start(child)
            while not self._stopping:
                self._wait()
                now = time.monotonic()
                for child in self._children:
                    if self._stopping:
                        break
                    if child.proc is not None and child.proc.poll() is not None:
                        self._exited(child, child.proc, now)
                    if child.proc is None and child.restart_at <= now:
                        self._start(child)
        finally:
            self._stop_all()
            fds, self._wake_r, self._wake_w = (self._wake_r, self._wake_w), -1, -1
            for fd in fds:
                os.close(fd)

    def _wait(self) -> None:
        fds = [self._wake_r, *(c.pidfd for c in self._children if c.pidfd is not None)]
        pending = [c.restart_at for c in self._children if c.proc is None]
        timeout = max(0.0, min(pending) - time.monotonic()) if pending else None
        with contextlib.suppress(InterruptedError):
            select.select(fds, [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 512)

    def _start(self, child: _Child) -> None:
        spec = child.spec
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(spec.log_path, "ab") as out:
                # No shell; the argv is the caller's own child (``switchboard run``: our entry points).
                proc = subprocess.Popen(spec.argv, env=dict(spec.env), stdout=out,  # noqa: S603
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as exc:  # no such program, no memory to fork ...: try again later
            delay = self.backoff.delay(child.failures, self._rng)
            child.failures += 1
            child.restart_at = time.monotonic() + delay
            log.error("%s could not be started (%s); next try in %.1f s", spec.name, exc, delay)
            return
        with self._changed:
            child.proc, child.pidfd, child.started_at = proc, os.pidfd_open(proc.pid), time.monotonic()
            self._changed.notify_all()
        verb = "restarted" if child.restarts else "started"
        log.info("%s %s (pid %s), log: %s", spec.name, verb, proc.pid, spec.log_path)

    def _exited(self, child: _Child, proc: subprocess.Popen[bytes], now: float) -> None:
        returncode, uptime = proc.returncode, now - child.started_at
        if uptime >= self.stable_s:
            child.failures = 0
        delay = self.backoff.delay(child.failures, self._rng)
        child.failures += 1
        tail = last_line(child.spec.log_path)
        log.warning("%s %s after %.1f s; restart %d in %.1f s%s", child.spec.name, exit_reason(returncode),
                    uptime, child.restarts + 1, delay, f" (its last log line: {tail})" if tail else "")
        with self._changed:
            if child.pidfd is not None:
                os.close(child.pidfd)
            child.proc, child.pidfd = None, None
            child.restart_at, child.restarts = now + delay, child.restarts + 1
            self._changed.notify_all()

    def _stop_all(self) -> None:
        alive = [(c, c.proc) for c in self._children if c.proc is not None and c.proc.poll() is None]
        for _, proc in alive:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for child, proc in alive:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s of SIGTERM: killed", child.spec.name, self.grace_s)
                proc.kill()
                proc.wait()
        with self._changed:
            for child in self._children:
                if child.pidfd is not None:
                    os.close(child.pidfd)
                child.pidfd = None
            self._changed.notify_all()
        for child, proc in alive:
            log.info("%s stopped (%s)", child.spec.name, exit_reason(proc.returncode))
