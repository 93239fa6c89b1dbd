"""panoramisk's AMI protocol for one TCP connection, minus its re-send queue.

panoramisk's ``AMIProtocol.close`` moves every unanswered action to its
``Manager``'s ``awaiting_actions``, sent again after the next login. Here the
protocol fails them instead (:class:`AmiConnectionLost`) and lives exactly as
long as its connection: a reconnect is a new protocol with no memory of the
old one's actions. Framing is :class:`ami.framing.Framer` (byte-level, UTF-8
safe); matching replies to actions stays panoramisk's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from ami.errors import AmiConnectionLost, AmiNotConnected
from ami.framing import Framer
from ami.render import Headers, check_headers


class AmiProtocol(AMIProtocol):
    """One AMI connection: write actions, match replies, hand events on, fail (never queue) on loss."""

    closed: bool  # panoramisk's: set by connection_made, and by _end here

    def __init__(self, on_message: Callable[[Message], None]) -> None:
        self._on_message = on_message
        self._framer = Framer()
        self.lost: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.factory = self  # panoramisk hands unsolicited events to factory.dispatch
        self.encoding = "utf-8"

    def dispatch(self, message: Message) -> None:
        self._on_message(message)

    def data_received(self, data: bytes) -> None:
        for message in self._framer.feed(data):
            self.handle_message(message)

    def usable(self) -> bool:
        return not self.closed and not self.transport.is_closing()

    def send(self, data: Headers, as_list: bool | None = False) -> asyncio.Future[Any]:
        """Every byte we write passes here: no header may carry a line break (login included)."""
        check_headers(data)
        if not self.usable():
            raise AmiNotConnected("AMI connection is closing")
        return super().send(data, as_list=as_list)

    def connection_lost(self, exc: Exception | Message | None) -> None:
        reason = "shutdown" if isinstance(exc, Message) else str(exc or "closed by peer")
        self._end(reason)

    def close(self) -> None:
        self._end("closed by us")

    def _end(self, reason: str) -> None:
        # Fail, never queue: the caller decides what an unacknowledged action means.
        pending = {id(a): a for a in self.responses.values()}.values()
        self.responses.clear()
        for action in pending:
            if not action.future.done():
                action.future.set_exception(AmiConnectionLost(f"{action['Action']}: {reason}"))
        if not self.closed:
            self.closed = True
            self.transport.close()
        if not self.lost.done():
            self.lost.set_result(reason)
