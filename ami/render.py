"""Core commands -> AMI actions (plain dicts, one command may need several actions).

Commands were validated when built (:mod:`orchestrator.safe`); this module
checks again at the last moment, because an AMI header ends at CR/LF and
nothing downstream could tell an injected header from a real one. The same
goes for the parts of a dial string: a frozen dataclass can still be forced
with ``object.__setattr__``.

Channels are addressed by our ``channel_id``: an Originate with ``ChannelId``
makes it the channel's Uniqueid, and Asterisk's channel lookup accepts a
Uniqueid wherever a channel name is expected.

A node may run a core route under another dialplan context (a lab node, a
tenant prefix): ``routes`` maps route names to contexts, identity by default.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from orchestrator import commands as c
from orchestrator import safe

Action = dict[str, str | list[str]]
#: What may be sent: header names to a value or a list of values (an action we render, a query).
Headers = Mapping[str, str | Sequence[str]]

#: Dialplan context that plays ``sb_play_sound`` to a channel (Play command).
PLAY_ROUTE = "sb-play"
PLAY_SOUND_VAR = "sb_play_sound"

_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_()\-]{0,63}\Z")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00\r\n]")


def dial_string(endpoint: c.Endpoint) -> str:
    """``PJSIP/<number>@<trunk>`` or ``PJSIP/<seat>``: exactly one target, no options."""
    safe.check_token(endpoint.name, "endpoint name")
    if endpoint.kind is c.EndpointKind.TRUNK:
        return f"PJSIP/{safe.check_dial_number(endpoint.number)}@{endpoint.name}"
    if endpoint.kind is c.EndpointKind.SEAT and not endpoint.number:
        return f"PJSIP/{endpoint.name}"
    raise safe.UnsafeValue(f"cannot dial endpoint {endpoint!r}")


def _variables(values: Mapping[str, str]) -> list[str]:
    return [
        f"{safe.check_variable_name(k)}={safe.check_variable_value(v)}"
        for k, v in sorted(values.items())
    ]


def _context(route: str, routes: Mapping[str, str]) -> str:
    return safe.check_token(routes.get(route, route), "route")


def _channel(channel_id: str) -> str:
    return safe.check_channel_id(channel_id)


@functools.singledispatch
def _render(cmd: c.Command, routes: Mapping[str, str]) -> list[Action]:
    """The registry of renderings, one function per command type (``_render.register``)."""
    raise TypeError(f"no AMI rendering for {type(cmd).__name__}")


@_render.register
def _originate(cmd: c.Originate, routes: Mapping[str, str]) -> list[Action]:
    action: Action = {
        "Action": "Originate",
        "Channel": dial_string(cmd.endpoint),
        "ChannelId": safe.check_channel_id(cmd.channel_id),
        "Context": _context(cmd.route, routes),
        "Exten": "s",
        "Priority": "1",
        "Timeout": str(int(cmd.timeout_s) * 1000),
        # Async: the reply comes at once ("queued"); the outcome comes as events.
        "Async": "true",
        "Variable": _variables(cmd.all_variables()),
    }
    if cmd.caller_id:
        action["CallerID"] = safe.check_dial_number(cmd.caller_id)
    return [action]


@_render.register
def _bridge(cmd: c.Bridge, routes: Mapping[str, str]) -> list[Action]:
    return [{"Action": "Bridge", "Channel1": _channel(cmd.channel_id),
             "Channel2": _channel(cmd.other_channel_id), "Tone": "no"}]


@_render.register
def _hangup(cmd: c.Hangup, routes: Mapping[str, str]) -> list[Action]:
    return [{"Action": "Hangup", "Channel": _channel(cmd.channel_id), "Cause": str(int(cmd.cause))}]


@_render.register
def _redirect(cmd: c.Redirect, routes: Mapping[str, str]) -> list[Action]:
    return [{"Action": "Redirect", "Channel": _channel(cmd.channel_id),
             "Context": _context(cmd.route, routes),
             "Exten": safe.check_token(cmd.extension, "extension"), "Priority": "1"}]


@_render.register
def _set_variables(cmd: c.SetVariables, routes: Mapping[str, str]) -> list[Action]:
    return [{"Action": "Setvar", "Channel": _channel(cmd.channel_id), "Variable": safe.check_variable_name(k),
             "Value": safe.check_variable_value(v)} for k, v in sorted(cmd.variables.items())]


@_render.register
def _announce_position(cmd: c.AnnouncePosition, routes: Mapping[str, str]) -> list[Action]:
    # The position is the extension the announce route says (a number, nothing else); an estimated
    # wait follows it after a "*" (``2*3``: caller number 2, about 3 minutes).
    exten = str(int(cmd.position)) + (f"*{int(cmd.wait_min)}" if cmd.wait_min else "")
    return [{"Action": "Redirect", "Channel": _channel(cmd.channel_id),
             "Context": _context(cmd.route, routes), "Exten": exten, "Priority": "1"}]


@_render.register
def _play(cmd: c.Play, routes: Mapping[str, str]) -> list[Action]:
    # AMI has no "play a file" action: set the sound, then send the
    # channel to the route that plays it.
    safe.check_token(cmd.sound.replace("/", "_"), "sound")
    return [
        {"Action": "Setvar", "Channel": _channel(cmd.channel_id),
         "Variable": PLAY_SOUND_VAR, "Value": cmd.sound},
        {"Action": "Redirect", "Channel": _channel(cmd.channel_id),
         "Context": _context(PLAY_ROUTE, routes), "Exten": "s", "Priority": "1"},
    ]


@_render.register
def _start_recording(cmd: c.StartRecording, routes: Mapping[str, str]) -> list[Action]:
    safe.check_token(cmd.filename.replace("/", "_"), "recording filename")
    if ".." in cmd.filename or cmd.filename.startswith("/"):
        raise safe.UnsafeValue(f"recording filename escapes its directory: {cmd.filename!r}")
    return [{"Action": "MixMonitor", "Channel": _channel(cmd.channel_id), "File": cmd.filename}]


@_render.register
def _stop_recording(cmd: c.StopRecording, routes: Mapping[str, str]) -> list[Action]:
    return [{"Action": "StopMixMonitor", "Channel": _channel(cmd.channel_id)}]


@_render.register
def _start_amd(cmd: c.StartAmd, routes: Mapping[str, str]) -> list[Action]:
    return []  # AMD runs in the route's dialplan on Asterisk


@_render.register
def _reload(cmd: c.Reload, routes: Mapping[str, str]) -> list[Action]:
    if cmd.module:
        return [{"Action": "Reload", "Module": safe.check_token(cmd.module, "module")}]
    return [{"Action": "Reload"}]


def check_headers(action: Headers) -> None:
    """Refuse any header name or value that could end a header or a message."""
    for name, value in action.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise safe.UnsafeValue(f"invalid AMI header name: {name!r}")
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise safe.UnsafeValue(f"AMI header {name} is neither text nor a list of text: {value!r}")
        for item in items:
            if not isinstance(item, str) or _HEADER_VALUE_FORBIDDEN.search(item):
                raise safe.UnsafeValue(f"unsafe AMI header value for {name}: {item!r}")


def render(cmd: c.Command, routes: Mapping[str, str] | None = None) -> list[Action]:
    """The AMI actions that carry out ``cmd``, every header checked."""
    actions = _render(cmd, routes or {})
    for action in actions:
        check_headers(action)
    return actions
