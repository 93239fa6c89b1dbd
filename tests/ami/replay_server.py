"""A fake Asterisk that replays a recorded AMI session to a real client.

The recording says which actions the recorder sent and how many bytes it had
received by then. The server answers the client's ``Login`` with the bytes up
to the recorder's next action, each further action with the next recorded
segment -- after checking that the client sent the same action (ActionIDs
aside: the recorded ``rec-N`` ids in the replayed bytes are rewritten to the
client's). ``CoreShowChannels`` and ``Ping``, which the recorder never sent,
are answered as Asterisk does with no live channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

from tests.ami.loopback import LoopbackServer
from tests.ami.recording import Recording

_ACTION_ID = re.compile(rb"^ActionID: (rec-\d+)\r$", re.M)


def _parse(block: bytes) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for line in block.decode().split("\r\n"):
        key, _, value = line.partition(": ")
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def _without_id(action: dict) -> dict:
    """Comparable form: case-insensitive names, every value a list (one header or many)."""
    return {k.lower(): [v] if isinstance(v, str) else list(v)
            for k, v in action.items() if k.lower() != "actionid"}


class ReplayAmi(LoopbackServer):
    def __init__(self, recording: Recording) -> None:
        super().__init__()
        self.rec = recording
        self.errors: list[str] = []
        self._next = 0  # index in rec.sent of the next expected action
        self._ids: dict[bytes, bytes] = {}  # recorded ActionID -> the client's

    def finished(self) -> bool:
        return self._next == len(self.rec.sent)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        buffer = b""
        # cancelled when the test's event loop ends while the client is still connected
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while chunk := await reader.read(65536):
                *blocks, buffer = (buffer + chunk).split(b"\r\n\r\n")
                for block in blocks:
                    writer.write(self._answer(_parse(block)))
                await writer.drain()

    def _answer(self, action: dict) -> bytes:
        name = str(action.get("Action", "")).lower()
        client_id = str(action.get("ActionID", ""))
        if name == "coreshowchannels":
            return (f"Response: Success\r\nActionID: {client_id}\r\nEventList: start\r\n"
                    f"Message: Channels will follow\r\n\r\n"
                    f"Event: CoreShowChannelsComplete\r\nActionID: {client_id}\r\nEventList: Complete\r\n"
                    f"ListItems: 0\r\n\r\n").encode()
        if name == "ping":
            return f"Response: Success\r\nActionID: {client_id}\r\nPing: Pong\r\n\r\n".encode()
        if self._next >= len(self.rec.sent):
            self.errors.append(f"unexpected action after the recording ended: {action}")
            return b""
        recorded = self.rec.sent[self._next]["action"]
        if name == "login":  # the recorder asked for every event and hid its secret
            recorded = {**recorded, "Secret": action.get("Secret"), "Events": action.get("Events")}
        if _without_id(action) != _without_id(recorded):
            self.errors.append(f"action {self._next}: sent {action}, recorded {recorded}")
        self._ids[str(recorded["ActionID"]).encode()] = client_id.encode()
        self._next += 1
        start = self.rec.sent[self._next - 1]["offset"]
        end = self.rec.sent[self._next]["offset"] if self._next < len(self.rec.sent) else len(self.rec.data)
        return _ACTION_ID.sub(lambda m: b"ActionID: " + self._ids.get(m[1], m[1]) + b"\r",
                              self.rec.data[start:end])
