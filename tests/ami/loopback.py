"""The loopback TCP server life cycle shared by the fake AMI servers of these tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class LoopbackServer:
    """Listens on 127.0.0.1; subclasses implement ``_serve`` and register their writers."""

    port: int = 0
    _server: asyncio.Server | None = field(default=None, init=False, repr=False)
    _writers: list[asyncio.StreamWriter] = field(default_factory=list, init=False, repr=False)

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Abort every client connection (as a crashed peer would), then stop listening."""
        for writer in self._writers:
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError
