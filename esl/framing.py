"""Split a FreeSWITCH Event Socket byte stream into frames, and frames into events.

Why not greenswitch's parser: it reads line by line, URL-decodes a whole event
body *before* splitting it into lines (an encoded ``%0A`` in a value becomes a
fake header), keeps only the last of duplicate headers (``Hangup-Cause`` comes
twice in CHANNEL_HANGUP_COMPLETE), folds a BACKGROUND_JOB's nested body into
its ``Content-Length`` header, cannot read ``text/event-json``, and spins
forever if the socket closes in the middle of a body. ESL framing is simple
enough to do right here, on bytes, whatever the TCP read boundaries:

* a frame is ``Name: value`` lines ended by an empty line; when it has
  ``Content-Length: N``, exactly N body bytes follow and the next frame starts
  right after them (no separator; bodies need not end in a newline);
* ``text/event-plain`` bodies are a second header block with percent-encoded
  values (no ``+``-to-space), optionally followed by a nested body announced by
  an inner ``Content-Length`` (BACKGROUND_JOB results);
* ``text/event-json`` bodies are one JSON object of strings, the nested body
  under ``_body``; duplicate keys are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote

_END = b"\n\n"

Headers = tuple[tuple[str, str], ...]


def _lookup(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value
    return None


@dataclass(frozen=True, slots=True)
class Frame:
    """One outer ESL message: a reply, an API response, an event or a disconnect notice."""

    headers: Headers
    body: bytes = b""

    def get(self, name: str, default: str = "") -> str:
        value = _lookup(self.headers, name)
        return default if value is None else value

    @property
    def content_type(self) -> str:
        return self.get("Content-Type")

    @property
    def is_event(self) -> bool:
        return self.content_type in ("text/event-plain", "text/event-json")

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class EslEvent:
    """A decoded event: headers in arrival order (duplicates kept) and the nested body."""

    headers: Headers
    body: str = ""

    def get(self, name: str, default: str = "") -> str:
        """The first value of ``name`` (FreeSWITCH repeats some headers with the same value)."""
        value = _lookup(self.headers, name)
        return default if value is None else value

    def get_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    @property
    def name(self) -> str:
        return self.get("Event-Name")

    @property
    def subclass(self) -> str:
        return self.get("Event-Subclass")


def _split_header_block(block: bytes, decode_values: bool) -> Headers:
    headers = []
    for line in block.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        headers.append((key, unquote(value) if decode_values else value))
    return tuple(headers)


class FrameError(ValueError):
    """The stream is not ESL (e.g. a non-numeric Content-Length): the connection must be dropped."""


class Framer:
    """Incremental framer: ``feed(chunk)`` returns the frames completed by that chunk."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pending: Headers | None = None  # headers whose body has not fully arrived
        self._pending_length = 0

    def feed(self, chunk: bytes) -> list[Frame]:
        self._buffer += chunk
        frames: list[Frame] = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)

    @property
    def has_partial(self) -> bool:
        """Some bytes are not yet a complete frame (true at EOF = the stream was cut mid-frame)."""
        return bool(self._buffer) or self._pending is not None

    def _next(self) -> Frame | None:
        if self._pending is None:
            # FreeSWITCH sends no blank lines between frames; tolerate them anyway.
            while self._buffer.startswith(b"\n"):
                del self._buffer[:1]
            end = self._buffer.find(_END)
            if end < 0:
                return None
            headers = _split_header_block(bytes(self._buffer[:end]), decode_values=False)
            del self._buffer[: end + len(_END)]
            length_text = _lookup(headers, "Content-Length")
            if length_text is None:
                return Frame(headers)
            try:
                self._pending_length = int(length_text)
            except ValueError as exc:
                raise FrameError(f"bad Content-Length: {length_text!r}") from exc
            if self._pending_length < 0:
                raise FrameError(f"bad Content-Length: {length_text!r}")
            self._pending = headers
        if len(self._buffer) < self._pending_length:
            return None
        body = bytes(self._buffer[: self._pending_length])
        del self._buffer[: self._pending_length]
        headers, self._pending = self._pending, None
        return Frame(headers, body)


def parse_event(frame: Frame) -> EslEvent:
    """Decode the event carried by an event frame (plain or JSON)."""
    if frame.content_type == "text/event-json":
        return _parse_json_event(frame.body)
    if frame.content_type != "text/event-plain":
        raise ValueError(f"not an event frame: {frame.content_type!r}")
    block, sep, rest = frame.body.partition(_END)
    headers = _split_header_block(block, decode_values=True)
    if not sep:
        return EslEvent(headers)
    length_text = _lookup(headers, "Content-Length")
    body = rest[: int(length_text)] if length_text and length_text.isdigit() else rest
    return EslEvent(headers, body.decode("utf-8", "replace"))


def _parse_json_event(body: bytes) -> EslEvent:
    pairs: list[tuple[str, str]] = []

    def keep_pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        pairs[:] = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in items]
        return {}

    json.loads(body.decode("utf-8", "replace"), object_pairs_hook=keep_pairs)
    nested = _lookup(tuple(pairs), "_body") or ""
    return EslEvent(tuple((k, v) for k, v in pairs if k != "_body"), nested)
