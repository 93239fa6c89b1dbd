"""Render each instance's Asterisk config dir from ``templates/``.

Files the sandbox owns are rewritten on every start (so a changed setting
takes effect); the pbx's include files that provisioning and the dialplan
renderer own are written only when absent.
"""

from __future__ import annotations

from dataclasses import replace

from jinja2 import Environment, PackageLoader, StrictUndefined

from dialplans.render import DialplanParams, render_asterisk, write_atomically
from lab.sandbox import fsnode, fsrender, greetings, world
from lab.sandbox.credentials import (
    AMI_USERNAME,
    connection_info,
    fs_phone_credentials,
    phone_credentials,
    trunk_accounts,
)
from lab.sandbox.layout import SEATS_FILE, TRANSPORT, Node, paths
from provisioning import dialplan as provisioning_dialplan
from provisioning.seats import render_pjsip
from settings import Settings

#: Modules that open ports, reach out to external services, need config we do not
#: ship, or only add start-up noise (globs over the root's module directory).
NOLOAD = (
    "res_ari*", "app_stasis*", "res_stasis*", "res_calendar*", "*odbc*", "cdr_*", "cel_*", "res_hep*",
    "res_config_*", "res_http_*", "*websocket*", "chan_iax2.so", "pbx_dundi.so", "chan_unistim.so",
    "chan_motif.so", "res_xmpp.so", "chan_console.so", "res_prometheus.so", "res_snmp.so", "res_statsd.so",
    "res_smdi.so", "res_phoneprov.so", "res_pjsip_phoneprov_provider.so", "res_stun_monitor.so",
    "pbx_lua.so", "pbx_ael.so", "pbx_spool.so", "pbx_realtime.so", "app_voicemail.so", "app_minivm.so",
    "res_parking.so", "app_jack.so", "res_pjsip_outbound_publish.so",
    "res_pjsip_publish_asterisk.so", "res_pjsip_exten_state.so", "*stir_shaken*", "*geolocation*",
    "*aeap*", "res_resolver_unbound.so", "res_cdrel_custom.so", "res_pjsip_config_wizard.so",
    "app_agent_pool.so", "app_confbridge.so", "app_page.so", "app_alarmreceiver.so", "app_festival.so",
    "app_followme.so", "res_clialiases.so", "res_adsi.so", "app_adsiprog.so", "app_getcpeid.so",
)
MODULE_DIR = "/usr/lib/x86_64-linux-gnu/asterisk/modules"
#: Debian's stock files (from the root's /etc/asterisk) for core subsystems that
#: complain at start-up without them.
STOCK = ("cel", "features", "indications", "udptl", "ccss", "acl", "pjproject", "queues", "queuerules",
         "pjsip_notify")
#: The pbx's amd.conf is the project's tuning (dialplans/), written when absent.
STOCK_WORLD = ("amd",)
#: Each instance gets its own RTP port range so that they never race for a port.
RTP_RANGES = {"pbx": (30000, 34999), "world": (35000, 39999)}
PHONE_PROMPT = "demo-congrats"  # 30 s of speech, looped by agents' phones
HUMAN_PROMPT = "demo-congrats"
MACHINE_GREETING = "vm-intro"  # "please leave your message after the tone ..." (5.7 s)
SUBDIRS = ("etc", "run", "log", "spool", "spool/fax", "cache", "db", "keys", "recordings", "sounds")
#: The pbx's music-on-hold directory (relative to its base) and the stand-in tune in it.
HOLD_MUSIC = "sounds/moh/hold.wav"
HOLD_MUSIC_S = 60

_env = Environment(
    loader=PackageLoader("lab.sandbox", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701 - Asterisk config, not HTML: nothing to escape for a browser
)


def _render(template: str, **context: object) -> str:
    return _env.get_template(template).render(context)


def noload_modules(node: Node) -> list[str]:
    present = node.host(MODULE_DIR)
    return sorted({m.name for pattern in NOLOAD for m in present.glob(pattern)})


def _common(node: Node, settings: Settings) -> dict[str, object]:
    """What every template of ``node`` may use."""
    ami = getattr(connection_info(settings), node.name)
    rtp_start, rtp_end = RTP_RANGES[node.name]
    return {
        "name": node.name, "base": str(node.base), "noload": noload_modules(node), "ami_port": ami.port,
        "ami_username": AMI_USERNAME, "ami_secret": ami.secret, "rtp_start": rtp_start, "rtp_end": rtp_end,
        "pbx_address": settings.pbx_address, "world_address": settings.world_address,
        "sip_port": settings.sip_port, "trunk": world.TRUNK, "transport": TRANSPORT,
        # The FreeSWITCH side of the world, once this sandbox has a FreeSWITCH node.
        "freeswitch_address": settings.freeswitch_address if fsnode.configured(settings) else "",
    }


def config_files(node: Node, settings: Settings) -> dict[str, str]:
    """The files the sandbox owns in ``node``'s config dir (name -> text)."""
    common = _common(node, settings)
    files = {
        f"{name}.conf": _render(f"common/{name}.conf.j2", **common)
        for name in ("asterisk", "modules", "logger", "manager", "rtp", "cdr")
    }
    stock = STOCK + (STOCK_WORLD if node.name == "world" else ())
    files.update({f"{n}.conf": node.host(f"/etc/asterisk/{n}.conf").read_text() for n in stock})
    # The world's phones register to the pbx (agentNNN) and to the FreeSWITCH node (fsagentNNN).
    registrations = [(p, settings.pbx_address) for p in phone_credentials(settings)]
    if common["freeswitch_address"]:
        registrations += [(p, settings.freeswitch_address) for p in fs_phone_credentials(settings)]
    files["pjsip.conf"] = _render(f"{node.name}/pjsip.conf.j2", **common, phones=phone_credentials(settings),
                                  registrations=registrations, trunk_accounts=trunk_accounts(settings))
    files["extensions.conf"] = dialplan(node, settings)
    if node.name == "pbx":
        files["musiconhold.conf"] = _render("pbx/musiconhold.conf.j2",
                                            moh_dir=str((node.base / HOLD_MUSIC).parent))
    return files


def dialplan(node: Node, settings: Settings) -> str:
    """The instance's ``extensions.conf`` alone (to change a running world's behaviour: write it and
    ``dialplan reload``, without touching the rest of its config)."""
    if node.name == "world":
        return world_dialplan(greetings.world_dir_in_root(settings), str(node.base / "spool" / "fax"))
    return _render(f"{node.name}/extensions.conf.j2")


def world_dialplan(greetings_dir: str, fax_dir: str = "/var/spool/asterisk/fax") -> str:
    """The carrier's ``extensions.conf`` (context ``world-in``): any Asterisk that should answer as the
    world numbers say (:mod:`lab.sandbox.world`) runs it, the AMI recordings' lab included. ``fax_dir``:
    where its fax machine keeps what it receives."""
    return _render(
        "world/extensions.conf.j2", outcomes=list(world.Outcome), outcome_header=world.OUTCOME_HEADER,
        phone_prompt=PHONE_PROMPT, human_prompt=HUMAN_PROMPT, machine_greeting=MACHINE_GREETING,
        greeting_header=world.GREETING_HEADER, keypad_digits=world.KEYPAD_DIGITS, greetings_dir=greetings_dir,
        fax_send_context=world.FAX_SEND_CONTEXT, fax_dir=fax_dir,
    )


def fax_settings(settings: Settings) -> dict[str, str]:
    """The fax settings of the sandbox pbx (its DID, its fax dir as the host and as the pbx names it), as
    ``SWITCHBOARD_*`` variables: a runner started with them installs the same fax routes as the sandbox."""
    return {"SWITCHBOARD_FAX_NUMBERS": world.PBX_FAX_DID, "SWITCHBOARD_FAX_DIR": str(paths(settings).fax_dir),
            "SWITCHBOARD_FAX_DIR_IN_PBX": paths(settings).fax_dir_in_pbx}


def dialplan_params(settings: Settings) -> DialplanParams:
    """The project's dialplan as the sandbox pbx runs it: the default tuning, plus its fax DID and fax dir."""
    sandbox = replace(settings, fax_numbers=world.PBX_FAX_DID, fax_dir=paths(settings).fax_dir,
                      fax_dir_in_pbx=paths(settings).fax_dir_in_pbx)
    return provisioning_dialplan.params(sandbox)


def default_pbx_includes(settings: Settings) -> dict[str, str]:
    """Seats for the sandbox phones, and the project's rendered dialplan and AMD tuning."""
    return {SEATS_FILE: render_pjsip(phone_credentials(settings), transport=TRANSPORT),
            **render_asterisk(dialplan_params(settings))}


def write_configs(node: Node, settings: Settings) -> list[str]:
    """Create the instance's directories and (re)write its config; returns the changed file names."""
    for sub in SUBDIRS:
        (node.host_base / sub).mkdir(parents=True, exist_ok=True)
    etc = node.host_base / "etc"
    files = config_files(node, settings)
    if node.name == "pbx":
        files.update({n: t for n, t in default_pbx_includes(settings).items() if not (etc / n).exists()})
        fsrender.ensure_tune(node.host_base / HOLD_MUSIC, HOLD_MUSIC_S)
    changed = write_atomically(etc, files)
    for name in ("manager.conf", "pjsip.conf", SEATS_FILE):  # they hold secrets
        if (etc / name).exists():
            (etc / name).chmod(0o600)
    return changed
