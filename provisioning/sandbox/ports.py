"""Check that the sandbox's loopback ports are free before starting anything.

A taken port is reported with its owner when ``ss`` can tell, and never
"fixed" by killing anything: the process may not be ours.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from dataclasses import dataclass

import click

from switchboard.config import Settings


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
    """``name (pid N)`` of whoever holds the port, or "" when ``ss`` cannot tell."""
    if shutil.which("ss") is None:
        return ""
    flag = "-t" if binding.proto == "tcp" else "-u"
    out = subprocess.run(["ss", "-H", "-l", "-n", "-p", flag, f"sport = :{binding.port}"],
                         capture_output=True, text=True, check=False).stdout
    found = re.search(r'users:\(\("([^"]+)",pid=(\d+)', out)
    return f"{found.group(1)} (pid {found.group(2)})" if found else ""


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
