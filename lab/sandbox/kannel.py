"""The sandbox's SMS gateway: Kannel's bearerbox and smsbox, with Kannel's ``fakesmsc`` as the operator.

``switchboard pbx sandbox up --kind sms`` (or ``all``) renders ``kannel.conf``
with :mod:`provisioning.kannel` (``sms_smsc = "fake"``) under
``<sandbox_state>/kannel`` and starts three processes, each with a pid file
there: bearerbox, smsbox (both daemonize themselves and write their own pid
file) and ``fakesmsc`` connected to bearerbox's fake SMSC, which acknowledges
every message and writes each one it receives as a line to ``fakesmsc.log``,
the ground truth a test or the benchmark counts (duplicates, losses).

A pid file is trusted only when ``/proc/PID`` runs that program with our config
(or our port, for fakesmsc): nothing else is ever signalled.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, replace
from pathlib import Path

import click

from lab.sandbox import ports, process
from lab.sandbox.layout import state_dir
from provisioning import kannel
from settings import Settings

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"  # Debian package kannel-extras
BOXES = ("bearerbox", "smsbox", "fakesmsc")
START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Gateway:
    settings: Settings  # with sms_smsc "fake"
    files: kannel.KannelFiles

    def pidfile(self, box: str) -> Path:
        return self.files.directory / f"{box}.pid"

    @property
    def received_log(self) -> Path:
        """What fakesmsc received, one ``Got message N: <from to type ...>`` line per part."""
        return self.files.directory / "fakesmsc.log"


def gateway(settings: Settings) -> Gateway:
    """The sandbox's gateway for ``settings`` (Kannel's fake SMSC instead of any SMPP account)."""
    return Gateway(replace(settings, sms_smsc="fake"), kannel.KannelFiles(state_dir(settings) / "kannel"))


def bindings(settings: Settings, box: str) -> list[ports.Binding]:
    def tcp(port: int, what: str) -> ports.Binding:
        return ports.Binding("tcp", "127.0.0.1", port, f"Kannel {what}")

    if box == "bearerbox":
        return [tcp(settings.kannel_admin_port, "admin (setting kannel_admin_port)"),
                tcp(settings.kannel_smsbox_port, "smsbox port (setting kannel_smsbox_port)"),
                tcp(settings.kannel_fake_smsc_port, "fake SMSC (setting kannel_fake_smsc_port)"),
                tcp(settings.kannel_mo_smsc_port, "replies SMSC (setting kannel_mo_smsc_port)")]
    if box == "smsbox":
        return [tcp(settings.kannel_sendsms_port, "sendsms (setting kannel_sendsms_port)")]
    return []


def _argv(gw: Gateway, box: str) -> list[str]:
    if box == "fakesmsc":
        # -m 0: send nothing, only receive (and acknowledge) what bearerbox routes to the operator.
        return [FAKESMSC, "-H", "127.0.0.1", "-r", str(gw.settings.kannel_fake_smsc_port), "-m", "0",
                "0 0 text unused"]
    binary = BEARERBOX if box == "bearerbox" else SMSBOX
    return [binary, "-v", "1", "--daemonize", "--pid-file", str(gw.pidfile(box)), str(gw.files.conf)]


def _is_ours(gw: Gateway, box: str, value: int) -> bool:
    try:
        argv = Path(f"/proc/{value}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{value}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    wanted = [a.encode() for a in _argv(gw, box)]
    return state not in ("Z", "X") and argv[: len(wanted)] == wanted


def pid(gw: Gateway, box: str) -> int | None:
    """The running box's pid from its pid file, or None (a stale file is removed)."""
    try:
        value = int(gw.pidfile(box).read_text().strip())
    except (OSError, ValueError):
        return None
    if _is_ours(gw, box, value):
        return value
    gw.pidfile(box).unlink(missing_ok=True)
    return None


def _wait_listening(gw: Gateway, box: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not all(not ports.is_free(b) for b in bindings(gw.settings, box)) or pid(gw, box) is None:
        if time.monotonic() > deadline:
            log = gw.files.log(box)
            tail = log.read_text(errors="replace").splitlines()[-8:] if log.exists() else ["(no log)"]
            raise click.ClickException(f"{box} did not come up; end of its log:\n" + "\n".join(tail))
        time.sleep(0.05)


def start_box(gw: Gateway, box: str) -> int:
    """Start one box if it is not running; returns its pid."""
    running = pid(gw, box)
    if running is not None:
        return running
    ports.require_free(bindings(gw.settings, box))
    if box == "fakesmsc":
        # Through a shell that exits at once: fakesmsc is adopted by init, never a zombie of the caller.
        log = shlex.quote(str(gw.received_log))
        command = f"{shlex.join(_argv(gw, box))} >>{log} 2>&1 </dev/null & echo $!"
        started = subprocess.run(["sh", "-c", command], check=True, start_new_session=True,
                                 capture_output=True, text=True)
        value = int(started.stdout.strip())
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _is_ours(gw, box, value) and time.monotonic() < deadline:  # until it has exec'd
            time.sleep(0.01)
        gw.pidfile(box).write_text(f"{value}\n")
    else:
        subprocess.run(_argv(gw, box), check=True, stdin=subprocess.DEVNULL, capture_output=True)
    _wait_listening(gw, box)
    return pid(gw, box) or 0


def stop_box(gw: Gateway, box: str, sig: int = signal.SIGTERM) -> int | None:
    """Stop one box (``sig``: SIGKILL to crash it); returns the pid it had."""
    value = pid(gw, box)
    if value is None:
        return None
    started = process.start_time(value)
    os.kill(value, sig)
    deadline = time.monotonic() + process.STOP_TIMEOUT_S
    while process.threads_running(value, started):
        if time.monotonic() > deadline:
            os.kill(value, signal.SIGKILL)
            deadline = time.monotonic() + process.STOP_TIMEOUT_S
        time.sleep(0.05)
    gw.pidfile(box).unlink(missing_ok=True)
    ports.wait_free(bindings(gw.settings, box), process.STOP_TIMEOUT_S)
    return value


def up(settings: Settings) -> Gateway:
    """Render the configuration and start whatever box is not running (bearerbox first).

    Boxes running with another configuration (another instance's ``sms_secret`` or web port, the same
    sandbox) are restarted with this one: else every message this box's sender posts is refused
    (``403 Authorization``) and its delivery reports go elsewhere."""
    gw = gateway(settings)
    if pid(gw, "bearerbox") is not None and gw.files.conf.exists() \
            and gw.files.conf.read_text() != kannel.render(gw.settings, gw.files):
        down(settings)
    if pid(gw, "bearerbox") is None:
        kannel.write(gw.settings, gw.files.directory)
    for box in BOXES:
        start_box(gw, box)
    return gw


def down(settings: Settings) -> list[str]:
    gw = gateway(settings)
    lines = []
    for box in reversed(BOXES):
        stopped = stop_box(gw, box)
        lines.append(f"{box}: stopped (pid {stopped})" if stopped else f"{box}: was not running")
    return lines


def status_lines(settings: Settings) -> list[str]:
    gw = gateway(settings)
    lines = []
    for box in BOXES:
        value = pid(gw, box)
        lines.append(f"kannel {box}: running (pid {value})" if value else f"kannel {box}: stopped")
    return lines


def inject_reply(settings: Settings, sender: str, text: str) -> None:
    """A subscriber's reply (MO) from ``sender``, through the gateway's second fake SMSC (UCS-2 text).

    fakesmsc stays connected after its last message: it is stopped once it says it sent it.
    """
    data = urllib.parse.quote_from_bytes(text.encode("utf-16-be"))
    argv = [FAKESMSC, "-H", "127.0.0.1", "-r", str(settings.kannel_mo_smsc_port), "-i", "0.01", "-m", "1",
            f"{sender} {settings.sms_sender_id} ucs2 {data}"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "sent message 1" in line:
                return
        raise click.ClickException("fakesmsc exited before sending the reply")
    finally:
        proc.kill()
        proc.wait(process.STOP_TIMEOUT_S)
