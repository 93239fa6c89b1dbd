"""A plain AMI session: log in, send actions, read raw events -- for provisioning and the lab.

:class:`ami.connection.AmiClient` is the runner's client (core events in, core
commands out, reconnects). Tools that only need Asterisk's own messages use
this module instead, on the same protocol (:class:`ami.protocol.AmiProtocol`:
no re-send after a connection loss, no line breaks in headers) and the same
login (:func:`login`, which ``AmiClient`` uses too):

* :func:`ami_session` -- an ``async with`` session whose every event lands in
  a queue to wait on (the lab and the live tests);
* :func:`run_actions` -- one short synchronous session for one-shot actions
  (``asyncio.run`` around it): the web process that provisions seats has no
  event loop of its own, and a provisioning click is rare.

Originate is sent ``Async`` with ``as_list=False`` by its callers, so the reply
resolves at "successfully queued", not at the ``OriginateResponse``; callers
wait on events with a timeout, never sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from panoramisk.message import Message

from ami.errors import AmiAuthError, AmiConnectionLost
from ami.protocol import AmiProtocol
from ami.render import Action

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class AmiTarget:
    """Where a PBX's AMI listens and who we log in as (no secret in the repr)."""

    host: str
    port: int
    username: str
    secret: str = field(repr=False)


async def login(target: AmiTarget, on_message: Callable[[Message], None], *, events: str = "on",
                timeout: float = TIMEOUT_S) -> AmiProtocol:
    """Connect and log in; the protocol hands every event to ``on_message``.

    Raises :class:`AmiAuthError` when Asterisk refuses the credentials, and
    :class:`AmiConnectionLost` when it refuses because it is shutting down (a
    restarting PBX, worth another try).
    """
    loop = asyncio.get_running_loop()
    _, protocol = await asyncio.wait_for(
        loop.create_connection(lambda: AmiProtocol(on_message), target.host, target.port), timeout)
    try:
        action = {"Action": "Login", "Username": target.username, "Secret": target.secret, "Events": events}
        reply = await asyncio.wait_for(protocol.send(action), timeout)
        if not reply.success:
            message = str(reply.get("Message", "login refused"))
            if "shutting down" in message.lower():
                raise AmiConnectionLost(f"{target.host}:{target.port}: {message}")
            raise AmiAuthError(f"{target.host}:{target.port}: {message}")
    except BaseException:
        protocol.close()
        raise
    return protocol


@dataclass
class AmiSession:
    """One logged-in connection; ``events`` queues every event, ``seen`` keeps those waited over."""

    protocol: AmiProtocol
    events: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    seen: list[Message] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        """True once the connection ended (e.g. the PBX restarted): log in again."""
        return self.protocol.lost.done()

    async def action(self, action: Action, as_list: bool | None = None) -> Message | list[Message]:
        """Send ``action``; ``as_list=None`` lets the reply tell whether an event list follows."""
        return await asyncio.wait_for(self.protocol.send(dict(action), as_list=as_list), TIMEOUT_S)

    async def wait_event(self, predicate: Callable[[Message], bool], timeout: float = TIMEOUT_S) -> Message:
        """The first event (already seen or arriving within ``timeout``) that matches."""
        for message in self.seen:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching AMI event within {timeout} s")
            message = await asyncio.wait_for(self.events.get(), remaining)
            self.seen.append(message)
            if predicate(message):
                return message


@asynccontextmanager
async def ami_session(target: AmiTarget, *, events: str = "on") -> AsyncIterator[AmiSession]:
    queue: asyncio.Queue[Message] = asyncio.Queue()
    protocol = await login(target, queue.put_nowait, events=events)
    try:
        yield AmiSession(protocol, queue)
    finally:
        protocol.close()


def event_of(name: str, uniqueid: str) -> Callable[[Message], bool]:
    """Match event ``name`` (e.g. "Hangup") on the channel with ``uniqueid``."""
    return lambda m: m.get("Event") == name and m.get("Uniqueid") == uniqueid


def run_actions(target: AmiTarget, actions: Sequence[Action], *,
                timeout: float = 5.0) -> list[Message | list[Message]]:
    """Send ``actions`` in order over one short session, without events, and return the replies."""

    async def session() -> list[Message | list[Message]]:
        protocol = await login(target, lambda _message: None, events="off", timeout=timeout)
        try:
            return [await asyncio.wait_for(protocol.send(dict(a), as_list=None), timeout) for a in actions]
        finally:
            protocol.close()

    return asyncio.run(session())
