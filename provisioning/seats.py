"""Seats, trunks (and the ``dialplans/`` routes) -> an Asterisk node's configuration, reloaded live over AMI.

Order matters (as in Wazo): the web commits the seats first, then renders the
file from the committed rows and reloads; a reload that fails leaves the
database right and the next provisioning catches up. Disabled seats are left
out of the file, so after the reload they can no longer register.

The AMI session is short-lived and synchronous for its caller
(:func:`ami.session.run_actions`): the web process has no event loop of its own
and a provisioning click is rare. ``AmiTarget`` is the AMI toolbox's, named
here too because provisioning is the web's one door to a PBX.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from panoramisk.message import Message

from ami.errors import AmiError
from ami.render import Action
from ami.session import AmiTarget, run_actions
from dialplans.render import DialplanParams, render_asterisk, write_atomically
from provisioning.trunks import TRUNKS_FILE, TrunkConf, registration_states
from provisioning.trunks import render_pjsip as render_trunks

SEATS_CONTEXT = "sb-seats"
_EXTENSION = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_.~-]{8,255}$")
#: The realm Asterisk challenges seats with: its auth objects' ``realm``, which the rendered file sets, so
#: the digest below never depends on the node's ``default_realm``.
ASTERISK_REALM = "asterisk"


@dataclass(frozen=True)
class SeatConf:
    extension: str
    secret: str

    def __post_init__(self) -> None:
        # Both end up inside a config file: a newline or bracket would inject sections.
        if not _EXTENSION.match(self.extension):
            raise ValueError(f"bad extension {self.extension!r}")
        if not _SECRET.match(self.secret):
            raise ValueError(f"bad SIP secret for seat {self.extension!r}")

    def __repr__(self) -> str:  # never show the secret
        return f"SeatConf(extension={self.extension!r})"

    def digest(self, realm: str) -> str:
        """HA1 = MD5("user:realm:password") (RFC 2617): what a PBX needs to check a REGISTER, in place
        of the password. MD5 is the SIP digest's own algorithm here, not a choice of ours."""
        ha1 = hashlib.md5(f"{self.extension}:{realm}:{self.secret}".encode(), usedforsecurity=False)
        return ha1.hexdigest()


def render_pjsip(seats: Iterable[SeatConf], context: str = SEATS_CONTEXT, transport: str = "",
                 realm: str = ASTERISK_REALM) -> str:
    """One endpoint + auth + aor per seat; one contact per seat, a new REGISTER replaces it.

    The file holds each seat's digest (``md5_cred``), never its password: a copy of the file does
    not give the password, and the digest is good for this realm only.

    ``transport`` pins the seats to one PJSIP transport, so their RTP binds to that
    transport's address instead of every address of the box.
    """
    if transport and not _EXTENSION.match(transport):
        raise ValueError(f"bad PJSIP transport name {transport!r}")
    if not _EXTENSION.match(realm):
        raise ValueError(f"bad SIP realm {realm!r}")
    lines = ["; Rendered by Switchboard provisioning -- do not edit: regenerated from the seats table.", ""]
    for seat in sorted(seats, key=lambda s: s.extension):
        e = seat.extension
        lines += [
            f"[{e}]",
            "type=endpoint",
            f"context={context}",
            *([f"transport={transport}"] if transport else []),
            "disallow=all",
            "allow=ulaw,alaw",
            "direct_media=no",
            f"auth={e}-auth",
            f"aors={e}",
            f'callerid="{e}" <{e}>',
            "",
            f"[{e}-auth]",
            "type=auth",
            "auth_type=md5",
            f"username={e}",
            f"realm={realm}",
            f"md5_cred={seat.digest(realm)}",
            "",
            f"[{e}]",
            "type=aor",
            "max_contacts=1",
            "remove_existing=yes",
            "qualify_frequency=0",
            "",
        ]
    # The trunks' file rides on this one (pjsip.conf includes only the seats file); "try": a node
    # provisioned before trunks existed has none yet.
    lines += [f"#tryinclude {TRUNKS_FILE}", ""]
    return "\n".join(lines)


#: What to ask Asterisk after each provisioned file changed.
RELOADS = {
    "extensions-switchboard.conf": "dialplan reload",
    "amd.conf": "module reload app_amd.so",
}
PJSIP_RELOAD = "module reload res_pjsip.so"


def write_seats(path: Path, text: str) -> bool:
    """Write the seats file atomically; True when it changed (a reload is needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return bool(write_atomically(path.parent, {path.name: text}, private={path.name}))


def provision_asterisk(seats_path: Path, seats: Iterable[SeatConf], target: AmiTarget,
                       transport: str = "", params: DialplanParams | None = None,
                       trunks: Iterable[TrunkConf] = ()) -> list[str]:
    """Write the seats and trunks files and the ``dialplans/`` routes beside them; reload what changed.

    Returns the names of the files that changed (nothing is reloaded when none did).
    """
    seats_path.parent.mkdir(parents=True, exist_ok=True)
    pjsip = {seats_path.name: render_pjsip(seats, transport=transport),
             TRUNKS_FILE: render_trunks(trunks, transport=transport)}
    changed = write_atomically(seats_path.parent, {**pjsip, **render_asterisk(params)}, private=set(pjsip))
    commands = list(dict.fromkeys(PJSIP_RELOAD if name in pjsip else RELOADS[name] for name in changed))
    if commands:
        run_cli(target, commands)
    return changed


def _ami(target: AmiTarget, actions: Sequence[Action]) -> list[Message | list[Message]]:
    """:func:`ami.session.run_actions`, its failures told as the ``ConnectionError`` the web handles."""
    try:
        return run_actions(target, actions)
    except AmiError as exc:
        raise ConnectionError(f"AMI {target.host}:{target.port}: {exc}") from exc


def run_cli(target: AmiTarget, commands: Sequence[str]) -> None:
    """Run Asterisk CLI commands over one AMI session; a refused one raises."""
    replies = _ami(target, [{"Action": "Command", "Command": c} for c in commands])
    for command, reply in zip(commands, replies, strict=True):
        if getattr(reply, "success", True) is False:
            raise ConnectionError(f"{command!r} failed: {reply}")


def registered_contacts(target: AmiTarget) -> dict[str, str]:
    """Endpoint (seat) -> "registered (<contact URI>)" for every contact the node holds."""
    (reply,) = _ami(target, [{"Action": "PJSIPShowContacts"}])
    messages = reply if isinstance(reply, list) else [reply]
    return {
        str(m["Endpoint"]): f"registered ({m.get('Uri', '')})"
        for m in messages
        if m.get("Event") == "ContactList" and m.get("Endpoint")
    }


def trunk_registrations(target: AmiTarget) -> dict[str, str]:
    """Endpoint -> registration or contact state (trunks among them), from one AMI session."""
    replies = _ami(target, [{"Action": "PJSIPShowRegistrationsOutbound"}, {"Action": "PJSIPShowContacts"}])
    messages = (m for reply in replies for m in (reply if isinstance(reply, list) else [reply]))
    return registration_states(messages)
