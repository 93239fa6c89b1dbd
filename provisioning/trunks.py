"""Carrier trunks -> a PJSIP include file (Asterisk) and sofia gateways (FreeSWITCH).

Every value ends up inside a config file, so :class:`TrunkConf` refuses at
construction what could open a section or an element, end a line or start a
comment (newlines, ``;``, ``[``/``]``, quotes, ``<``/``>``): the web shows its
message as the form's error. Rendering takes only built ``TrunkConf``s.

The trunk's name is its PJSIP endpoint and its FreeSWITCH gateway, so a
campaign dials ``PJSIP/<number>@<name>`` or ``sofia/gateway/<name>/<number>``
as before trunks were managed here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import phonenumbers

from store.enums import SipTransport, T38Mode, TrunkAuth

TRUNKS_FILE = "pjsip-trunks.conf"
INBOUND_CONTEXT = "sb-inbound"
MAX_CHANNELS = 10_000
#: The codecs a trunk may offer: Asterisk's name -> FreeSWITCH's.
CODECS = {"ulaw": "PCMU", "alaw": "PCMA", "g722": "G722", "g729": "G729", "opus": "OPUS", "gsm": "GSM"}
DEFAULT_CODECS = ("ulaw", "alaw")
#: A T.38 datagram's size in bytes: 0 leaves it to the far end; else what a UDPTL packet may hold.
T38_DATAGRAM = (100, 1500)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*\Z")
_USER = re.compile(r"[A-Za-z0-9_.+\-]{1,64}\Z")
#: Printable ASCII without space and without what a config line or XML could read as structure.
_SECRET = re.compile(r"[A-Za-z0-9_.~!@$%^*()+=:,/?{}|\-]{8,128}\Z")
_PREFIX = re.compile(r"\+?[0-9]{0,15}\Z")


class TrunkError(ValueError):
    """A trunk setting that cannot be rendered safely; the message says which and why."""


def e164(raw: str, what: str) -> str:
    """``raw`` as an E.164 number (it must be written with its ``+`` and country code)."""
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise TrunkError(f"{what} {text[:32]!r} is not a phone number in E.164 (+ and country code)") \
            from None
    if not phonenumbers.is_valid_number(number):
        raise TrunkError(f"{what} {text[:32]!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def address(raw: str) -> str:
    """An IP address or network (``203.0.113.7``, ``203.0.113.0/24``) a carrier's calls come from."""
    try:
        return str(ipaddress.ip_network(raw.strip(), strict=False))
    except ValueError:
        raise TrunkError(f"allowed address {raw.strip()[:45]!r} is not an IP address or network") from None


@dataclass(frozen=True)
class TrunkConf:
    """One trunk as provisioning renders it; invalid values raise :class:`TrunkError`."""

    name: str
    host: str
    port: int = 5060
    transport: SipTransport = SipTransport.UDP
    auth: TrunkAuth = TrunkAuth.IP
    username: str = ""
    secret: str = ""
    allowed_addresses: tuple[str, ...] = ()
    codecs: tuple[str, ...] = DEFAULT_CODECS
    channel_limit: int = 0
    caller_id: str = ""
    strip_prefix: str = ""
    add_prefix: str = ""
    dids: tuple[str, ...] = field(default=())
    t38: T38Mode = T38Mode.REDUNDANCY
    t38_max_datagram: int = 400

    def __post_init__(self) -> None:
        self._check_carrier()
        self._check_numbers()
        low, high = T38_DATAGRAM
        if self.t38_max_datagram != 0 and not low <= self.t38_max_datagram <= high:
            raise TrunkError(f"T.38 datagram size: 0 (the far end's) or {low}-{high} bytes")

    def _check_carrier(self) -> None:
        if not _NAME.match(self.name):
            raise TrunkError("trunk name: 1-64 letters, digits, '.', '_' or '-', "
                             "starting with a letter or digit")
        if not _HOST.match(self.host):
            raise TrunkError(f"host {self.host[:64]!r} is not a host name or IPv4 address")
        if not 0 < self.port < 65536:
            raise TrunkError("port must be 1-65535")
        if self.auth is TrunkAuth.REGISTRATION:
            if not _USER.match(self.username):
                raise TrunkError("registration needs a user name of letters, digits, '.', '_', '+' or '-'")
            if not _SECRET.match(self.secret):
                raise TrunkError("registration needs a secret of 8-128 characters, without spaces, quotes, "
                                 "';', '#', '&', '<', '>', '[', ']' or '\\'")
        object.__setattr__(self, "allowed_addresses", tuple(address(a) for a in self.allowed_addresses))
        if not self.codecs or set(self.codecs) - CODECS.keys():
            raise TrunkError(f"codecs: one or more of {', '.join(CODECS)}")
        if not 0 <= self.channel_limit <= MAX_CHANNELS:
            raise TrunkError(f"channel limit must be 0 (none) to {MAX_CHANNELS}")

    def _check_numbers(self) -> None:
        if self.caller_id:
            object.__setattr__(self, "caller_id", e164(self.caller_id, "caller ID"))
        for what, prefix in (("prefix to strip", self.strip_prefix), ("prefix to add", self.add_prefix)):
            if not _PREFIX.match(prefix):
                raise TrunkError(f"{what}: digits, optionally after a '+' (at most 15)")
        dids = tuple(e164(d, "DID") for d in self.dids)
        if len(set(dids)) != len(dids):
            raise TrunkError("a DID is listed twice")
        object.__setattr__(self, "dids", dids)

    @property
    def identify(self) -> tuple[str, ...]:
        """Where its calls come from: the allowed addresses; an IP trunk with none: its host."""
        if self.allowed_addresses or self.auth is TrunkAuth.REGISTRATION:
            return self.allowed_addresses
        return (self.host,)

    @property
    def uri(self) -> str:
        suffix = "" if self.transport is SipTransport.UDP else f";transport={self.transport.value}"
        return f"sip:{self.host}:{self.port}{suffix}"

    def present(self, caller_id: str) -> str:
        return present_caller_id(caller_id, self.caller_id, self.strip_prefix, self.add_prefix)


def present_caller_id(caller_id: str, fixed: str, strip_prefix: str, add_prefix: str) -> str:
    """The caller ID a call through a trunk shows: the trunk's ``fixed`` one, or the campaign's
    ``caller_id`` with ``strip_prefix`` removed and ``add_prefix`` put in front (empty stays empty:
    the carrier's default)."""
    if fixed:
        return fixed
    if not caller_id:
        return ""
    if strip_prefix and caller_id.startswith(strip_prefix):
        caller_id = caller_id[len(strip_prefix):]
    return add_prefix + caller_id


def render_pjsip(trunks: Iterable[TrunkConf], transport: str = "") -> str:
    """Endpoint, AOR (qualified, so an IP trunk shows as reachable), auth + registration or identify.

    ``transport`` is the node's UDP transport (as for the seats); a TCP/TLS trunk says so in its URI.
    """
    lines = ["; Rendered by Switchboard provisioning -- do not edit: regenerated from the trunks table.", ""]
    for t in sorted(trunks, key=lambda t: t.name):
        pinned = [f"transport={transport}"] if transport and t.transport is SipTransport.UDP else []
        registered = t.auth is TrunkAuth.REGISTRATION
        lines += [
            f"[{t.name}]", "type=endpoint", f"context={INBOUND_CONTEXT}", *pinned, "disallow=all",
            f"allow={','.join(t.codecs)}", "direct_media=no", "rtp_symmetric=yes", f"aors={t.name}",
            *([f"outbound_auth={t.name}-auth"] if registered else []),
            *([f"device_state_busy_at={t.channel_limit}"] if t.channel_limit else []), *_t38_lines(t), "",
            f"[{t.name}]", "type=aor", f"contact={t.uri}", "qualify_frequency=30", "",
        ]
        if registered:
            lines += [
                f"[{t.name}-auth]", "type=auth", "auth_type=userpass", f"username={t.username}",
                f"password={t.secret}", "",
                f"[{t.name}]", "type=registration", *pinned, f"outbound_auth={t.name}-auth",
                f"server_uri={t.uri}", f"client_uri=sip:{t.username}@{t.host}:{t.port}",
                f"contact_user={t.username}", "expiration=300", "max_random_initial_delay=1",
                "retry_interval=10", "forbidden_retry_interval=30", "fatal_retry_interval=30",
                "max_retries=1000000", "auth_rejection_permanent=no", "",
            ]
        if t.identify:
            match = ",".join(t.identify)
            lines += [f"[{t.name}]", "type=identify", f"endpoint={t.name}", f"match={match}", ""]
    return "\n".join(lines)


def _t38_lines(t: TrunkConf) -> list[str]:
    """T.38 on the endpoint: ``SendFAX``/``ReceiveFAX`` re-invite to it or take it up when offered,
    and fall back to G.711 when the far end refuses; off, a T.38 re-INVITE from the carrier is refused."""
    if t.t38 is T38Mode.OFF:
        return ["t38_udptl=no"]
    return ["t38_udptl=yes", f"t38_udptl_ec={t.t38.value}", f"t38_udptl_maxdatagram={t.t38_max_datagram}"]


def registration_states(messages: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """Trunk -> state from an Asterisk node's ``PJSIPShowRegistrationsOutbound`` + ``PJSIPShowContacts``.

    A registration's status (Registered, Rejected ...) wins; a trunk without one is as its
    qualified contact is (Reachable, Unreachable).
    """
    states: dict[str, str] = {}
    messages = list(messages)
    for m in messages:
        if m.get("Event") == "ContactList" and m.get("ObjectName"):  # "<aor>;@<hash>"
            states.setdefault(str(m["ObjectName"]).split(";@")[0], str(m.get("Status", "unknown")).lower())
    for m in messages:
        if m.get("Event") == "OutboundRegistrationDetail" and m.get("ObjectName"):
            states[str(m["ObjectName"])] = str(m.get("Status", "unknown")).lower()
    return states
