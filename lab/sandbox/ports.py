"""Check that the sandbox's loopback ports are free before starting anything.

A taken port is reported with its owner when ``ss`` can tell, and never
"fixed" by killing anything: the process may not be ours.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

import click

from settings import Settings


@dataclass(frozen=True)
class Binding:
    proto: str  # "tcp" or "udp"
    host: str
    port: int
    purpose: str  # e.g. "pbx AMI (ami_port)"

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.proto}"


def bindings(settings: Settings, instance: str) -> list[Binding]:
    if instance == "pbx":
        return [
            Binding("tcp", "127.0.0.1", settings.ami_port, "pbx AMI (setting ami_port)"),
            Binding("udp", settings.pbx_address, settings.sip_port,
                    "pbx SIP (settings pbx_address, sip_port)"),
        ]
    return [
        Binding("tcp", "127.0.0.1", settings.world_ami_port, "world AMI (setting world_ami_port)"),
        Binding("udp", settings.world_address, settings.sip_port,
                "world SIP (settings world_address, sip_port)"),
    ]


def is_free(binding: Binding) -> bool:
    kind = socket.SOCK_STREAM if binding.proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:
            # Same as Asterisk's listener: TIME_WAIT leftovers of our own previous run are no obstacle.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((binding.host, binding.port))
        except OSError:
            return False
    return True


def owner(binding: Binding) -> str:
    """``name (pid N)`` of whoever holds exactly this address and port (or the wildcard address),
    or "" when ``ss`` cannot tell."""
    if shutil.which("ss") is None:
        return ""
    flag = "-t" if binding.proto == "tcp" else "-u"
    out = subprocess.run(["ss", "-H", "-l", "-n", "-p", flag, f"sport = :{binding.port}"],
                         capture_output=True, text=True, check=False).stdout
    return holder(out, binding)


_WILDCARDS = ("0.0.0.0", "*", "[::]")  # noqa: S104 - how `ss` prints a wildcard bind: read, never bound
_SS_LINE = re.compile(r"^\S+\s+\d+\s+\d+\s+(\S+):(\d+)\s+\S+\s*(.*)$")
_SS_USER = re.compile(r'users:\(\("([^"]+)",pid=(\d+)')


def holder(ss_output: str, binding: Binding) -> str:
    """From ``ss -H -l -n -p`` output: who holds ``binding``'s address and port (another address on
    the same port is no obstacle, and naming it would send the reader after the wrong process)."""
    for line in ss_output.splitlines():
        found = _SS_LINE.match(line.strip())
        if not found or int(found.group(2)) != binding.port:
            continue
        address = found.group(1).split("%", 1)[0]
        if address not in (binding.host, *_WILDCARDS):
            continue
        user = _SS_USER.search(found.group(3))
        return f"{user.group(1)} (pid {user.group(2)})" if user else ""
    return ""


def require_free(wanted: list[Binding]) -> None:
    taken = [b for b in wanted if not is_free(b)]
    if not taken:
        return
    lines = []
    for b in taken:
        who = owner(b)
        lines.append(f"  {b} for the {b.purpose} is already in use" + (f" by {who}" if who else ""))
    raise click.ClickException(
        "cannot start the sandbox, port taken:\n" + "\n".join(lines)
        + "\nstop that process or choose other ports/addresses in the settings (nothing was killed)."
    )


def wait_free(wanted: list[Binding], timeout_s: float) -> None:
    """Wait until ``wanted`` can be bound (an instance just stopped may still be closing them); then
    as :func:`require_free`."""
    deadline = time.monotonic() + timeout_s
    while not all(is_free(b) for b in wanted) and time.monotonic() < deadline:
        time.sleep(0.1)
    require_free(wanted)
