"""Core commands -> FreeSWITCH ESL command text (what greenswitch's ``send()`` writes, minus ``\\n\\n``).

Shapes taken from the real captures (``tests/esl/fixtures``):

* ``bgapi originate {origination_uuid=<U>,sb_attempt_id=<A>,...}<dial> <dest>``
  followed by a ``Job-UUID: <J>`` line: we choose ``<U>`` (the core's
  ``channel_id``) and ``<J>``, so every event and the BACKGROUND_JOB map back
  without waiting for a reply.
* ``api uuid_kill <U> <CAUSE>``, ``api uuid_bridge <A> <B>``,
  ``api uuid_record <U> start|stop <path>``;
  ``sendmsg <U>`` / ``call-command: execute`` / ``execute-app-name: avmd_start``
  (avmd must be started as an application on the leg that hears the beep).
  ``StartAmd`` sends nothing where our dialplan serves ``sb-outbound``: the
  route itself runs the detection when the originate set
  ``sb_amd=yes`` (avmd for beeps, ``detect_audio``/``detect_silence`` for the
  greeting's cadence). Measured live: a ``sendmsg`` or ``uuid_transfer`` sent
  on ``CHANNEL_ANSWER`` races the originate's own transfer into
  ``sb-outbound`` (a ``sendmsg execute_extension`` that arrived first ran its
  extension on a channel not ready yet, so nothing was detected on 3 of 20
  calls). A node whose ``sb-outbound`` is mapped to an inline app (the
  captures, the contract suite) has none of our extensions: there
  ``StartAmd`` is ``sendmsg`` ``avmd_start``, beeps only.

Where the call goes after answer (``<dest>``): by default the core's route is a
dialplan extension, ``<route> XML <context>`` (context ``switchboard``, to be
served by provisioning). A node may instead map a route to an inline
application such as ``&park`` so the runner drives the call with ``uuid_*``
commands; the captures and the contract suite use ``&park``.

Every originate also sets ``ignore_early_media=true`` and ``originate_timeout``:
the captures show that without it early media makes the originate succeed
(``+OK``) and the timeout no longer applies, so an unanswered call would ring
until the carrier gives up.

Injection: commands validate their values when built (``orchestrator.safe``),
but FreeSWITCH has its own specials, so rendering checks again and refuses
(never escapes): CR/LF (a second command or header), space (ends the
originate's dial-string argument), ``{ } , = '`` (the ``{}`` variable syntax),
``$`` (``${api args}`` expansion runs API commands, e.g. ``${system ...}``),
``& | ^ [ ] "`` and ``\\`` (separators, delimiter change, quoting).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from esl.translate import CAUSE_NAMES
from orchestrator import commands as c
from orchestrator import safe
from orchestrator.dialer import routes

#: Characters that change the meaning of an ESL command or a FreeSWITCH originate/app argument.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f{},='\"$&|^\[\]\\;]")
#: A configured dial template once its ``{name}``/``{number}`` placeholders are removed.
_TEMPLATE = re.compile(r"[A-Za-z0-9_./:@+\-]+\Z")
_INLINE_APP = re.compile(r"&[a-z_]{1,40}(\([A-Za-z0-9_.@/:\-]{0,80}\))?\Z")
_DIR = re.compile(r"/[A-Za-z0-9_./\-]{0,200}\Z")

DEFAULT_TRUNK = "sofia/gateway/{name}/{number}"
DEFAULT_SEAT = "user/{name}"


def esl_value(value: str, what: str = "value") -> str:
    """A value placed into an ESL command line: refuse anything FreeSWITCH would interpret."""
    if not isinstance(value, str) or not value or _FORBIDDEN.search(value):
        raise safe.UnsafeValue(f"unsafe {what} for FreeSWITCH: {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class DialConfig:
    """How this node turns core endpoints and routes into FreeSWITCH dial strings."""

    trunks: Mapping[str, str] = field(default_factory=dict)  # trunk name -> template ({number})
    trunk_default: str = DEFAULT_TRUNK
    seat: str = DEFAULT_SEAT
    routes: Mapping[str, str] = field(default_factory=dict)  # route -> inline app, e.g. "&park"
    context: str = "switchboard"
    recordings_dir: str = "/var/lib/freeswitch/recordings"

    def __post_init__(self) -> None:
        for template in (*self.trunks.values(), self.trunk_default, self.seat):
            if not _TEMPLATE.match(template.replace("{name}", "n").replace("{number}", "0")):
                raise safe.UnsafeValue(f"invalid dial template: {template!r}")
        for route, app in self.routes.items():
            safe.check_token(route, "route")
            if not _INLINE_APP.match(app):
                raise safe.UnsafeValue(f"invalid inline application for route {route}: {app!r}")
        safe.check_token(self.context, "dialplan context")
        if not _DIR.match(self.recordings_dir) or ".." in self.recordings_dir:
            raise safe.UnsafeValue(f"invalid recordings directory: {self.recordings_dir!r}")
        object.__setattr__(self, "trunks", MappingProxyType(dict(self.trunks)))
        object.__setattr__(self, "routes", MappingProxyType(dict(self.routes)))


@dataclass(frozen=True, slots=True)
class EslRequest:
    """One ESL command: its text (no final blank line) and, for bgapi, the Job-UUID we chose."""

    text: str
    job_uuid: str = ""

    def __post_init__(self) -> None:
        lines = self.text.split("\n")
        expected = 3 if lines[0].startswith("sendmsg ") else 2 if self.job_uuid else 1
        if "\r" in self.text or len(lines) != expected or any(not line for line in lines):
            raise safe.UnsafeValue(f"malformed ESL command: {self.text!r}")


def dial_string(endpoint: c.Endpoint, config: DialConfig) -> str:
    if endpoint.kind is c.EndpointKind.TRUNK:
        template = config.trunks.get(endpoint.name, config.trunk_default)
        name, number = esl_value(endpoint.name, "trunk"), esl_value(endpoint.number, "number")
        text = template.format(name=name, number=number)
    else:
        text = config.seat.format(name=esl_value(endpoint.name, "seat"))
    return esl_value(text, "dial string")


def destination(route: str, config: DialConfig) -> str:
    """Where the answered channel goes: an inline app from the config, else the XML dialplan."""
    return config.routes.get(route) or f"{esl_value(route, 'route')} XML {config.context}"


def originate_variables(cmd: c.Originate) -> str:
    pairs = {"origination_uuid": cmd.channel_id, c.ATTEMPT_VAR: cmd.attempt_id,
             "ignore_early_media": "true", "originate_timeout": str(cmd.timeout_s)}
    if cmd.caller_id:
        pairs["origination_caller_id_number"] = cmd.caller_id
    pairs.update(sorted((k, v) for k, v in cmd.variables.items() if k not in pairs))
    return ",".join(f"{esl_value(k, 'variable name')}={_variable_value(k, v)}" for k, v in pairs.items())


def _variable_value(name: str, value: str) -> str:
    """A value inside ``{...}``; a tone stream's commas are escaped (``\\,``), the only escape we emit.

    Checked live on 1.10.12: ``{v=tone_stream://%(500\\,500\\,480)}`` sets
    ``v`` to ``tone_stream://%(500,500,480)``; an unescaped comma would start the
    next variable.
    """
    if safe.is_tone_stream(value):
        return value.replace(",", "\\,")
    return esl_value(value, name)


def _sound(sound: str) -> str:
    """A file path with no FreeSWITCH specials, or a tone stream of the strict grammar in ``safe``.

    A tone stream's commas, parentheses and semicolons are part of its syntax and
    harmless in a single ``uuid_broadcast`` argument; the grammar allows no space,
    quote, brace or ``$``, so it cannot end the argument or expand anything.
    """
    return safe.check_sound(sound) if safe.is_tone_stream(sound) else esl_value(sound, "sound")


def _uuid(channel_id: str) -> str:
    return esl_value(safe.check_channel_id(channel_id), "channel id")


def cause_name(cause: int) -> str:
    return CAUSE_NAMES.get(cause, str(cause))


def render(cmd: c.Command, config: DialConfig, job_uuid: str = "") -> EslRequest | None:
    """The ESL text for one core command (None: the route already does it; nothing to send).

    ``job_uuid`` is required for an Originate (sent as bgapi).
    """
    ch = _uuid(cmd.channel_id) if hasattr(cmd, "channel_id") else ""
    return _render(cmd, ch, config, job_uuid)


@functools.singledispatch
def _render(cmd: c.Command, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    """The registry of renderings, one function per command type (``_render.register``); ``ch`` is the
    command's channel id, already checked."""
    raise TypeError(f"no ESL rendering for {type(cmd).__name__}")


@_render.register
def _originate(cmd: c.Originate, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    job = esl_value(safe.check_channel_id(job_uuid), "Job-UUID")
    text = (f"bgapi originate {{{originate_variables(cmd)}}}{dial_string(cmd.endpoint, config)}"
            f" {destination(cmd.route, config)}\nJob-UUID: {job}")
    return EslRequest(text, job)


@_render.register
def _bridge(cmd: c.Bridge, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    return EslRequest(f"api uuid_bridge {ch} {_uuid(cmd.other_channel_id)}")


@_render.register
def _hangup(cmd: c.Hangup, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    return EslRequest(f"api uuid_kill {ch} {cause_name(cmd.cause)}")


@_render.register
def _redirect(cmd: c.Redirect, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    return EslRequest(f"api uuid_transfer {ch} {_transfer_target(cmd.route, config)}")


@_render.register
def _set_variables(cmd: c.SetVariables, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    pairs = ";".join(f"{esl_value(safe.check_variable_name(k), 'variable')}={esl_value(v, 'variable value')}"
                     for k, v in sorted(cmd.variables.items()))
    return EslRequest(f"api uuid_setvar_multi {ch} {pairs}")


@_render.register
def _announce_position(cmd: c.AnnouncePosition, ch: str, config: DialConfig,
                       job_uuid: str) -> EslRequest | None:
    # The route's extension takes the position as a suffix (``sb-queue-announce-2``): a transfer, so
    # whatever the caller hears (the hold music) stops, and the route transfers them back after. An
    # estimated wait is a second suffix (``sb-queue-announce-2-3``: caller number 2, about 3 minutes).
    wait = f"-{int(cmd.wait_min)}" if cmd.wait_min else ""
    target = _transfer_target(f"{cmd.route}-{int(cmd.position)}{wait}", config)
    return EslRequest(f"api uuid_transfer {ch} {target}")


@_render.register
def _play(cmd: c.Play, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    return EslRequest(f"api uuid_broadcast {ch} {_sound(cmd.sound)} aleg")


@_render.register
def _start_recording(cmd: c.StartRecording, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    return EslRequest(f"api uuid_record {ch} start {_recording_path(cmd.filename, config)}")


@_render.register
def _stop_recording(cmd: c.StopRecording, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    path = _recording_path(cmd.filename, config) if cmd.filename else "all"
    return EslRequest(f"api uuid_record {ch} stop {path}")


@_render.register
def _start_amd(cmd: c.StartAmd, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    if routes.OUTBOUND in config.routes:  # an inline app: the node has none of our extensions
        return EslRequest(f"sendmsg {ch}\ncall-command: execute\nexecute-app-name: avmd_start")
    return None  # our sb-outbound runs the detection itself (sb_amd=yes)


@_render.register
def _reload(cmd: c.Reload, ch: str, config: DialConfig, job_uuid: str) -> EslRequest | None:
    if cmd.module:
        return EslRequest(f"api reload {esl_value(cmd.module, 'module')}")
    return EslRequest("api reloadxml")


def _recording_path(filename: str, config: DialConfig) -> str:
    return f"{config.recordings_dir.rstrip('/')}/{esl_value(filename, 'recording filename')}"


def _transfer_target(route: str, config: DialConfig) -> str:
    """``uuid_transfer`` takes the same destination as originate; inline apps use ``app:arg inline``.

    The core's ``Redirect.extension`` (Asterisk's ``s``) has no FreeSWITCH
    counterpart: the route *is* the extension in the ``switchboard`` context.
    """
    app = config.routes.get(route)
    if app is None:
        return f"{esl_value(route, 'route')} XML {config.context}"
    name, _, arg = app[1:].partition("(")
    return f"{name}:{arg.rstrip(')')} inline" if arg else f"{name} inline"
