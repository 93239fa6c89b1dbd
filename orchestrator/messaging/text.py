"""A message's text: merge fields filled from the lead, the coding Kannel must use, the parts it takes.

GSM 03.38 text is 160 characters in one SMS, 153 per part once split (the
concatenation header takes 7); its extension characters (``€ [ ] { } ...``) cost
two. Anything else (Chinese, emoji) goes as UCS-2: 70 UTF-16 units in one SMS,
67 per part. Kannel splits and concatenates (``concatenation``, ``max-messages``);
these counts let the form refuse what Kannel would truncate and show the cost.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Coding(IntEnum):
    """Kannel's ``coding`` parameter."""

    GSM = 0
    UCS2 = 2


class TemplateError(ValueError):
    """A template the sender cannot fill (bad braces, unknown field)."""


@dataclass(frozen=True, slots=True)
class Shape:
    coding: Coding
    units: int  # septets (GSM) or UTF-16 code units (UCS-2)
    parts: int


def fields_of(template: str) -> tuple[str, ...]:
    """The merge fields a template names, e.g. ``("first_name", "phone")``; bad braces raise."""
    names = []
    try:
        for _literal, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if not _FIELD.fullmatch("{" + name + "}") or spec or conversion:
                raise TemplateError(f"bad merge field {{{name}}} (want {{field_name}})")
            names.append(name)
    except ValueError as exc:
        if isinstance(exc, TemplateError):
            raise
        raise TemplateError(f"bad template: {exc} (write {{{{ and }}}} for literal braces)") from None
    return tuple(dict.fromkeys(names))


def fill(template: str, values: Mapping[str, object]) -> str:
    """The template with every ``{field}`` replaced by the lead's value (a missing value is empty)."""
    fields_of(template)
    return template.format_map({name: "" if values.get(name) is None else values[name]
                                for name in fields_of(template)})


def check(template: str, max_parts: int) -> None:
    """Raise :class:`TemplateError` for a template the sender could not fill, or one longer than
    ``max_parts`` SMS parts (what Kannel would cut)."""
    fields_of(template)
    if shape(template).parts > max_parts:
        raise TemplateError(f"longer than {max_parts} SMS parts")


def shape(text: str) -> Shape:
    """The coding, size and number of parts ``text`` takes as SMS."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        units = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        single, part, coding = 160, 153, Coding.GSM
    else:
        units = len(text.encode("utf-16-be")) // 2
        single, part, coding = 70, 67, Coding.UCS2
    return Shape(coding, units, 1 if units <= single else math.ceil(units / part))
