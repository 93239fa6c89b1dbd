"""``switchboard pbx sandbox up|down|status`` and the same operations for Python callers.

``up`` is idempotent: a running instance is only checked, a stopped one is
(re)configured and started, the root is built only if missing. The state dir
is locked for the duration of each operation so that two concurrent ``up``
calls (a script and a test fixture) do not start an instance twice.
"""

from __future__ import annotations

import fcntl
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click

from lab.sandbox import fscli, fsnode, kannel, ports, process, rootfs
from lab.sandbox.credentials import connection_info, phone_credentials
from lab.sandbox.layout import INSTANCES, Node, nodes, state_dir
from lab.sandbox.render import write_configs
from settings import Settings

REGISTER_TIMEOUT_S = 20.0
REGISTER_KICK_S = 1.0
#: ``--kind``: the Asterisk pair (the default), the FreeSWITCH node (with the world it uses as
#: carrier), the SMS gateway (Kannel and its fake SMSC), or all of them.
KINDS = ("asterisk", "freeswitch", "sms", "all")
#: The FreeSWITCH node's name for ``start_instance`` / ``stop_instance`` / ``restart``.
FREESWITCH = fsnode.NAME


@contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    directory = state_dir(settings)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(directory / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _stop(node: Node, settings: Settings) -> int | None:
    """Stop an instance and wait until the addresses and ports it binds are free again."""
    stopped = process.stop(node)
    if stopped is not None:
        ports.wait_free(ports.bindings(settings, node.name), process.STOP_TIMEOUT_S)
    return stopped


def _start(node: Node, settings: Settings) -> int:
    ports.require_free(ports.bindings(settings, node.name))
    write_configs(node, settings)
    return process.start(node)


def _missing_phones(settings: Settings) -> list[str]:
    """Sandbox phones the pbx holds no contact for (all of them if either instance is down:
    the pbx keeps contacts in its astdb, so they outlive the world's phones)."""
    wanted = [seat.extension for seat in phone_credentials(settings)]
    pbx, world = nodes(settings)["pbx"], nodes(settings)["world"]
    if process.pid(pbx) is None or process.pid(world) is None:
        return wanted
    contacts = process.cli(pbx, "pjsip show contacts")
    found = set(re.findall(r"^\s*Contact:\s+([^/\s]+)/", contacts, re.MULTILINE))
    return [ext for ext in wanted if ext not in found]


def registered_phones(settings: Settings) -> tuple[int, int]:
    """(registered, configured) sandbox phones, as the pbx sees them."""
    return settings.sandbox_phones - len(_missing_phones(settings)), settings.sandbox_phones


def _ensure_phones(settings: Settings) -> None:
    """Wait until the pbx holds a contact for every phone; re-send REGISTER for laggards once.

    The pbx keeps contacts in its astdb across restarts, so this is usually
    immediate; a wiped contact would otherwise wait for the next refresh.
    """
    world = nodes(settings)["world"]
    started = time.monotonic()
    kicked = False
    while missing := _missing_phones(settings):
        waited = time.monotonic() - started
        if waited > REGISTER_TIMEOUT_S:
            click.echo(f"warning: {len(missing)}/{settings.sandbox_phones} agent phones not registered to "
                       "the pbx (has provisioning replaced the sandbox seats? see phone_credentials())",
                       err=True)
            return
        if not kicked and waited > REGISTER_KICK_S:
            for extension in missing:
                process.cli(world, f"pjsip send register {extension}")
            kicked = True
        time.sleep(0.1)


def up(settings: Settings, kind: str = "asterisk") -> None:
    """Build what is missing (once, cached), then start whatever of ``kind`` is not running."""
    rootfs.require_root_user()
    if kind not in KINDS:
        raise click.ClickException(f"unknown sandbox kind {kind!r} (choose from {', '.join(KINDS)})")
    started_at = time.monotonic()
    with _locked(settings):
        if kind in ("asterisk", "all"):
            _up_asterisk(settings, INSTANCES)
        if kind in ("freeswitch", "all"):
            fscli.up(settings, start_world=lambda: _up_asterisk(settings, ("world",)))
        if kind in ("sms", "all"):
            kannel.up(settings)
    for line in _status_lines(settings):
        click.echo(line)
    click.echo(f"sandbox up in {time.monotonic() - started_at:.1f} s")


def _up_asterisk(settings: Settings, instances: tuple[str, ...]) -> None:
    """Start those of ``instances`` that are not running (building the root if needed)."""
    all_nodes = {name: node for name, node in nodes(settings).items() if name in instances}
    pids = {name: process.pid(node) for name, node in all_nodes.items()}
    stopped = [name for name in INSTANCES if name in instances and pids[name] is None]
    # Ports first: a taken port is reported before a minute of debootstrap.
    ports.require_free([b for name in stopped for b in ports.bindings(settings, name)])
    rootfs.ensure_root(settings.sandbox_cache.resolve())
    for name, node in all_nodes.items():  # still running from a root the recipe replaced
        if pids[name] is not None and not process.runs_current_root(node, pids[name]):
            click.echo(f"{name}: restarting on the new root")
            _stop(node, settings)
            stopped.append(name)
    for name in INSTANCES:  # pbx first: the world's phones register to it
        if name in stopped:
            _start(all_nodes[name], settings)
    if stopped and "pbx" in instances:
        _ensure_phones(settings)


def down(settings: Settings, kind: str = "all") -> None:
    """Stop exactly the processes of ``kind`` our pid files name; anything else is left alone."""
    rootfs.require_root_user()
    if kind not in KINDS:
        raise click.ClickException(f"unknown sandbox kind {kind!r} (choose from {', '.join(KINDS)})")
    with _locked(settings):
        if kind in ("sms", "all"):
            for line in kannel.down(settings):
                click.echo(line)
        if kind in ("freeswitch", "all"):
            stopped = fscli.down(settings)
            click.echo(f"freeswitch: stopped (pid {stopped})" if stopped else "freeswitch: was not running")
        if kind not in ("asterisk", "all"):
            return
        for name, node in nodes(settings).items():
            stopped = _stop(node, settings)
            click.echo(f"{name}: stopped (pid {stopped})" if stopped else f"{name}: was not running")


def start_instance(settings: Settings, instance: str) -> int:
    """Start one instance (``pbx``, ``world`` or the ``freeswitch`` node) if it is not running;
    returns its pid."""
    rootfs.require_root_user()
    with _locked(settings):
        if instance == FREESWITCH:
            return fscli.start(settings)
        node = nodes(settings)[instance]
        running = process.pid(node)
        if running is not None:
            return running
        rootfs.ensure_root(settings.sandbox_cache.resolve())
        value = _start(node, settings)
        if process.pid(nodes(settings)["world"]) is not None:
            _ensure_phones(settings)
        return value


def stop_instance(settings: Settings, instance: str) -> int | None:
    """Stop one instance (or the ``freeswitch`` node); returns the pid it had, None if it was not running."""
    rootfs.require_root_user()
    with _locked(settings):
        if instance == FREESWITCH:
            return fscli.down(settings)
        return _stop(nodes(settings)[instance], settings)


def restart(settings: Settings, instance: str) -> int:
    """Stop and start one instance (e.g. the pbx or the ``freeswitch`` node mid-campaign); the phones
    re-register at once."""
    stop_instance(settings, instance)
    return start_instance(settings, instance)


def cli_command(settings: Settings, instance: str, command: str) -> str:
    """Run an Asterisk CLI command on a running instance (``instance``: "pbx" or "world")."""
    return process.cli(nodes(settings)[instance], command)


def _ami_banner(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(64).startswith(b"Asterisk Call Manager/")
    except OSError:
        return False


def _status_lines(settings: Settings) -> list[str]:
    info = connection_info(settings)
    lines = []
    for name, node in nodes(settings).items():
        ami = getattr(info, name)
        value = process.pid(node)
        if value is None:
            lines.append(f"{name}: stopped")
            continue
        reachable = "reachable" if _ami_banner(ami.port) else "NOT reachable"
        address = settings.pbx_address if name == "pbx" else settings.world_address
        lines.append(f"{name}: running (pid {value}), SIP {address}:{settings.sip_port}/udp, "
                     f"AMI {ami.host}:{ami.port} {reachable}")
    registered, wanted = registered_phones(settings)
    lines.append(f"agent phones registered to pbx: {registered}/{wanted}")
    return lines + fscli.status_lines(settings) + kannel.status_lines(settings)


def status(settings: Settings) -> None:
    rootfs.require_root_user()
    for line in _status_lines(settings):
        click.echo(line)
