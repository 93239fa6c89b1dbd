"""Where each sandbox instance keeps its files, seen from the host and from inside the root.

An instance's writable tree (config, run, log, spool, recordings ...) lives
inside the shared root at the *same absolute path* as the sandbox state dir on
the host (``/var/lib/switchboard/sandbox/pbx`` inside the chroot is
``<root>/var/lib/switchboard/sandbox/pbx`` on the host). Two sandboxes with
different state dirs therefore never share files, and the host-side state dir
keeps only what must survive a root rebuild: pid files and secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from lab.sandbox import rootfs
from settings import Settings

INSTANCES = ("pbx", "world")
#: Files of the pbx's config dir that later code regenerates; the sandbox writes
#: defaults only when they are absent.
SEATS_FILE = "pjsip-seats.conf"
DIALPLAN_FILE = "extensions-switchboard.conf"
#: The SIP transport of both instances. Endpoints that name it (``transport=``) get
#: their RTP bound to the instance's loopback address; seats without it bind RTP
#: to every address, so provisioning's seats name it too (:func:`provisioning_settings`).
TRANSPORT = "transport-udp"


@dataclass(frozen=True)
class Node:
    """One Asterisk instance of the sandbox."""

    name: str
    root: Path
    base: PurePosixPath  # the instance's directory as Asterisk sees it (inside the root)
    state_dir: Path  # host-side: pid file and secrets

    def host(self, inner: PurePosixPath | str) -> Path:
        """Host path of a path inside the root."""
        return self.root / str(inner).lstrip("/")

    @property
    def host_base(self) -> Path:
        return self.host(self.base)

    @property
    def conf(self) -> PurePosixPath:
        return self.base / "etc" / "asterisk.conf"

    @property
    def pidfile(self) -> Path:
        return self.state_dir / f"{self.name}.pid"

    def command(self, *args: str) -> list[str]:
        return [rootfs.CHROOT, str(self.root), rootfs.ASTERISK, "-C", str(self.conf), *args]


def state_dir(settings: Settings) -> Path:
    return settings.sandbox_state.resolve()


def nodes(settings: Settings) -> dict[str, Node]:
    root = rootfs.root_dir(settings.sandbox_cache.resolve())
    state = state_dir(settings)
    return {name: Node(name, root, PurePosixPath(state) / name, state) for name in INSTANCES}


@dataclass(frozen=True)
class SandboxPaths:
    """The pbx's files that other parts of Switchboard read or write.

    ``*_in_pbx`` are the same directories as Asterisk sees them (inside the
    root): give those to MixMonitor or Playback; use the host paths to write
    config files and read recordings.
    """

    root: Path
    pbx_config_dir: Path
    seats_file: Path  # pjsip.conf #includes it; provisioning rewrites it, then reloads res_pjsip
    dialplan_file: Path  # extensions.conf #includes it; dialplans/ re-renders it
    recordings_dir: Path
    recordings_dir_in_pbx: str
    monitor_dir: Path  # where MixMonitor puts a relative file name (the runner's recordings)
    sounds_dir: Path
    sounds_dir_in_pbx: str
    fax_dir: Path  # received faxes (TIFF), and the TIFFs the pbx sends
    fax_dir_in_pbx: str


def paths(settings: Settings) -> SandboxPaths:
    pbx = nodes(settings)["pbx"]
    etc = pbx.host_base / "etc"
    return SandboxPaths(
        root=pbx.root,
        pbx_config_dir=etc,
        seats_file=etc / SEATS_FILE,
        dialplan_file=etc / DIALPLAN_FILE,
        recordings_dir=pbx.host_base / "recordings",
        recordings_dir_in_pbx=str(pbx.base / "recordings"),
        monitor_dir=pbx.host_base / "spool" / "monitor",
        sounds_dir=pbx.host_base / "sounds",
        sounds_dir_in_pbx=str(pbx.base / "sounds"),
        fax_dir=pbx.host_base / "spool" / "fax",
        fax_dir_in_pbx=str(pbx.base / "spool" / "fax"),
    )


def freeswitch_gateways_dir(settings: Settings) -> Path:
    """Where provisioning writes the FreeSWITCH node's trunks (its profile includes ``*.xml`` from here)."""
    return state_dir(settings) / "freeswitch" / "conf" / "switchboard-gateways"


def provisioning_settings(settings: Settings) -> Settings:
    """``settings`` with provisioning pointed at the sandbox: the pbx's seats file and transport, the
    FreeSWITCH node's gateways directory.

    For whatever provisions the sandbox (``switchboard run``'s web, tests); a
    production web keeps its own ``seats_conf_path``, ``pjsip_transport`` and ``freeswitch_gateways_dir``.
    """
    return replace(settings, seats_conf_path=str(paths(settings).seats_file), pjsip_transport=TRANSPORT,
                   freeswitch_gateways_dir=str(freeswitch_gateways_dir(settings)))
