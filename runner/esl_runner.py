"""The ESL runner's main loop: one gevent process per FreeSWITCH node.

What every runner does with its node is ``node.NodeCore``; this module is the
gevent side for FreeSWITCH (``esl.connection.EslAdapter``, greenswitch):

* the adapter's consumer greenlet hands us core events; a ticker greenlet
  feeds ``Tick``; a poller greenlet runs the core's housekeeping (desk
  commands, campaign states, agent-leg sweeps);
* two sender greenlets keep order within their queue: originates through the
  node-wide rate limit, everything else at once;
* ``Refused`` (``-ERR``, nothing happened) on an originate becomes
  ``OriginateFailed``, as does a command FreeSWITCH rendering refuses
  (``UnsafeValue``: never sent); ``NotConnected``/``Uncertain`` are left to the
  reconnect: the core reconciles with the live channels on the next
  ``PbxConnected`` (the adapter never re-sends);
* FreeSWITCH's ``sb-outbound`` runs avmd and reports the greeting's cadence,
  then parks: the core classifies and acts on the verdict itself
  (``route_handles_machines = False``). The dialplan is served by the web
  over mod_xml_curl (``web/fsxml.py``): nothing to install.

One input at a time: greenlets switch on I/O, so every call into the core
holds ``_lock`` (the asyncio runner gets the same for free: its core calls
never await). Network calls are made outside the lock.

No monkey-patching: greenswitch and the adapter use gevent's own sockets, and
the database calls stay synchronous and short, exactly as in the asyncio
runner (which runs them on its loop). Patching would only make psycopg
cooperative if it happened before psycopg was imported (psycopg picks its wait
function at import), and the CLI reads the node's kind from the database
before it knows this is a FreeSWITCH node; a half-patched process is worse
than an honest blocking call of a few milliseconds.
"""

from __future__ import annotations

import json
import logging
import signal
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

import gevent
import gevent.event
import gevent.lock
import gevent.queue
from sqlalchemy.orm import Session, sessionmaker

from esl.connection import EslAdapter, EslError, Refused
from esl.render import DialConfig
from orchestrator import commands as c
from orchestrator import safe
from orchestrator.dialer import routes
from orchestrator.events import Event, PbxConnected, Tick
from orchestrator.node.lease import LeaseLost
from orchestrator.safe import UnsafeValue
from runner import wakeup
from runner.handoff import LAG_REPORT_S, Handoff
from runner.lease import NodeLease
from runner.node import (
    AGENT_LEG_VAR,
    HoldLeg,
    NodeCore,
    NodeInfo,
    RateLimit,
    RunnerOptions,
    originate_limit,
)

log = logging.getLogger("runner")

LIST_CHANNELS = "api show channels as json"
T = TypeVar("T")


def hold_legs(listing: str, context: str, marks: dict[str, str] | None = None) -> list[HoldLeg]:
    """Agent legs in ``show channels as json``: outbound channels routed to ``sb-agent-hold``.

    Columns as in the ``api_status`` capture (``uuid``, ``direction``, ``name``,
    ``dest``, ``context``, ``call_uuid``). The seat is the user part of the
    channel name (``sofia/internal/agent001@...``, ``.../sip:agent001@...``).
    A leg is in a call when FreeSWITCH links it through ``call_uuid`` to
    another channel that is still listed (set on bridge; after the bridge ends
    a parked leg's ``call_uuid`` keeps naming its last partner, gone by then).
    ``marks``: uuid -> the leg's ``AGENT_LEG_VAR``. Not checked against a live
    FreeSWITCH: the captured listing has a parked ``null/`` channel only.
    """
    marks = marks or {}
    rows = json.loads(listing).get("rows", ())
    listed = {row.get("uuid") for row in rows}
    links = {(row.get("uuid"), row.get("call_uuid")) for row in rows if row.get("call_uuid") in listed}
    linked = {x for pair in links if pair[0] != pair[1] for x in pair}
    return [HoldLeg(row["uuid"], _seat_of(row.get("name", "")), row["uuid"] in linked,
                    marks.get(row["uuid"], "")) for row in hold_rows(rows, context)]


#: Where an agent leg is held: the hold route, or where "press 1 to accept" sends a confirmed one.
HOLD_DESTINATIONS = (routes.AGENT_HOLD, f"{routes.AGENT_HOLD}-key-1")


def hold_rows(rows: Iterable[dict], context: str) -> list[dict]:
    return [row for row in rows if row.get("uuid") and row.get("direction") == "outbound"
            and row.get("dest") in HOLD_DESTINATIONS and row.get("context") == context]


def _seat_of(channel_name: str) -> str:
    return channel_name.rpartition("/")[2].removeprefix("sip:").partition("@")[0]


class EslRunner(NodeCore):
    route_handles_machines = False  # sb-outbound reports cadence and parks; the core decides and acts

    def __init__(self, sessions: sessionmaker[Session], node: NodeInfo, options: RunnerOptions | None = None,
                 *, dial: DialConfig | None = None, command_timeout: float = 5.0,
                 claimed_by: str | None = None, lease: NodeLease | None = None) -> None:
        super().__init__(sessions, node, options, claimed_by=claimed_by, lease=lease)
        self._wake = gevent.event.Event()  # set (through an async watcher) by the command listener
        self.dial = dial or DialConfig()
        self._lock = gevent.lock.RLock()
        self._originates: gevent.queue.Queue = gevent.queue.Queue()
        self._handoffs: gevent.queue.Queue = gevent.queue.Queue()
        self._others: gevent.queue.Queue = gevent.queue.Queue()
        # An input the core could not take: stop the runner.
        self._failed: gevent.event.AsyncResult[None] = gevent.event.AsyncResult()
        self.handoff = Handoff()  # own hand-off and event lag, logged for bench.live
        self.adapter = EslAdapter(node.name, node.host, node.port, node.secret, self._on_event,
                                  dial=self.dial, command_timeout=command_timeout,
                                  connect_timeout=command_timeout, backoff=self.options.backoff,
                                  liveness_s=self.options.liveness_s)

    def feed(self, event: Event) -> None:
        self.handoff.taken(event)
        super().feed(event)

    def enqueue(self, command: c.Command) -> None:
        self.handoff.queued(command)
        self._queue_for(command).put(command)

    def _queue_for(self, command: c.Command) -> gevent.queue.Queue:
        """Originates are rate-limited; what runs on a waiting customer's 2 s clock (the bridge to an
        agent, its recording, the redirect to the abandon message) never waits behind the rest.

        Each command waits for FreeSWITCH's reply before the next one of its queue goes out, so in a
        dialing burst one queue for everything left bridges behind machine hangups for up to a second.
        """
        if isinstance(command, c.Originate):
            return self._originates
        if isinstance(command, c.Bridge | c.StartRecording | c.Redirect):
            return self._handoffs
        return self._others

    def _core(self, call: Callable[..., T], *args: object) -> T:
        """Run one core input under the lock; a failure stops the runner.

        A database outage is not a failure (the core keeps its facts until the
        database answers again). Anything else would leave the core moved on
        without its facts stored: like the asyncio runner, stop and let the
        restart recover from the store.
        """
        try:
            with self._lock:
                return call(*args)
        except LeaseLost as exc:  # not a failure: the runner stops acting (``runner.main`` says why)
            self._failed.set_exception(exc)
            raise
        except Exception as exc:
            log.exception("runner input failed node=%s", self.node.name)
            self._failed.set_exception(exc)
            raise

    # --- inputs ---

    def _on_event(self, event: Event) -> None:
        """The adapter's sink (its consumer greenlet): events in arrival order."""
        if isinstance(event, PbxConnected):
            self._core(self.connected, event)
            if not self.started:
                if self.sweep_agent_legs(first=True):
                    self._core(self.start, event)
                return  # not swept: the next PbxConnected tries again
        self._core(self.feed, event)

    def sweep_agent_legs(self, *, first: bool = False) -> bool:
        """Hang up a previous run's nailed-up legs, at once or (if still in a call) once it ends."""
        self.may_send()  # it hangs legs up: only while we act for the node
        try:
            listing = self.adapter.request(LIST_CHANNELS).data
            marks = self._leg_marks(listing) if first else {}  # later sweeps know their legs
            legs = hold_legs(listing, self.dial.context, marks)
        except (EslError, ValueError, KeyError) as exc:
            log.warning("agent-leg sweep failed node=%s error=%s", self.node.name, exc)
            return False
        for channel in self._core(lambda: self.stale_legs(legs, first=first)):
            try:
                self.adapter.execute(c.Hangup(channel))
            except EslError as exc:
                log.warning("could not hang up an old agent leg channel=%s error=%s", channel, exc)
        return True

    def _leg_marks(self, listing: str) -> dict[str, str]:
        marks = {}
        for row in hold_rows(json.loads(listing).get("rows", ()), self.dial.context):
            try:
                uuid = safe.check_channel_id(row["uuid"])
                value = self.adapter.request(f"api uuid_getvar {uuid} {AGENT_LEG_VAR}").data.strip()
            except (EslError, UnsafeValue):  # gone meanwhile, or not a channel id of ours: not ours
                continue
            marks[uuid] = "" if value in ("_undef_", "") or value.startswith("-ERR") else value
        return marks

    def _ticker(self) -> None:
        reported = time.monotonic()
        while True:
            gevent.sleep(self.tick_delay())
            self._core(self.feed, Tick(time.time()))
            if time.monotonic() - reported >= LAG_REPORT_S:
                reported = time.monotonic()
                self.handoff.report_lag()

    def _poller(self) -> None:
        """Housekeeping every ``poll_s``, or at once when the command listener (``runner.wakeup``) wakes."""
        while True:
            self._wake.wait(self.options.poll_s)
            self._wake.clear()
            if self._core(self.housekeeping, time.monotonic()):
                self.sweep_agent_legs()

    # --- output ---

    def _sender(self, queue: gevent.queue.Queue, limit: RateLimit | None) -> None:
        for command in queue:
            while limit is not None and (delay := limit.wait_s()) > 0:
                gevent.sleep(delay)
            self.may_send()
            self.handoff.sent(command)
            try:
                self.adapter.execute(command)
            except (Refused, UnsafeValue) as exc:
                self._core(self.refused, command, str(exc))
            except EslError as exc:  # not sent, or fate unknown: the next PbxConnected reconciles
                log.warning("command not confirmed kind=%s error=%s", type(command).__name__, exc)

    # --- lifecycle ---

    def run(self, stop: gevent.event.Event) -> None:
        """Until ``stop`` is set or a greenlet fails (then its exception is raised)."""
        while (delay := self.recover()) > 0:
            if stop.wait(delay):
                return
        self.adapter.start()
        greenlets: list[gevent.Greenlet[..., None]] = [gevent.spawn(self._ticker), gevent.spawn(self._poller),
                     gevent.spawn(self._sender, self._originates, originate_limit(self.options)),
                     gevent.spawn(self._sender, self._handoffs, None),
                     gevent.spawn(self._sender, self._others, None)]
        for greenlet in greenlets:
            greenlet.link_exception(lambda g: self._failed.set_exception(g.exception or RuntimeError(str(g))))
        self._failed.rawlink(lambda _: stop.set())
        watcher = gevent.get_hub().loop.async_()  # the listener's thread wakes the hub through it
        watcher.start(self._wake.set)
        listener = wakeup.start_for(self.sessions, self.node.id, watcher.send)
        try:
            stop.wait()
        finally:
            gevent.killall(greenlets)
            self.adapter.stop()
            if listener is not None:
                listener.stop()
            watcher.close()
        if self._failed.ready():
            self._failed.get()  # raises the failure
        log.info("runner stopped node=%s", self.node.name)


def run_forever(sessions: sessionmaker[Session], node: NodeInfo, options: RunnerOptions | None = None,
                *, dial: DialConfig | None = None, signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT),
                lease: NodeLease | None = None, stopped: Callable[[], bool] = lambda: False) -> None:
    """The ``switchboard runner`` body for a FreeSWITCH node: run until SIGTERM/SIGINT (or, holding
    ``lease``, until it is lost: ``LeaseLost`` is raised). ``stopped``: a SIGTERM already came
    (before these handlers were there)."""
    stop = gevent.event.Event()
    handlers = [gevent.signal_handler(sig, stop.set) for sig in signals]
    if stopped():
        stop.set()
    try:
        EslRunner(sessions, node, options, dial=dial, lease=lease).run(stop)
    finally:
        for handler in handlers:
            handler.cancel()
