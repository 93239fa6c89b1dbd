"""Sentences that code without a request (services, pure reports) builds for a page to show.

Such code knows no language: it returns a ``Message``, an English msgid marked with ``N_`` for the
catalogue, with named placeholders and their values; the page translates it (``web.i18n.fill``, the
``say`` filter) and ``str()`` gives the English, for logs and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Marks ``message`` for ``pybabel extract`` (keyword ``N_``) without translating it."""
    return message


@dataclass(frozen=True)
class Code:
    """A stored code inside a message, shown as the reader's word for it (``web.labels``, ``kind``)."""

    value: str
    kind: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Seconds:
    """A duration in a message, ``digits`` decimals: "5.0" in English, per the reader's language on a page."""

    value: float
    digits: int = 0

    def __str__(self) -> str:
        return f"{self.value:.{self.digits}f}"


@dataclass(frozen=True)
class Message:
    message: str
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % {k: str(v) for k, v in self.params.items()} if self.params else self.message

    def __bool__(self) -> bool:
        return bool(self.message)
