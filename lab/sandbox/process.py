"""Start, stop and talk to one sandbox Asterisk instance.

Asterisk daemonizes itself (``chroot ROOT asterisk -C CONF``, no ``-f``), so
the started process is never a child of the caller: a long-lived caller such
as a pytest session does not collect zombies that would look alive. Our pid
file is trusted only when ``/proc/PID`` is that very Asterisk: same root and
``-C`` path on its command line. Nothing else is ever signalled.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from pathlib import Path

import click

from lab.sandbox.layout import Node

BOOT_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
CLI_TIMEOUT_S = 30.0
POLL_S = 0.1


def _root_of(node: Node, pid: int) -> Path | None:
    """The root ``pid`` runs in if it is this instance's Asterisk, else None.

    Any ``root-*`` of our cache counts: after a recipe change the instance may
    still run from the previous root, and it is still ours to stop.
    """
    proc = Path(f"/proc/{pid}")
    try:
        argv = (proc / "cmdline").read_bytes().split(b"\0")
        stat = (proc / "stat").read_text()
        root = Path(os.readlink(proc / "root"))
    except OSError:
        return None
    if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):  # exited, not yet reaped
        return None
    conf = str(node.conf).encode()
    same_conf = any(a == b"-C" and b == conf for a, b in itertools.pairwise(argv))
    cache = node.root.resolve().parent
    ours = same_conf and root.parent == cache and root.name.startswith("root-")
    return root if ours else None


def _is_ours(node: Node, pid: int) -> bool:
    return _root_of(node, pid) is not None


def runs_current_root(node: Node, pid: int) -> bool:
    return _root_of(node, pid) == node.root.resolve()


def pid(node: Node) -> int | None:
    """The pid of the running instance from our pid file, or None (stale files are removed)."""
    try:
        value = int(node.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    if _is_ours(node, value):
        return value
    node.pidfile.unlink(missing_ok=True)
    return None


def _log_tail(node: Node, lines: int = 12) -> str:
    log = node.host_base / "log" / "messages.log"
    try:
        return "".join(log.read_text(errors="replace").splitlines(keepends=True)[-lines:])
    except OSError:
        return "(no log yet)"


def start(node: Node) -> int:
    """Start the instance and wait until Asterisk is fully booted; returns its pid."""
    run_dir = node.host_base / "run"
    for stale in run_dir.glob("*"):  # a crashed run leaves its pid file and control socket
        stale.unlink()
    proc = subprocess.run(node.command(), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=CLI_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise click.ClickException(f"{node.name}: asterisk failed to start (exit {proc.returncode}):\n"
                                   f"{proc.stderr or proc.stdout}")
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    asterisk_pid = run_dir / "asterisk.pid"
    while True:
        try:
            value = int(asterisk_pid.read_text().strip())
            if _is_ours(node, value):
                break
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise click.ClickException(f"{node.name}: asterisk did not come up; end of its log:\n"
                                       f"{_log_tail(node)}")
        time.sleep(POLL_S)
    node.state_dir.mkdir(parents=True, exist_ok=True)
    tmp = node.pidfile.with_suffix(".tmp")
    tmp.write_text(f"{value}\n")
    os.replace(tmp, node.pidfile)
    _wait_booted(node, deadline)
    return value


def _wait_booted(node: Node, deadline: float) -> None:
    """``core waitfullybooted`` over the control socket, retried until the socket exists."""
    while True:
        done = subprocess.run(node.command("-rx", "core waitfullybooted"), capture_output=True, text=True,
                              timeout=BOOT_TIMEOUT_S, check=False)
        if done.returncode == 0 and "fully booted" in done.stdout:
            return
        if pid(node) is None:
            raise click.ClickException(f"{node.name}: asterisk exited while booting; end of its log:\n"
                                       f"{_log_tail(node)}")
        if time.monotonic() > deadline:
            raise click.ClickException(f"{node.name}: asterisk did not finish booting; end of its log:\n"
                                       f"{_log_tail(node)}")
        time.sleep(POLL_S)


def stop(node: Node) -> int | None:
    """Stop the instance if it runs (TERM, then KILL after a grace period); returns the stopped pid.

    Returns only once every thread of it has exited, which is when its sockets
    are closed: a multi-threaded process whose main thread is done already
    reads as a zombie with an empty command line while its other threads still
    hold its SIP and AMI ports, and starting again then finds them taken.
    """
    value = pid(node)
    if value is None:
        return None
    started = start_time(value)
    os.kill(value, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    killed = False
    while threads_running(value, started):
        if time.monotonic() > deadline:
            if killed:
                raise click.ClickException(f"{node.name}: pid {value} still running {STOP_TIMEOUT_S:.0f} s "
                                           "after SIGKILL")
            os.kill(value, signal.SIGKILL)  # the same process: pid and start time checked
            killed, deadline = True, time.monotonic() + STOP_TIMEOUT_S
        time.sleep(POLL_S)
    node.pidfile.unlink(missing_ok=True)
    return value


def _stat_fields(path: Path) -> list[str]:
    """The fields of a ``/proc/.../stat`` file after the command name (state first)."""
    return path.read_text().rsplit(")", 1)[-1].split()


def start_time(pid: int) -> str:
    """The process's start time (clock ticks since boot): with the pid, it names one process."""
    try:
        return _stat_fields(Path(f"/proc/{pid}/stat"))[19]
    except (OSError, IndexError):
        return ""


def threads_running(pid: int, started: str) -> bool:
    """Whether any thread of the process ``pid`` started at ``started`` has not exited yet."""
    task = Path(f"/proc/{pid}/task")
    try:
        tids = os.listdir(task)
    except OSError:
        return False
    if start_time(pid) != started:  # gone, and the pid already reused
        return False
    for tid in tids:
        try:
            if _stat_fields(task / tid / "stat")[0] not in ("Z", "X"):
                return True
        except (OSError, IndexError):
            continue
    return False


def cli(node: Node, command: str) -> str:
    """Run one Asterisk CLI command on the running instance (remote console) and return its output."""
    done = subprocess.run(node.command("-rx", command), capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"{node.name}: CLI {command!r} failed: {done.stderr or done.stdout}")
    return done.stdout
