"""A panoramisk AMI session for the sandbox tests and benches: every event lands in a queue to wait on.

Sticks to the DESIGN's traps: ``Originate`` is sent ``Async`` with
``as_list=False`` (so the reply resolves at "successfully queued", not at the
``OriginateResponse``), and tests wait on events with a timeout, never sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from panoramisk import Manager
from panoramisk.message import Message

from provisioning.seats import AmiTarget

TIMEOUT_S = 10.0


@dataclass
class AmiSession:
    manager: Manager
    events: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    seen: list[Message] = field(default_factory=list)

    async def action(self, action: dict[str, str], as_list: bool | None = None) -> Message | list[Message]:
        return await asyncio.wait_for(self.manager.send_action(action, as_list=as_list), TIMEOUT_S)

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
async def ami_session(target: AmiTarget) -> AsyncIterator[AmiSession]:
    manager = Manager(host=target.host, port=target.port, username=target.username, secret=target.secret,
                      ping_delay=3600, reconnect_timeout=3600)
    session = AmiSession(manager)
    manager.register_event("*", lambda _manager, message: session.events.put_nowait(message))
    try:
        await asyncio.wait_for(manager.connect(), TIMEOUT_S)
        await asyncio.wait_for(manager.authenticated_future, TIMEOUT_S)
        if not manager.authenticated:
            raise ConnectionError(f"AMI login refused by {target.host}:{target.port}")
        yield session
    finally:
        manager.close()


def event_of(name: str, uniqueid: str) -> Callable[[Message], bool]:
    """Match event ``name`` (e.g. "Hangup") on the channel with ``uniqueid``."""
    return lambda m: m.get("Event") == name and m.get("Uniqueid") == uniqueid
