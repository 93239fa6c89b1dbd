"""The AMI runner's main loop: one asyncio process per Asterisk node.

What every runner does with its node (campaign set, one transaction of facts
per input, start-up recovery, which old agent legs to sweep) is
``node.NodeCore``; this module is the asyncio side for Asterisk:

* AMI events (``ami.connection.AmiClient.events``) are fed to the core; a
  ``Tick`` every ``tick_s`` and no later than the dialers' next deadline; desk
  commands and campaign states are polled (``NodeCore.housekeeping``), at once
  when the command listener (``runner.wakeup``, PostgreSQL) hears of a new one.
* Two senders keep order within their queue: originates go through a
  node-wide rate limit (the node sustains ~20 originates/s with AMD; Asterisk
  locked up at 100/s), everything else (bridge, hangup, redirect, recording)
  goes out at once so a hand-off is never stuck behind a dialing burst.
* ``AmiActionFailed`` on an originate becomes an ``OriginateFailed`` event
  (Asterisk refused it: no channel will ever report); a command that could not
  be sent or whose reply was lost is left to the reconnect: the core reconciles
  with the live channels on ``PbxConnected``.
* On the first connect: the dialplan is installed (``--dialplan-dir``), then a
  previous run's nailed-up legs (``CoreShowChannels`` in ``sb-agent-hold``)
  are swept before the agents are logged in again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ami.connection import AmiActionFailed, AmiClient, AmiError
from dialplans.render import AmdTuning
from orchestrator import commands as c
from orchestrator.dialer import routes
from orchestrator.events import ChannelCreated, Event, HungUp, OriginateFailed, PbxConnected, Tick
from runner import install, wakeup
from runner.handoff import LAG_REPORT_S, Handoff
from runner.lease import NodeLease
from runner.node import (
    AGENT_LEG_VAR,
    HoldLeg,
    NodeCore,
    NodeInfo,
    RateLimit,
    RunnerOptions,
    UnknownNode,
    load_node,
    originate_limit,
)

__all__ = ["AmiRunner", "RunnerOptions", "UnknownNode", "load_node", "run_forever"]

log = logging.getLogger("runner")


def _seat_of(channel_name: str) -> str:
    """``PJSIP/agent001-0000002a`` -> ``agent001``."""
    return channel_name.partition("/")[2].rpartition("-")[0]


def hold_legs(listing: Any, marks: dict[str, str] | None = None) -> list[HoldLeg]:
    """``CoreShowChannels`` entries in the agent-hold context as :class:`HoldLeg`.

    ``marks``: channel name -> its ``AGENT_LEG_VAR`` (read with ``Getvar``: the
    manager's ``channelvars`` need not list it).
    """
    marks = marks or {}
    return [HoldLeg(msg.get("Uniqueid", ""), _seat_of(msg.get("Channel", "")), bool(msg.get("BridgeId")),
                    marks.get(msg.get("Channel", ""), ""))
            for msg in hold_entries(listing)]


def hold_entries(listing: Any) -> list[Any]:
    return [msg for msg in (listing if isinstance(listing, list) else [])
            if msg.get("Event") == "CoreShowChannel" and msg.get("Context") == routes.AGENT_HOLD]


async def take(limit: RateLimit) -> None:
    while (delay := limit.wait_s()) > 0:
        await asyncio.sleep(delay)


class AmiRunner(NodeCore):
    route_handles_machines = True  # sb-outbound runs AMD() and handles machines
    amd_verdict_lag_s = AmdTuning().after_greeting_silence / 1000  # AMD() hears this much silence first

    def __init__(self, sessions: sessionmaker[Session], node: NodeInfo, options: RunnerOptions | None = None,
                 *, claimed_by: str | None = None, lease: NodeLease | None = None) -> None:
        super().__init__(sessions, node, options, claimed_by=claimed_by, lease=lease)
        self.client: AmiClient | None = None
        self._originates: asyncio.Queue[c.Command] = asyncio.Queue()
        self._others: asyncio.Queue[c.Command] = asyncio.Queue()
        self._created: set[str] = set()  # channels created and not hung up yet
        self.handoff = Handoff()  # own hand-off and event lag, logged for bench.live
        self._wake = asyncio.Event()  # set by the command listener: poll desk commands now

    def feed(self, event: Event) -> None:
        self.handoff.taken(event)
        super().feed(event)

    @property
    def _ami(self) -> AmiClient:
        """The connection being served: the tasks below run only inside :meth:`_serve`, after it was set."""
        if self.client is None:
            raise RuntimeError(f"{self.node.name}: no AMI connection is being served")
        return self.client

    def enqueue(self, command: c.Command) -> None:
        self.handoff.queued(command)
        (self._originates if isinstance(command, c.Originate) else self._others).put_nowait(command)

    async def sweep_agent_legs(self, *, first: bool = False) -> None:
        """Hang up a previous run's nailed-up legs, at once or (if still in a call) once it ends."""
        self.may_send()  # it hangs legs up: only while we act for the node
        client = self._ami
        listing = await client.query({"Action": "CoreShowChannels"}, listing=True)
        marks = await self._leg_marks(listing) if first else {}  # later sweeps know their legs
        for channel in self.stale_legs(hold_legs(listing, marks), first=first):
            with contextlib.suppress(AmiError):
                await client.execute(c.Hangup(channel))

    async def _leg_marks(self, listing: Any) -> dict[str, str]:
        client = self._ami
        marks = {}
        for entry in hold_entries(listing):
            name = str(entry.get("Channel", ""))
            if not name or "\r" in name or "\n" in name:
                continue
            with contextlib.suppress(AmiError, TimeoutError):  # gone meanwhile: no mark, not ours
                action = {"Action": "Getvar", "Channel": name, "Variable": AGENT_LEG_VAR}
                reply = await client.query(action)
                marks[name] = str(reply.get("Value") or "")
        return marks

    # --- tasks ---

    async def _events(self) -> None:
        client = self._ami
        async for event in client.events():
            if isinstance(event, PbxConnected):
                self.connected(event)
                if not self.started:
                    try:
                        if self.options.dialplan_dir is not None:
                            await install.install(client, self.options.dialplan_dir, self.options.dialplan)
                        await self.sweep_agent_legs(first=True)
                    except (AmiError, TimeoutError) as exc:  # the connection went: the next one tries again
                        log.warning("start-up sweep failed node=%s error=%s", self.node.name, exc)
                        continue
                    self.start(event)
                    continue
            if self._premature_failure(event):
                continue
            self.feed(event)

    def _premature_failure(self, event: Event) -> bool:
        """An ``OriginateFailed`` without a cause for a channel that exists and has not hung up.

        Asterisk may send the ``OriginateResponse`` (Reason 0 for busy and congestion alike)
        before the channel's ``DialEnd``/``Hangup``, whose exact cause then never reaches the
        core (a busy line would read as FAILED). That channel's ``HungUp`` follows with the
        cause, so the runner holds such a failure back and lets the hangup end the call.
        """
        match event:
            case ChannelCreated():
                self._created.add(event.channel_id)
            case HungUp():
                self._created.discard(event.channel_id)
            case PbxConnected():
                self._created &= event.live_channel_ids
            case OriginateFailed(cause=0) if event.channel_id in self._created:
                return True
        return False

    async def _ticker(self) -> None:
        reported = time.monotonic()
        while True:
            await asyncio.sleep(self.tick_delay())
            self.feed(Tick(time.time()))
            if time.monotonic() - reported >= LAG_REPORT_S:
                reported = time.monotonic()
                self.handoff.report_lag()

    def _woken(self, loop: asyncio.AbstractEventLoop) -> None:
        """From the listener's thread: cut the poller's sleep short."""
        loop.call_soon_threadsafe(self._wake.set)

    async def _poller(self) -> None:
        """Housekeeping every ``poll_s``, or at once when the command listener (``runner.wakeup``) wakes."""
        while True:
            with contextlib.suppress(TimeoutError):  # timeout(), not wait_for: a stop is never swallowed
                async with asyncio.timeout(self.options.poll_s):
                    await self._wake.wait()
            self._wake.clear()
            if self.housekeeping(time.monotonic()):
                with contextlib.suppress(AmiError, TimeoutError):
                    await self.sweep_agent_legs()

    async def _sender(self, queue: asyncio.Queue[c.Command], limit: RateLimit | None) -> None:
        client = self._ami
        while True:
            command = await queue.get()
            if limit is not None:
                await take(limit)
            self.may_send()
            self.handoff.sent(command)
            try:
                await client.execute(command)
            except AmiActionFailed as exc:
                self.refused(command, exc.message)
            except AmiError as exc:  # not sent, or fate unknown: the next PbxConnected reconciles
                log.warning("command not confirmed kind=%s error=%s", type(command).__name__, exc)

    # --- lifecycle ---

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set (at any moment: while the database or the PBX is out too)."""
        while (delay := self.recover()) > 0:
            if await _stopped(stop, delay):
                return
        n = self.node
        client = AmiClient(n.host, n.port, n.username, n.secret, node=n.name, backoff=self.options.backoff,
                           ping_interval=self.options.liveness_s)
        connecting = asyncio.create_task(client.__aenter__(), name="connect")
        try:
            if not await _first(connecting, stop):
                return
            self.client = client
            await self._serve(stop)
        finally:
            await client.__aexit__(None, None, None)
            log.info("runner stopped node=%s", n.name)

    async def _serve(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(coro, name=name) for name, coro in (
            ("events", self._events()), ("ticker", self._ticker()), ("poller", self._poller()),
            ("originates", self._sender(self._originates, originate_limit(self.options))),
            ("commands", self._sender(self._others, None)))]
        stopper = asyncio.create_task(stop.wait(), name="stop")
        loop = asyncio.get_running_loop()
        listener = wakeup.start_for(self.sessions, self.node.id, lambda: self._woken(loop))
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        finally:
            if listener is not None:
                await asyncio.to_thread(listener.stop)
        for task in [*tasks, stopper]:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:
            if task is not stopper and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


async def _first(work: asyncio.Task[Any], stop: asyncio.Event) -> bool:
    """Wait for ``work`` unless ``stop`` comes first (then cancel it): True if it finished."""
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([work, stopper], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not work.done():
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        return False
    work.result()  # raises its error (e.g. refused credentials)
    return True


async def _stopped(stop: asyncio.Event, delay: float) -> bool:
    """Sleep ``delay`` seconds unless ``stop`` is set first; True if it was."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
    return stop.is_set()


def run_forever(sessions: sessionmaker[Session], node: NodeInfo,
                options: RunnerOptions | None = None, *, lease: NodeLease | None = None,
                stopped: Callable[[], bool] = lambda: False) -> None:
    """The ``switchboard runner`` body for an Asterisk node: run until SIGTERM/SIGINT (or, holding
    ``lease``, until it is lost: ``LeaseLost`` is raised). ``stopped``: a SIGTERM already came
    (before these handlers were there)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if stopped():
            stop.set()
        await AmiRunner(sessions, node, options, lease=lease).run(stop)

    asyncio.run(main())
