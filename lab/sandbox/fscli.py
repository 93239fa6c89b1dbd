"""The FreeSWITCH node of the sandbox: ``switchboard pbx sandbox up|down|status --kind freeswitch``.

One world for both PBXes: the node's carrier is the Asterisk ``world``
instance (gateway ``world``), and the world's phones ``fsagent001`` ...
register to the node. ``up`` therefore starts the world too when it is not
running, and makes a running world pick up its FreeSWITCH side (rewrite +
reload) when its config changed.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from esl import oneshot
from lab.sandbox import fsbuild, fsnode, fsrender, ports, process
from lab.sandbox.credentials import fs_phone_credentials
from lab.sandbox.fsnode import FsNode
from lab.sandbox.layout import nodes
from lab.sandbox.render import write_configs as write_asterisk_configs
from settings import Settings

REGISTER_TIMEOUT_S = 30.0
REGISTER_KICK_S = 3.0


def vendor_dir(settings: Settings) -> Path:
    return Path(settings.vendor_dir) if settings.vendor_dir else fsbuild.default_vendor_dir()


def bindings(settings: Settings) -> list[ports.Binding]:
    return [
        ports.Binding("tcp", "127.0.0.1", settings.esl_port, "FreeSWITCH ESL (setting esl_port)"),
        ports.Binding("udp", settings.freeswitch_address, settings.sip_port,
                      "FreeSWITCH SIP (settings freeswitch_address, sip_port)"),
    ]


def current(settings: Settings, echo=click.echo) -> FsNode:
    """The node on the current build (building it first if needed)."""
    prefix = fsbuild.ensure_freeswitch(settings.sandbox_cache.resolve(), vendor_dir(settings), echo)
    return fsnode.node(settings, prefix)


def _any_build(settings: Settings) -> FsNode:
    """The node as far as pid files go: stopping never needs (or starts) a build."""
    return fsnode.node(settings, fsbuild.prefix_dir(settings.sandbox_cache.resolve()))


def sync_world(settings: Settings) -> None:
    """A running world gets its FreeSWITCH side (carrier endpoint, fsagent phones) if it lacks it."""
    world = nodes(settings)["world"]
    if process.pid(world) is None:
        return
    changed = write_asterisk_configs(world, settings)
    if "pjsip.conf" in changed:
        process.cli(world, "module reload res_pjsip.so")
    if "extensions.conf" in changed:
        process.cli(world, "dialplan reload")


def sync_node(settings: Settings) -> None:
    """A running node takes this checkout's rewritten ``freeswitch.xml``: routes, address lists and
    its SIP profile's settings (the profile restarts; the phones register again, ``ensure_phones``)."""
    for command in ("reloadxml", "reloadacl", f"sofia profile {fsnode.PROFILE} restart"):
        fsnode.esl_api(settings, command)
    deadline = time.monotonic() + REGISTER_TIMEOUT_S
    while not fsnode.profile_running(settings) and time.monotonic() < deadline:
        time.sleep(0.2)


def missing_phones(settings: Settings) -> list[str]:
    """Sandbox phones with no registration on the node (all of them when it is down)."""
    wanted = [seat.extension for seat in fs_phone_credentials(settings)]
    try:
        return [ext for ext in wanted
                if "error/" in fsnode.esl_api(settings, f"sofia_contact {fsnode.PROFILE}/{ext}@"
                                                        f"{settings.freeswitch_address}")]
    except oneshot.EslUnavailable:
        return wanted


def ensure_phones(settings: Settings) -> None:
    """Wait until every fsagent phone is registered; re-send REGISTER once for laggards.

    FreeSWITCH may answer the first REGISTERs after start-up with 503.
    """
    world = nodes(settings)["world"]
    started, kicked = time.monotonic(), False
    while missing := missing_phones(settings):
        waited = time.monotonic() - started
        if waited > REGISTER_TIMEOUT_S:
            click.echo(f"warning: {len(missing)}/{settings.sandbox_phones} phones not registered to "
                       "FreeSWITCH", err=True)
            return
        if not kicked and waited > REGISTER_KICK_S and process.pid(world) is not None:
            for extension in missing:
                process.cli(world, f"pjsip send register {extension}")
            kicked = True
        time.sleep(0.2)


def up(settings: Settings, start_world) -> None:
    """Build once, then start the node if it is not running; ``start_world`` starts the world if needed."""
    running = pid(settings)
    if running is None:
        ports.require_free(bindings(settings))
    fs = current(settings)
    if running is not None and not _runs_build(fs, running):
        click.echo("freeswitch: restarting on the new build")
        fsnode.stop(fs)
        running = None
    if running is None:
        fsbuild.ensure_packages(fsrender.PROMPT_PACKAGES)
        fsrender.write_configs(fs, settings)  # first: the world's side follows fsnode.configured()
    elif fsrender.write_configs(fs, settings):
        sync_node(settings)
    sync_world(settings)
    start_world()
    if running is None:
        fsnode.start(fs, settings)
    ensure_phones(settings)


def start(settings: Settings) -> int:
    """Start the node alone if it is not running (after ``stop``: a PBX restart mid-campaign) and wait
    for its phones; configuration, build and world stay as ``up`` left them. Returns its pid."""
    running = pid(settings)
    if running is not None:
        return running
    ports.require_free(bindings(settings))
    value = fsnode.start(current(settings), settings)
    ensure_phones(settings)
    return value


def _runs_build(fs: FsNode, value: int) -> bool:
    try:
        return Path(f"/proc/{value}/exe").resolve() == fs.binary.resolve()
    except OSError:
        return False


def pid(settings: Settings) -> int | None:
    return fsnode.pid(_any_build(settings))


def down(settings: Settings) -> int | None:
    return fsnode.stop(_any_build(settings))


def status_lines(settings: Settings) -> list[str]:
    value = pid(settings)
    if value is None:
        return ["freeswitch: stopped"]
    try:
        fsnode.esl_api(settings, "status")
        reachable = "reachable"
    except oneshot.EslUnavailable:
        reachable = "NOT reachable"
    registered = settings.sandbox_phones - len(missing_phones(settings))
    return [f"freeswitch: running (pid {value}), SIP {settings.freeswitch_address}:{settings.sip_port}/udp, "
            f"ESL 127.0.0.1:{settings.esl_port} {reachable}",
            f"phones registered to freeswitch: {registered}/{settings.sandbox_phones}"]
