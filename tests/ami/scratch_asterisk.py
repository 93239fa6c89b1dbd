"""A throw-away PBX + world pair of Asterisk 22 instances for recording AMI traffic.

Used to (re-)record ``tests/ami/recordings`` and, when the project sandbox is
not available, as the real Asterisk behind the ``sandbox``-marked AMI tests.
It runs with ``chroot`` from the sandbox's cached Debian root (built on first
use like ``switchboard pbx sandbox up`` does; ``SB_ASTERISK_ROOT`` overrides)
on 127.0.0.9 (pbx, AMI 5138) and 127.0.0.10 (world, AMI 5139), under its own
``/run/sbami`` directory, so it never collides with the sandbox instances
(127.0.0.2/3, AMI 5038/5039).

The pbx runs the project's rendered ``sb-*`` routes; the world runs the
sandbox world's dialplan, so it answers by dialed number exactly as the
sandbox's carrier does (:mod:`lab.sandbox.world`: one number scheme)::

    .venv/bin/python -m tests.ami.scratch_asterisk up     # start both, wait until booted
    .venv/bin/python -m tests.ami.scratch_asterisk down   # stop both (by pid file)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dialplans.render import render_asterisk
from lab.sandbox.render import world_dialplan
from lab.sandbox.world import Outcome, world_number

BASE = "/run/sbami"  # inside the chroot
AMI_USER = "switchboard"
AMI_SECRET = "scratch-secret"

#: The far ends the recordings and the live tests dial, in the sandbox world's number scheme.
TALKS_20S = world_number(Outcome.HUMAN, talk_s=20)  # answers, talks, hangs up after 20 s
HELLO_THEN_HANGUP = world_number(Outcome.HUMAN, talk_s=2)  # answers, says hello, hangs up after 2 s
SENDS_DTMF = world_number(Outcome.KEYPAD, talk_s=20)  # answers, presses 1 2 # after 1 s
MACHINE = world_number(Outcome.MACHINE, talk_s=20)  # a voicemail greeting and a beep
BUSY = world_number(Outcome.BUSY)  # Q.850 17
CONGESTION = world_number(Outcome.CONGESTION)  # Q.850 34
NO_ANSWER = world_number(Outcome.NO_ANSWER)  # rings until the caller gives up
EARLY_MEDIA = world_number(Outcome.EARLY_MEDIA)  # 183 with a message, never answers


@dataclass(frozen=True)
class Node:
    name: str
    address: str
    ami_port: int

    @property
    def ami_address(self) -> tuple[str, int]:
        return self.address, self.ami_port


RTP_PORTS = {"pbx": (20000, 24999), "world": (25000, 29999)}
PBX = Node("pbx", "127.0.0.9", 5138)
WORLD = Node("world", "127.0.0.10", 5139)

_MODULES = """[modules]
autoload = yes
noload = chan_iax2.so
noload = pbx_dundi.so
noload = chan_unistim.so
noload = chan_motif.so
noload = res_xmpp.so
noload = chan_console.so
noload = chan_websocket.so
noload = res_websocket_client.so
noload = res_http_websocket.so
noload = res_ari.so
noload = res_prometheus.so
noload = res_pjsip_transport_websocket.so
noload = res_stasis_test.so
noload = cdr_csv.so
noload = cdr_custom.so
noload = cdr_manager.so
noload = cdr_sqlite3_custom.so
noload = cel_custom.so
noload = cel_manager.so
noload = cel_sqlite3_custom.so
noload = res_hep.so
noload = res_hep_pjsip.so
noload = res_hep_rtcp.so
noload = res_snmp.so
noload = res_statsd.so
noload = res_calendar.so
noload = res_smdi.so
noload = res_phoneprov.so
noload = res_pjsip_phoneprov_provider.so
noload = res_config_ldap.so
noload = res_config_pgsql.so
noload = res_config_sqlite3.so
noload = res_odbc.so
noload = res_config_odbc.so
noload = cdr_pgsql.so
noload = cel_pgsql.so
noload = cdr_radius.so
noload = cel_radius.so
noload = cdr_tds.so
noload = cel_tds.so
noload = cdr_odbc.so
noload = cel_odbc.so
noload = cdr_adaptive_odbc.so
noload = res_stun_monitor.so
noload = pbx_lua.so
noload = pbx_ael.so
noload = app_voicemail.so
noload = app_voicemail_odbc.so
noload = app_minivm.so
noload = res_parking.so
noload = app_jack.so
noload = res_fax_spandsp.so
noload = res_fax.so
noload = pbx_spool.so
noload = res_pjsip_outbound_publish.so
noload = res_pjsip_publish_asterisk.so
"""


def _asterisk_conf(node: Node) -> str:
    d = f"{BASE}/{node.name}"
    return f"""[directories]
astcachedir => {d}/cache
astetcdir => {d}/etc
astmoddir => /usr/lib/x86_64-linux-gnu/asterisk/modules
astvarlibdir => /var/lib/asterisk
astdbdir => {d}/db
astkeydir => {d}/keys
astdatadir => /usr/share/asterisk
astagidir => /usr/share/asterisk/agi-bin
astspooldir => {d}/spool
astrundir => {d}/run
astlogdir => {d}/log
astsbindir => /usr/sbin
[options]
systemname = sbami-{node.name}
"""


def _manager_conf(node: Node) -> str:
    # channelvars: every channel event carries ChanVariable: sb_attempt_id=...
    # timestampevents: every event carries Timestamp (the core's ``at``).
    return f"""[general]
enabled = yes
port = {node.ami_port}
bindaddr = {node.address}
timestampevents = yes
channelvars = sb_attempt_id

[{AMI_USER}]
secret = {AMI_SECRET}
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.0/255.0.0.0
read = all
write = all
"""


def _pjsip_conf(node: Node, peer: Node, peer_name: str, context: str) -> str:
    return f"""[transport-udp]
type = transport
protocol = udp
bind = {node.address}:5060

[{peer_name}]
type = endpoint
transport = transport-udp
context = {context}
disallow = all
allow = ulaw
direct_media = no
aors = {peer_name}
media_address = {node.address}

[{peer_name}]
type = aor
contact = sip:{peer.address}:5060

[{peer_name}]
type = identify
endpoint = {peer_name}
match = {peer.address}
"""


SEAT = "agent001"
SEAT_SECRET = "seat-secret"

# A seat on the pbx; the world registers to it like an agent's phone would
# (its registration can be dropped/renewed from the world's AMI).
# The contract scenarios' trunk name: another way out to the world.
_CARRIER_ON_PBX = f"""
[carrier]
type = endpoint
transport = transport-udp
context = from-world
disallow = all
allow = ulaw
direct_media = no
aors = carrier
media_address = {PBX.address}

[carrier]
type = aor
contact = sip:{WORLD.address}:5060
"""

_SEAT_ON_PBX = f"""
[global]
type = global
; the seat's phone shares the world's address: match by user before by IP
endpoint_identifier_order = username,ip,anonymous
[{SEAT}]
type = endpoint
transport = transport-udp
context = sbtest-park
disallow = all
allow = ulaw
direct_media = no
auth = {SEAT}
aors = {SEAT}

[{SEAT}]
type = auth
auth_type = userpass
username = {SEAT}
password = {SEAT_SECRET}

[{SEAT}]
type = aor
max_contacts = 1
remove_existing = yes
"""

_PHONE_ON_WORLD = f"""
[{SEAT}-auth]
type = auth
auth_type = userpass
username = {SEAT}
password = {SEAT_SECRET}

[{SEAT}-reg]
type = registration
transport = transport-udp
outbound_auth = {SEAT}-auth
server_uri = sip:{PBX.address}:5060
client_uri = sip:{SEAT}@{PBX.address}:5060
contact_user = {SEAT}
expiration = 120
retry_interval = 5
"""

_PBX_EXTENSIONS = """#include extensions-switchboard.conf

[sbtest-park]
; a route that just keeps an answered channel up (tests only)
exten => s,1,Wait(120)
 same => n,Hangup(16)

[sbtest-amd]
; the contract's amd scenario: AMD on, machines get a message (the core hangs up first)
exten => s,1,Set(sb_amd=yes)
 same => n,Set(sb_amd_action=message)
 same => n,Set(sb_message_sound=beep)
 same => n,Goto(sb-outbound,s,1)

[sbtest-local]
; Local channel targets for load tests: answer and wait, no RTP
exten => _X.,1,Answer()
 same => n,Wait(30)
 same => n,Hangup(16)
"""


def _etc(node: Node) -> dict[str, str]:
    files = {
        "asterisk.conf": _asterisk_conf(node),
        "modules.conf": _MODULES,
        "manager.conf": _manager_conf(node),
        "logger.conf": "[general]\n[logfiles]\nmessages.log => notice,warning,error\n",
        "rtp.conf": "[general]\nrtpstart={}\nrtpend={}\n".format(*RTP_PORTS[node.name]),
    }
    if node is PBX:
        files["pjsip.conf"] = _pjsip_conf(PBX, WORLD, "world", "from-world") + _SEAT_ON_PBX + _CARRIER_ON_PBX
        files["extensions.conf"] = _PBX_EXTENSIONS
        files.update(render_asterisk())
    else:
        files["pjsip.conf"] = _pjsip_conf(WORLD, PBX, "pbx", "world-in") + _PHONE_ON_WORLD
        files["extensions.conf"] = world_dialplan(f"{BASE}/world/sounds/greetings")
    return files


@cache
def root() -> Path:
    """The Debian root with Asterisk 22 that both instances run from."""
    if "SB_ASTERISK_ROOT" in os.environ:
        return Path(os.environ["SB_ASTERISK_ROOT"])
    from lab.sandbox.rootfs import ensure_root
    from settings import load_settings

    return ensure_root(load_settings().sandbox_cache)


def _asterisk(node: Node) -> list[str]:
    return ["chroot", str(root()), "/usr/sbin/asterisk", "-C", f"{BASE}/{node.name}/etc/asterisk.conf"]


def _host_dir(node: Node) -> Path:
    return root() / BASE.lstrip("/") / node.name


def _pid(node: Node) -> int | None:
    pidfile = _host_dir(node) / "run" / "asterisk.pid"
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _wait_port(node: Node, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((node.address, node.ami_port), timeout=1) as s:
                if s.recv(64).startswith(b"Asterisk Call Manager/"):
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{node.name}: AMI did not come up on {node.address}:{node.ami_port}")


def up() -> None:
    for node in (WORLD, PBX):
        if _pid(node):
            continue
        base = _host_dir(node)
        shutil.rmtree(base, ignore_errors=True)
        for sub in ("etc", "run", "log", "spool", "cache", "db", "keys", "spool/monitor"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        for name, text in _etc(node).items():
            (base / "etc" / name).write_text(text)
        subprocess.run(_asterisk(node), check=True)
    deadline = time.monotonic() + 60
    for node in (WORLD, PBX):
        _wait_port(node, deadline)
        cli(node, "core waitfullybooted")
    # Ready means the seat's phone has registered too: a registration arriving later
    # would land in the middle of whatever is recorded first.
    while f"{SEAT}/sip:" not in cli(PBX, "pjsip show contacts"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the world's phone {SEAT} did not register to the pbx")
        time.sleep(0.2)


def cli(node: Node, command: str) -> str:
    """Run one Asterisk CLI command on a node (remote console)."""
    return subprocess.run(
        [*_asterisk(node), "-rx", command],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout


def down() -> None:
    for node in (PBX, WORLD):
        pid = _pid(node)
        if pid:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if _pid(node) is None:
                    break
                time.sleep(0.1)


def running() -> bool:
    return _pid(PBX) is not None and _pid(WORLD) is not None


if __name__ == "__main__":
    {"up": up, "down": down}[sys.argv[1]]()
