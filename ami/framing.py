"""Split an AMI byte stream into messages, whatever the TCP read boundaries.

panoramisk's ``AMIProtocol.data_received`` decodes every read on its own
(``bytes.decode(..., 'ignore')``), so a UTF-8 character split across two reads
(an accented caller name) is silently dropped. Messages end with an empty
line (``\\r\\n\\r\\n``), which is pure ASCII and can never occur inside a
multi-byte UTF-8 sequence, so we frame on bytes first and decode whole
messages only. Parsing a message's headers is left to panoramisk's
``Message.from_line`` (repeated headers become lists, as in
``ChanVariable``/``Variable``).
"""

from __future__ import annotations

from panoramisk.message import Message

_END = b"\r\n\r\n"
_GREETING = b"Asterisk Call Manager/"


class Framer:
    """Incremental framer: ``feed(chunk)`` returns the messages completed by that chunk."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding
        self.version: str | None = None
        self._buffer = b""
        self._greeted = False

    def feed(self, chunk: bytes) -> list[Message]:
        self._buffer += chunk
        if not self._greeted:
            # The greeting is one line, not a message: keep it out of the first message.
            if len(self._buffer) < len(_GREETING) and _GREETING.startswith(self._buffer):
                return []
            if self._buffer.startswith(_GREETING):
                line, sep, rest = self._buffer.partition(b"\r\n")
                if not sep:
                    return []
                self.version = line[len(_GREETING):].decode("ascii", "replace")
                self._buffer = rest
            self._greeted = True
        *blocks, self._buffer = self._buffer.split(_END)
        messages = []
        for block in blocks:
            text = block.decode(self.encoding, "replace").strip()
            message = Message.from_line(text) if text else None
            if message is not None:
                messages.append(message)
        return messages
