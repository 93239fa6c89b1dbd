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
    "check_token",
    "check_variable_name",
    "check_variable_value",
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


def check_variable_value(value: object) -> str:
    if not isinstance(value, str) or len(value) > 255 or _VALUE_FORBIDDEN.search(value):
        raise UnsafeValue(f"invalid channel variable value: {value!r}")
    return value
