"""Start, stop and check the sandbox's FreeSWITCH node.

FreeSWITCH runs on the host from its cached private prefix (see
:mod:`~lab.sandbox.fsbuild`), with every directory (config, logs,
databases, recordings, sounds) under ``<state dir>/freeswitch`` given on the
command line, so it never reads the prefix's vanilla configuration (whose
``vars.xml`` does a public STUN lookup). ``-nonat`` keeps it off the network.

``-nc`` makes FreeSWITCH daemonize: the started process is never a child of
the caller. Our pid file is trusted only when ``/proc/PID`` runs a
``freeswitch`` binary of our cache with this node's ``-conf`` directory, so
nothing else is ever signalled.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import click

from esl import oneshot
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.layout import state_dir
from settings import Settings

NAME = "freeswitch"
BOOT_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
POLL_S = 0.2
#: The SIP profile FreeSWITCH serves on ``freeswitch_address`` (seats register to it, the
#: world gateway hangs off it).
PROFILE = "sandbox"
#: The profile's gateway to the world (the carrier): dial ``sofia/gateway/world/<number>``.
GATEWAY = "world"
SUBDIRS = ("conf", "log", "run", "db", "recordings", "sounds", "storage", "cache", "temp", "scripts",
           "certs", "grammar", "htdocs")


@dataclass(frozen=True)
class FsNode:
    prefix: Path  # the installed build
    base: Path  # this node's writable tree
    state_dir: Path  # pid file (next to the Asterisk instances')

    def dir(self, name: str) -> Path:
        return self.base / name

    @property
    def binary(self) -> Path:
        return self.prefix / "bin" / "freeswitch"

    @property
    def pidfile(self) -> Path:
        return self.state_dir / f"{NAME}.pid"

    def command(self) -> list[str]:
        dirs = {f"-{name}": str(self.dir(name)) for name in SUBDIRS if name != "conf"}
        return [str(self.binary), "-nc", "-nonat", "-conf", str(self.dir("conf")),
                "-mod", str(self.prefix / "mod"), *itertools.chain.from_iterable(dirs.items())]


def node(settings: Settings, prefix: Path) -> FsNode:
    state = state_dir(settings)
    return FsNode(prefix=prefix, base=state / NAME, state_dir=state)


def configured(settings: Settings) -> bool:
    """This sandbox (state dir) has a FreeSWITCH node: ``up --kind freeswitch`` ran at least once.

    The world then carries the node's side (carrier endpoint, fsagent phones);
    an Asterisk-only sandbox keeps a world without registrations to a node that
    does not exist.
    """
    return (state_dir(settings) / NAME / "conf").is_dir()


def _is_ours(fs: FsNode, pid: int) -> bool:
    """``pid`` is a FreeSWITCH of our cache (any build) running this node's config dir."""
    proc = Path(f"/proc/{pid}")
    try:
        argv = (proc / "cmdline").read_bytes().split(b"\0")
        exe = Path(os.readlink(proc / "exe"))
        stat = (proc / "stat").read_text()
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
        return False
    conf = str(fs.dir("conf")).encode()
    same_conf = any(a == b"-conf" and b == conf for a, b in itertools.pairwise(argv))
    cache = fs.prefix.resolve().parent
    from_cache = exe.name == "freeswitch" and exe.parent.parent.parent == cache
    return same_conf and from_cache


def pid(fs: FsNode) -> int | None:
    """The running node's pid from our pid file, or None (a stale file is removed)."""
    try:
        value = int(fs.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    if _is_ours(fs, value):
        return value
    fs.pidfile.unlink(missing_ok=True)
    return None


def log_tail(fs: FsNode, lines: int = 15) -> str:
    try:
        text = (fs.dir("log") / "freeswitch.log").read_text(errors="replace")
    except OSError:
        return "(no log yet)"
    return "".join(text.splitlines(keepends=True)[-lines:])


def esl_api(settings: Settings, command: str) -> str:
    """One ``api`` command over the node's event socket (raises ``oneshot.EslUnavailable``)."""
    return oneshot.api("127.0.0.1", settings.esl_port, freeswitch_secrets(settings).esl_password, command)


def profile_running(settings: Settings) -> bool:
    """``sofia status`` lists our profile as RUNNING (raises ``oneshot.EslUnavailable``)."""
    for line in esl_api(settings, "sofia status").splitlines():
        fields = line.split()
        if fields[:2] == [PROFILE, "profile"] and "RUNNING" in fields:
            return True
    return False


def start(fs: FsNode, settings: Settings) -> int:
    """Start FreeSWITCH and wait until ESL answers and the SIP profile runs; returns its pid."""
    # FreeSWITCH writes its pid file into the run dir (some versions: the log dir); a crashed
    # run leaves it behind, and a stale one must not be mistaken for the new process.
    own_pids = [fs.dir("run") / "freeswitch.pid", fs.dir("log") / "freeswitch.pid"]
    for stale in own_pids:
        stale.unlink(missing_ok=True)
    done = subprocess.run(fs.command(), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=BOOT_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"freeswitch failed to start (exit {done.returncode}):\n"
                                   f"{done.stderr or done.stdout}\n{log_tail(fs)}")
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    value = None
    while value is None:
        for own_pid in own_pids:
            try:
                candidate = int(own_pid.read_text().strip())
            except (OSError, ValueError):
                continue
            value = candidate if _is_ours(fs, candidate) else None
        if value is None and time.monotonic() > deadline:
            raise click.ClickException(f"freeswitch did not come up; end of its log:\n{log_tail(fs)}")
        time.sleep(POLL_S)
    tmp = fs.pidfile.with_suffix(".tmp")
    tmp.write_text(f"{value}\n")
    os.replace(tmp, fs.pidfile)
    _wait_ready(fs, settings, deadline)
    return value


def _wait_ready(fs: FsNode, settings: Settings, deadline: float) -> None:
    """ESL authenticates and the SIP profile is RUNNING (then the gateway and seats can work)."""
    while True:
        try:
            if profile_running(settings):
                return
        except oneshot.EslUnavailable:
            pass
        if pid(fs) is None:
            raise click.ClickException(f"freeswitch exited while starting; end of its log:\n{log_tail(fs)}")
        if time.monotonic() > deadline:
            raise click.ClickException(f"freeswitch: ESL or SIP profile not ready; end of its log:\n"
                                       f"{log_tail(fs)}")
        time.sleep(POLL_S)


def stop(fs: FsNode) -> int | None:
    """Stop the node if it runs (TERM, KILL after a grace period); returns the stopped pid."""
    value = pid(fs)
    if value is None:
        return None
    os.kill(value, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _is_ours(fs, value):
        if time.monotonic() > deadline:
            os.kill(value, signal.SIGKILL)
            deadline = time.monotonic() + STOP_TIMEOUT_S
        time.sleep(POLL_S)
    fs.pidfile.unlink(missing_ok=True)
    return value
