"""A scripted AMI server on a loopback port, for client edge cases a real Asterisk
cannot be made to produce on demand (a peer that stops answering, a refused
login, events racing the channel list). Replies follow Asterisk 22's wire
format as recorded in ``tests/ami/recordings``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from tests.ami.loopback import LoopbackServer


def message(**headers: str) -> bytes:
    return ("".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()


def _parse(block: bytes) -> dict[str, str]:
    out = {}
    for line in block.decode().split("\r\n"):
        key, _, value = line.partition(": ")
        out[key.lower()] = value
    return out


@dataclass
class FakeAmi(LoopbackServer):
    secret: str = "s3cret"
    live: list[tuple[str, str]] = field(default_factory=list)  # (uniqueid, attempt id)
    during_resync: list[bytes] = field(default_factory=list)  # events sent inside the channel list
    answer_pings: bool = True
    refuse_listings: int = 0  # answer this many CoreShowChannels with an error
    drop_on_originate: bool = False  # close the connection when an Originate arrives
    connections: int = 0
    received: list[dict[str, str]] = field(default_factory=list)

    def actions(self, name: str) -> list[dict[str, str]]:
        return [a for a in self.received if a.get("action", "").lower() == name.lower()]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        buffer = b""
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                *blocks, buffer = (buffer + chunk).split(b"\r\n\r\n")
                for block in blocks:
                    action = _parse(block)
                    self.received.append(action)
                    if not self._reply(action, writer):
                        writer.transport.abort()
                        return
                await writer.drain()

    def _reply(self, action: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        name, aid = action.get("action", "").lower(), action.get("actionid", "")
        if name == "login":
            if action.get("secret") != self.secret:
                writer.write(message(Response="Error", ActionID=aid, Message="Authentication failed"))
                return True
            writer.write(message(Response="Success", ActionID=aid, Message="Authentication accepted"))
            writer.write(message(Event="FullyBooted", Privilege="system,all", Status="Fully Booted"))
        elif name == "coreshowchannels" and self.refuse_listings > 0:
            self.refuse_listings -= 1
            writer.write(message(Response="Error", ActionID=aid, Message="Permission denied"))
        elif name == "coreshowchannels":
            writer.write(message(Response="Success", ActionID=aid, EventList="start",
                                 Message="Channels will follow"))
            for event in self.during_resync:
                writer.write(event)
            for uniqueid, attempt in self.live:
                writer.write(message(Event="CoreShowChannel", ActionID=aid, Channel="PJSIP/world-1",
                                     Uniqueid=uniqueid, ChanVariable=f"sb_attempt_id={attempt}"))
            writer.write(message(Event="CoreShowChannelsComplete", ActionID=aid, EventList="Complete",
                                 ListItems=str(len(self.live))))
        elif name == "ping":
            if self.answer_pings:
                writer.write(message(Response="Success", ActionID=aid, Ping="Pong"))
        elif name == "originate":
            if self.drop_on_originate:
                return False
            writer.write(message(Response="Success", ActionID=aid, Message="Originate successfully queued"))
        else:
            writer.write(message(Response="Success", ActionID=aid))
        return True
