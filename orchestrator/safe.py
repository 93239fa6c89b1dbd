"""Validation of every value that can reach an AMI header or a dial string.

Values are checked when a command is *built*, so an unsafe command cannot
exist and no adapter has to remember to escape. Rejecting is preferred to
escaping: AMI has no escaping for CR/LF, and Asterisk/FreeSWITCH dial strings
give `,` `&` `|` `{}` `'` `^` special meanings that differ between the two.
"""

from __future__ import annotations

import re

__all__ = [
    "UnsafeValue",
    "check_channel_id",
    "check_dial_number",
    "check_sound",
    "check_token",
    "check_variable_name",
    "check_variable_value",
    "is_tone_stream",
]


class UnsafeValue(ValueError):
    """A value would change the meaning of a PBX command if sent."""


_TOKEN = re.compile(r"[A-Za-z0-9_.\-]{1,80}\Z")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
# E.164 with optional leading '+', or a short internal extension.
_NUMBER = re.compile(r"\+?[0-9]{2,15}\Z")
_CHANNEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}\Z")
# Printable text without any character that separates headers, dial targets,
# options or channel variables on either PBX.
_VALUE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f,&|{}\[\]'\"\\^;=]")


# A sound file: a path of plain name characters (relative to the PBX's sounds dir, or absolute).
_SOUND_FILE = re.compile(r"[A-Za-z0-9_./\-]{1,200}\Z")
# FreeSWITCH's generated tones, a strict subset of its grammar: optional L=/v= settings, then up to
# ten ``%(on_ms,off_ms,freq[,freq...])`` segments, optional loops. Its commas, parentheses and
# semicolons appear only in these places; no quotes, braces, ``$``, spaces or other text.
_TONE_SEGMENT = r"%\(\d{1,5},\d{1,5}(?:,\d{1,5}(?:\.\d{1,3})?){1,4}\)"
_TONE_STREAM = re.compile(
    rf"tone_stream://(?:[Lv]=-?\d{{1,4}};){{0,2}}{_TONE_SEGMENT}(?:;{_TONE_SEGMENT}){{0,9}}(?:;loops=-?\d{{1,4}})?\Z"
)


def _check(pattern: re.Pattern[str], value: object, what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise UnsafeValue(f"invalid {what}: {value!r}")
    return value


def check_token(value: object, what: str = "token") -> str:
    """Names that reach the PBX verbatim: trunks, contexts, queues, seats, sounds."""
    return _check(_TOKEN, value, what)


def check_dial_number(value: object) -> str:
    """Digits only (optional '+'): nothing that could add a second dial target."""
    return _check(_NUMBER, value, "dial number")


def check_channel_id(value: object) -> str:
    return _check(_CHANNEL_ID, value, "channel id")


def check_variable_name(value: object) -> str:
    return _check(_VAR_NAME, value, "channel variable name")


def is_tone_stream(value: object) -> bool:
    """A FreeSWITCH ``tone_stream://`` in the strict form :func:`check_sound` accepts."""
    return isinstance(value, str) and _TONE_STREAM.match(value) is not None


def check_sound(value: object, what: str = "sound") -> str:
    """A sound to play: a file path of plain characters, or a strict ``tone_stream://`` (FreeSWITCH).

    Renderers for a PBX without tone streams (Asterisk) must refuse the latter themselves.
    """
    if isinstance(value, str) and ".." not in value and (_SOUND_FILE.match(value) or is_tone_stream(value)):
        return value
    raise UnsafeValue(f"invalid {what}: {value!r}")


def check_variable_value(value: object) -> str:
    if not isinstance(value, str) or len(value) > 255 or _VALUE_FORBIDDEN.search(value):
        raise UnsafeValue(f"invalid channel variable value: {value!r}")
    return value
