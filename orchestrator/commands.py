"""What the core asks a PBX to do, in PBX-neutral words.

Commands validate their fields when built (see :mod:`orchestrator.safe`), so
no adapter can be handed a value that injects an AMI header, a second dial
target or a channel variable. Adapters only translate and send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from orchestrator import safe

#: Channel variable carrying our attempt id on every originate (both PBXs).
ATTEMPT_VAR = "sb_attempt_id"


class EndpointKind(StrEnum):
    TRUNK = "trunk"  # a customer number through a carrier trunk / gateway
    SEAT = "seat"  # an agent's SIP seat on this PBX


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: EndpointKind
    name: str  # trunk or seat name
    number: str = ""  # the dialed number, for trunks

    def __post_init__(self) -> None:
        safe.check_token(self.name, "endpoint name")
        if self.kind is EndpointKind.TRUNK:
            safe.check_dial_number(self.number)
        elif self.number:
            raise safe.UnsafeValue("a seat endpoint takes no number")


@dataclass(frozen=True, slots=True)
class Command:
    pass


@dataclass(frozen=True, slots=True)
class Originate(Command):
    """Place a call; once answered the channel runs ``route`` (a rendered dialplan context).

    ``channel_id`` is chosen by us (UUID) and becomes the channel's unique id on
    both PBXs (Asterisk ``ChannelId``, FreeSWITCH ``origination_uuid``).
    """

    attempt_id: str
    channel_id: str
    endpoint: Endpoint
    route: str
    caller_id: str = ""
    timeout_s: int = 25
    variables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        safe.check_token(self.attempt_id, "attempt id")
        safe.check_channel_id(self.channel_id)
        safe.check_token(self.route, "route")
        if self.caller_id:
            safe.check_dial_number(self.caller_id)
        if not 1 <= self.timeout_s <= 300:
            raise safe.UnsafeValue(f"originate timeout out of range: {self.timeout_s}")
        for k, v in self.variables.items():
            safe.check_variable_name(k)
            if not safe.is_tone_stream(v):  # a FreeSWITCH sound; the AMI renderer refuses it
                safe.check_variable_value(v)
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))

    def all_variables(self) -> dict[str, str]:
        """The variables to set on the channel, our attempt id always included."""
        return {**self.variables, ATTEMPT_VAR: self.attempt_id}


@dataclass(frozen=True, slots=True)
class Bridge(Command):
    channel_id: str
    other_channel_id: str

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)
        safe.check_channel_id(self.other_channel_id)


@dataclass(frozen=True, slots=True)
class Hangup(Command):
    channel_id: str
    cause: int = 16

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)
        if not 1 <= self.cause <= 127:
            raise safe.UnsafeValue(f"invalid Q.850 cause: {self.cause}")


@dataclass(frozen=True, slots=True)
class Redirect(Command):
    """Send a live channel to another rendered dialplan route (e.g. the abandon message)."""

    channel_id: str
    route: str
    extension: str = "s"

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)
        safe.check_token(self.route, "route")
        safe.check_token(self.extension, "extension")


@dataclass(frozen=True, slots=True)
class SetVariables(Command):
    """Set channel variables on a live channel, for the route a ``Redirect`` right after sends it to
    (a call that reached us was never originated with them: the survey's prompts)."""

    channel_id: str
    variables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)
        if not self.variables:
            raise safe.UnsafeValue("set which variables?")
        for k, v in self.variables.items():
            safe.check_variable_name(k)
            safe.check_variable_value(v)
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))


@dataclass(frozen=True, slots=True)
class AnnouncePosition(Command):
    """Tell a waiting caller their place in the queue, then back to the hold music.

    The route (``sb-queue-announce``) says the number with the PBX's own say files
    (Asterisk ``SayNumber``, FreeSWITCH ``say``); the position travels as the
    extension (Asterisk) or the extension's suffix (FreeSWITCH), digits only.
    ``wait_min``: the estimated wait said after it, in minutes (0: none;
    ``orchestrator.inbound.estimate``), in the same extension after a ``*`` (Asterisk:
    ``2*3``) or a ``-`` (FreeSWITCH: ``sb-queue-announce-2-3``).
    """

    channel_id: str
    route: str
    position: int
    wait_min: int = 0

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)
        safe.check_token(self.route, "route")
        if not 1 <= self.position <= 999:
            raise safe.UnsafeValue(f"queue position out of range: {self.position}")
        if not 0 <= self.wait_min <= 999:
            raise safe.UnsafeValue(f"estimated wait out of range: {self.wait_min}")


@dataclass(frozen=True, slots=True)
class Play(Command):
    channel_id: str
    sound: str

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)
        safe.check_sound(self.sound)


def _check_recording_filename(filename: str) -> None:
    safe.check_token(filename.replace("/", "_"), "recording filename")
    if ".." in filename or filename.startswith("/"):
        raise safe.UnsafeValue(f"recording filename escapes its directory: {filename!r}")


@dataclass(frozen=True, slots=True)
class StartRecording(Command):
    channel_id: str
    filename: str  # relative to the PBX's recording directory

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)
        _check_recording_filename(self.filename)


@dataclass(frozen=True, slots=True)
class StopRecording(Command):
    """Stop recording a channel: ``filename`` (optional) names the one recording to stop.

    FreeSWITCH's ``uuid_record ... stop`` takes the file; without one the ESL
    adapter stops all of the channel's recordings. Asterisk ignores it.
    """

    channel_id: str
    filename: str = ""

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)
        if self.filename:
            _check_recording_filename(self.filename)


@dataclass(frozen=True, slots=True)
class StartAmd(Command):
    """Start answering-machine detection on a channel.

    Where the project's dialplan serves ``sb-outbound`` (Asterisk, and
    FreeSWITCH nodes using our context) detection runs in the route itself, so
    the adapters treat this as already done; a FreeSWITCH node whose outbound
    route is an inline app gets ``avmd_start`` (beeps only).
    """

    channel_id: str

    def __post_init__(self) -> None:
        safe.check_channel_id(self.channel_id)


@dataclass(frozen=True, slots=True)
class Reload(Command):
    """Reload PBX configuration after it was committed (commit, then reload)."""

    module: str = ""

    def __post_init__(self) -> None:
        if self.module:
            safe.check_token(self.module, "module")
