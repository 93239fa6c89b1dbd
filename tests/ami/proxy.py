"""A loopback TCP proxy in front of AMI that can hold back actions and replies, then cut.

It lets a test create the one situation that duplicates an Originate: the
action reached Asterisk, the reply did not reach the client, the connection
dropped. Client->server traffic is forwarded action by action, so
the proxy knows exactly which Originates Asterisk has been given.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

_ORIGINATE = re.compile(rb"^Action: Originate\r?$", re.I | re.M)
_CHANNEL_ID = re.compile(rb"^ChannelId: (\S+)\r?$", re.I | re.M)


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.forwarded_originates: list[str] = []  # ChannelIds Asterisk was given
        self.freeze_after: int | None = None  # stop forwarding after this many Originates
        self.frozen = asyncio.Event()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    def cut(self) -> None:
        """Abort every proxied connection (both sides), like a network failure; stop freezing."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self.freeze_after = None
        self.frozen.clear()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        server_r, server_w = await asyncio.open_connection(*self.target)
        self._writers |= {client_w, server_w}
        for coro in (self._to_server(client_r, server_w), self._to_client(server_r, client_w)):
            task = asyncio.create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _to_server(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while chunk := await reader.read(65536):
                *actions, buffer = (buffer + chunk).split(b"\r\n\r\n")
                for action in actions:
                    if self.frozen.is_set():
                        continue  # dropped: never reaches Asterisk
                    writer.write(action + b"\r\n\r\n")
                    if _ORIGINATE.search(action):
                        self.forwarded_originates.append(_CHANNEL_ID.search(action).group(1).decode())
                        limit = self.freeze_after
                        if limit is not None and len(self.forwarded_originates) >= limit:
                            self.frozen.set()
                await writer.drain()

    async def _to_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while chunk := await reader.read(65536):
                if not self.frozen.is_set():  # replies are lost while frozen
                    writer.write(chunk)
                    await writer.drain()
