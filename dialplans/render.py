"""Render the PBX-side dialplan and tuning files from templates.

The same route names are used on both PBXs (``sb-outbound``, ``sb-abandon``,
``sb-leave-message``, ``sb-agent-hold``): the core only ever names routes,
each PBX's templates say what a route does there.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

ROUTES = ("sb-outbound", "sb-abandon", "sb-leave-message", "sb-agent-hold")


@dataclass(frozen=True)
class AmdTuning:
    """app_amd parameters (milliseconds, words, energy threshold)."""

    initial_silence: int = 2500
    greeting: int = 1500
    after_greeting_silence: int = 800
    total_analysis_time: int = 5000
    min_word_length: int = 100
    between_words_silence: int = 50
    maximum_number_of_words: int = 2
    silence_threshold: int = 512
    maximum_word_length: int = 5000


@dataclass(frozen=True)
class DialplanParams:
    amd: AmdTuning = field(default_factory=AmdTuning)
    safety_wait_s: int = 10
    default_abandon_sound: str = "vm-goodbye"
    message_silence_ms: int = 1500
    message_wait_max_s: int = 20


_env = Environment(
    loader=PackageLoader("dialplans", "."),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # Asterisk config, not HTML
)


def render_asterisk(params: DialplanParams | None = None) -> dict[str, str]:
    """File name (relative to the Asterisk config dir) -> rendered text."""
    params = params or DialplanParams()
    context = {**params.__dict__}
    return {
        "extensions-switchboard.conf": _env.get_template(
            "asterisk/extensions-switchboard.conf.j2").render(context),
        "amd.conf": _env.get_template("asterisk/amd.conf.j2").render(context),
    }


def write_atomically(directory: Path, files: dict[str, str]) -> list[str]:
    """Write files that changed (temp file + rename, so the PBX never reads half a file).

    Returns the names that changed, so the caller reloads only when needed.
    """
    changed = []
    for name, text in files.items():
        target = directory / name
        if target.exists() and target.read_text() == text:
            continue
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        changed.append(name)
    return changed
