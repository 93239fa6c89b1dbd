"""The live AMI client: connect, log in, resync, translate, execute -- and never re-send.

panoramisk's ``Manager`` keeps every unanswered action across a connection
loss and sends it again after the next login: an ``Originate`` that reached
Asterisk just before the cut would be dialed twice. Its reconnect delay is
fixed, its pinger never notices a dead peer, ``dispatch`` drops task
references, and an awaited ``Async`` Originate resolves only at the final
``OriginateResponse`` (which then never reaches event handlers). So this
client keeps panoramisk's protocol (action ids, matching replies to actions,
``Action``/``Message``) but owns the connection itself:

* one :class:`ami.protocol.AmiProtocol` per TCP connection, without a re-send
  queue: when the connection drops, every action still waiting for its reply
  fails with :class:`AmiConnectionLost`; nothing is ever sent again;
* an Originate that failed that way raises :class:`OriginateUncertain` and its
  channel id is reported in the next ``PbxConnected.uncertain_channel_ids``;
  the core reconciles with ``live_channel_ids`` (our ChannelId is the
  channel's Uniqueid);
* replies are awaited only up to "Originate successfully queued" (``as_list=False``);
  the outcome arrives as events, ``OriginateResponse`` included;
* reconnects back off exponentially with jitter; a ping with a deadline
  detects a silent peer;
* after each login ``CoreShowChannels`` gives the live channels, those in a bridge
  among them (``BridgeId``, for ``PbxConnected.bridged_channel_ids``); events that
  arrive meanwhile are held back and translated after ``PbxConnected``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Literal, overload

from panoramisk.message import Message

from ami.errors import (
    AmiActionFailed,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    OriginateUncertain,
)
from ami.protocol import AmiProtocol
from ami.render import Action, Headers, render
from ami.session import AmiTarget, login
from ami.translate import Translator
from orchestrator import commands as c
from orchestrator import events as e
from orchestrator.backoff import Backoff

__all__ = [  # the errors are part of this module's API
    "AmiActionFailed", "AmiAuthError", "AmiClient", "AmiConnectionLost", "AmiError", "AmiNotConnected",
    "Backoff", "OriginateUncertain",
]

log = logging.getLogger(__name__)

#: Event classes the runner needs (no dialplan/VarSet/Newexten, no reporting/TestEvent noise).
DEFAULT_EVENT_MASK = "system,call,user,dtmf,agent"


class AmiClient:
    """One PBX node's AMI connection, as core events in and core commands out.

    ``async with AmiClient(host, port, user, secret, node="pbx1") as client:``
    then ``async for event in client.events()`` and ``await client.execute(cmd)``.
    """

    def __init__(
        self, host: str, port: int, username: str, secret: str, *, node: str = "pbx",
        event_mask: str = DEFAULT_EVENT_MASK, routes: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
        ping_interval: float = 10.0, reply_timeout: float = 10.0,
        rng: random.Random | None = None, clock: Callable[[], float] = time.time,
    ) -> None:
        self.host, self.port, self.node = host, port, node
        self._target, self._event_mask = AmiTarget(host, port, username, secret), event_mask
        self._routes = dict(routes or {})  # core route -> dialplan context on this node
        self._backoff = backoff or Backoff()
        self._ping_interval, self._reply_timeout = ping_interval, reply_timeout
        self._rng = rng or random.Random()  # noqa: S311 - reconnect jitter, not a secret
        self._clock = clock
        self._translator = Translator()
        self._queue: asyncio.Queue[e.Event | None] = asyncio.Queue()
        self._protocol: AmiProtocol | None = None
        self._held: list[Message] | None = None  # events arriving during a resync
        self._ready = asyncio.Event()
        self._uncertain: set[str] = set()
        self._supervisor: asyncio.Task[None] | None = None
        # Python 3.11's wait_for can turn a cancellation that meets its timeout into TimeoutError, which
        # the watch loop suppresses: the supervisor then lived on after __aexit__ and the runner never
        # exited on SIGTERM. Every loop also stops on this flag.
        self._closing = False
        self.connections = 0  # successful logins, for tests and status pages
        self.failed_connects = 0

    # --- lifecycle ---

    async def __aenter__(self) -> AmiClient:
        self._supervisor = asyncio.create_task(self._run(), name=f"ami-{self.node}")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait({self._supervisor, ready}, return_when=asyncio.FIRST_COMPLETED)
        if self._supervisor.done():
            ready.cancel()
            self._supervisor.result()  # raises AmiAuthError
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._protocol is not None:
            self._protocol.close()

    async def events(self) -> AsyncIterator[e.Event]:
        """Core events in PBX order, starting with ``PbxConnected``; ends when the client closes."""
        while (event := await self._queue.get()) is not None:
            yield event
        if self._supervisor is not None and self._supervisor.done() and not self._supervisor.cancelled():
            self._supervisor.result()

    def drop_connection(self) -> None:
        """Abort the TCP connection as a network failure would (used by operators and tests)."""
        if self._protocol is not None:
            self._protocol.transport.abort()

    # --- commands ---

    async def execute(self, command: c.Command) -> None:
        """Send ``command``; return once Asterisk accepted it. Never retried, never re-sent.

        Raises :class:`AmiNotConnected` (nothing sent), :class:`OriginateUncertain` /
        :class:`AmiConnectionLost` (sent, fate unknown) or :class:`AmiActionFailed`.
        """
        actions = render(command, self._routes)
        for action in actions:
            await self._send_one(command, action)

    @overload
    async def query(self, action: Headers, *, listing: Literal[False] = False) -> Message: ...
    @overload
    async def query(self, action: Headers, *, listing: Literal[True]) -> list[Message]: ...

    async def query(self, action: Headers, *, listing: bool = False) -> Message | list[Message]:
        """Send a read-only action (``CoreStatus``, ``PJSIPShowContacts``...) and return its reply.

        ``listing=True`` for actions answered by an event list (a list of messages comes back).
        Single-reply actions are sent with ``as_list=False``: panoramisk's guess would
        otherwise wait forever on some (``QueueAdd``, ``AGI``). Nothing is retried.
        """
        if str(action.get("Action", "")).lower() == "originate":
            raise ValueError("originates go through execute(), which tracks them")
        protocol = self._protocol
        if not self._ready.is_set() or protocol is None or not protocol.usable():
            raise AmiNotConnected(f"{self.node}: not connected")
        reply = protocol.send(dict(action), as_list=None if listing else False)
        async with asyncio.timeout(self._reply_timeout):  # never wait_for: see _send_one
            return await reply

    async def _send_one(self, command: c.Command, action: Action) -> None:
        protocol = self._protocol
        if not self._ready.is_set() or protocol is None or not protocol.usable():
            raise AmiNotConnected(f"{self.node}: not connected")
        # No await between the readiness check and this write: it cannot interleave with a
        # reconnect, and no event about the command can be translated before expect().
        future = protocol.send(action, as_list=False)
        self._translator.state.expect(command)
        try:
            # Not wait_for: on Python 3.11 a cancellation that meets the reply is swallowed (the reply is
            # returned instead), so a runner stopped as a command was answered went back to its queue
            # and waited there for ever: it never exited on SIGTERM. timeout() lets the cancel through.
            async with asyncio.timeout(self._reply_timeout):
                reply = await future
        except (AmiConnectionLost, TimeoutError) as exc:
            if isinstance(exc, TimeoutError):
                protocol.transport.abort()  # a peer that does not answer is treated as gone
            if isinstance(command, c.Originate):
                self._uncertain.add(command.channel_id)
                raise OriginateUncertain(command.channel_id) from exc
            raise AmiConnectionLost(f"{action['Action']}: {exc}") from exc
        if not reply.success:
            if isinstance(command, c.Originate):
                self._translator.state.forget_originate(command.channel_id)
            raise AmiActionFailed(str(action["Action"]), reply.get("Message", ""))

    # --- connection supervisor ---

    async def _run(self) -> None:
        try:
            await self._supervise()
        finally:
            self._ready.clear()
            self._queue.put_nowait(None)  # ends events(); it re-raises a fatal error

    async def _supervise(self) -> None:
        failures = 0
        while not self._closing:
            try:
                protocol = await self._connect()
            except AmiAuthError:
                raise
            except (OSError, AmiError, TimeoutError) as exc:  # e.g. a PBX shutting down as we connect
                delay = self._backoff.delay(failures, self._rng)
                failures += 1
                self.failed_connects += 1
                log.warning("AMI %s: connect failed (%s); retrying in %.2f s", self.node, exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            reason = await self._watch(protocol)
            self._ready.clear()
            self._emit(e.PbxDisconnected(self._clock(), self.node, reason=reason))
            log.warning("AMI %s: connection lost (%s)", self.node, reason)
            await asyncio.sleep(self._backoff.delay(0, self._rng))

    async def _connect(self) -> AmiProtocol:
        self._held = []
        protocol = await login(self._target, self._on_message, events=self._event_mask,
                               timeout=self._reply_timeout)
        self._protocol = protocol
        try:
            listing = await asyncio.wait_for(
                protocol.send({"Action": "CoreShowChannels"}, as_list=None), self._reply_timeout)
            if not isinstance(listing, list):  # an Error reply instead of the event list
                raise AmiActionFailed("CoreShowChannels", listing.get("Message", ""))
        except BaseException:
            protocol.close()
            raise
        channels = [m for m in listing if m.get("Event") == "CoreShowChannel" and m.get("Uniqueid")]
        live = frozenset(m["Uniqueid"] for m in channels)
        bridged = frozenset(m["Uniqueid"] for m in channels if m.get("BridgeId"))
        self._translator.resync(m for m in listing if m.get("Event") == "CoreShowChannel")
        uncertain, self._uncertain = frozenset(self._uncertain), set()
        self.connections += 1
        self._emit(e.PbxConnected(self._clock(), self.node, live_channel_ids=live,
                                  uncertain_channel_ids=uncertain, bridged_channel_ids=bridged))
        held, self._held = self._held, None
        for message in held:
            self._translate(message)
        self._ready.set()
        return protocol

    async def _watch(self, protocol: AmiProtocol) -> str:
        """Wait for the connection to end; ping every ``ping_interval`` so that a silent peer is noticed
        (a ping unanswered for as long again aborts the connection: the ESL adapter's watchdog alike)."""
        while not protocol.lost.done():
            if self._closing:
                return "closing"
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(protocol.lost), self._ping_interval)
            try:
                await asyncio.wait_for(protocol.send({"Action": "Ping"}), self._ping_interval)
            except (AmiConnectionLost, AmiNotConnected):
                pass
            except TimeoutError:
                protocol.transport.abort()
        return protocol.lost.result()

    # --- events ---

    def _on_message(self, message: Message) -> None:
        if self._held is not None:
            self._held.append(message)
        else:
            self._translate(message)

    def _translate(self, message: Message) -> None:
        for event in self._translator.translate(message, self._clock()):
            self._emit(event)

    def _emit(self, event: e.Event) -> None:
        self._queue.put_nowait(event)
