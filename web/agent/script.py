"""The campaign script as the agent reads it: merge fields such as ``{first_name}`` filled from the lead.

A field is looked up by its name with case and spaces ignored (``{first_name}`` finds a column
imported as "First name"); ``{phone}`` and ``{external_ref}`` are the lead's own. A field the lead
does not have shows as ``[first_name]``: the agent sees something is missing instead of a brace
to read aloud. The result is plain text; the template escapes it, so a lead's field can never
inject markup into the panel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_FIELD = re.compile(r"\{\s*([A-Za-z0-9_ .-]{1,64}?)\s*\}")


def _key(name: str) -> str:
    return re.sub(r"[\s.-]+", "_", name.strip().lower())


def merge_values(fields: Mapping[str, Any], phone: str, external_ref: str | None) -> dict[str, str]:
    """The values a script may name, by normalised name."""
    values = {_key(k): "" if v is None else str(v) for k, v in fields.items()}
    values.setdefault("phone", phone)
    values.setdefault("external_ref", external_ref or "")
    return values


def fill(script: str, values: Mapping[str, str]) -> str:
    """``script`` with each ``{name}`` replaced by its value, or ``[name]`` when the lead has none."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(_key(name), "")
        return value if value.strip() else f"[{name}]"

    return _FIELD.sub(one, script)
