"""The live FreeSWITCH connection for a runner: supervise, translate, execute (gevent only).

* ``InboundESL`` never reconnects -> :class:`EslAdapter` supervises:
  connect + auth + subscribe + resync (``api show channels as json``, then
  ``api show bridged_calls as json``) -> ``PbxConnected(live_channel_ids,
  bridged_channel_ids)``; on loss ``PbxDisconnected`` and a new
  attempt after exponential backoff with jitter. The handshake as a whole is
  bounded by ``connect_timeout``, every command by ``command_timeout``.
* a silent peer (half-open TCP, a hung FreeSWITCH) is noticed as AMI's is
  (``ami.connection``): FreeSWITCH sends ``HEARTBEAT`` events (every
  ``event-heartbeat-interval`` s of its switch.conf, 20 by default) and any
  frame counts as a sign of life; after ``liveness_s`` without one the
  supervisor sends a probe (``api uptime``) and closes the session if it goes
  unanswered for another ``liveness_s``, which starts the reconnect.
* greenswitch runs all handlers in one greenlet -> the session's reader only
  enqueues; one consumer greenlet translates (:mod:`esl.translate`) and calls
  the sink, so a slow sink never stalls the socket.

Nothing is ever re-sent. An ``Originate`` (``bgapi`` with our ``Job-UUID``)
whose reply did not arrive raises :class:`Uncertain`; the core reconciles from
the ``live_channel_ids`` of the next ``PbxConnected`` (our ``origination_uuid``
is the channel id) and from events that keep arriving for the channel.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import gevent.event
import gevent.queue
from greenswitch.esl import NotConnectedError

from esl.framing import EslEvent
from esl.render import DialConfig, EslRequest, render
from esl.session import AuthFailed, EslError, NotConnected, Refused, Reply, Session, Uncertain
from esl.translate import FAX_RESULTS, SIGNAL_PREFIX, SIGNALS, Translator
from orchestrator import commands as c
from orchestrator import events as e
from orchestrator.backoff import Backoff

__all__ = ["AuthFailed", "Backoff", "EslAdapter", "EslError", "NotConnected", "Refused", "Reply", "Uncertain"]

log = logging.getLogger(__name__)

#: What the translator needs (``event plain`` names; ``CUSTOM`` introduces subclasses).
SUBSCRIPTION = (
    "event plain CHANNEL_CREATE CHANNEL_UUID CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER "
    "CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY DTMF "
    "RECORD_START RECORD_STOP BACKGROUND_JOB HEARTBEAT SHUTDOWN CUSTOM avmd::beep "
    + " ".join(SIGNAL_PREFIX + name for name in SIGNALS) + " " + " ".join(FAX_RESULTS)
)
RESYNC = "api show channels as json"
#: The calls in a bridge: both legs of each row (``uuid`` and ``b_uuid``), from the core's ``calls``
#: table, which CHANNEL_BRIDGE fills and CHANNEL_UNBRIDGE empties (``show channels`` keeps a
#: leg's last partner in ``call_uuid`` after the bridge ended).
BRIDGED = "api show bridged_calls as json"
#: Sent to a session that has been silent for ``liveness_s``: any reply proves the peer alive.
PROBE = "api uptime"


_STOP = object()


@dataclass(frozen=True, slots=True)
class _Resynced:
    live: frozenset[str]
    bridged: frozenset[str]
    since: int  # the translation state's expect() sequence when the list was taken


@dataclass(frozen=True, slots=True)
class _Lost:
    reason: str


class EslAdapter:
    """One FreeSWITCH node: events in (to ``sink``, as core events), core commands out (``execute``).

    Runs three kinds of greenlets: the socket reader (enqueue only), one
    consumer (translate, call ``sink``) and the supervisor (connect, resync,
    reconnect). ``sink`` is called from the consumer greenlet only.
    """

    def __init__(self, node: str, host: str, port: int, password: str, sink: Callable[[e.Event], None], *,
                 dial: DialConfig | None = None, command_timeout: float = 5.0, connect_timeout: float = 5.0,
                 backoff: Backoff | None = None, rng: random.Random | None = None,
                 clock: Callable[[], float] | None = None, liveness_s: float = 10.0) -> None:
        self.node, self.host, self.port, self._password = node, host, port, password
        self.sink = sink
        self.dial = dial or DialConfig()
        self.command_timeout = command_timeout
        self.connect_timeout = connect_timeout
        self.liveness_s = liveness_s
        self.backoff = backoff or Backoff()
        self._rng = rng or random.Random()  # noqa: S311 - reconnect jitter, not a secret
        self._clock = clock or time.time
        self.translator = Translator()
        self._inbox: gevent.queue.Queue = gevent.queue.Queue()
        self._client: Session | None = None
        self._stopping = gevent.event.Event()
        self._greenlets: list[gevent.Greenlet] = []
        self.failures = 0  # consecutive failed connection attempts (for status pages and tests)
        self.last_error = ""

    # --- lifecycle ---

    def start(self) -> None:
        self._greenlets = [gevent.spawn(self._consume), gevent.spawn(self._supervise)]

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        client = self._client
        if client is not None:
            client._close()
        self._inbox.put(_STOP)
        gevent.joinall(self._greenlets, timeout=timeout)
        gevent.killall([g for g in self._greenlets if not g.dead])

    @property
    def connected(self) -> bool:
        client = self._client
        return client is not None and client.connected

    # --- commands ---

    def execute(self, command: c.Command) -> Reply:
        """Send one core command and return FreeSWITCH's reply (``bgapi``: the job acceptance).

        Raises :class:`NotConnected` when nothing was sent, :class:`Refused` when
        FreeSWITCH said ``-ERR`` (an originate refused this way creates no
        channel: report it as failed), and :class:`Uncertain` when it was sent
        but unanswered (never re-sent: reconcile instead).
        """
        job = str(uuid.uuid4()) if isinstance(command, c.Originate) else ""
        request = render(command, self.dial, job)
        if request is None:  # done by the route (StartAmd where our sb-outbound runs the detection)
            return Reply({}, "+OK done by the route")
        self.translator.state.expect(command, job)  # before sending: its events may come first
        try:
            reply = self.request(request)
        except NotConnected:
            if isinstance(command, c.Originate):
                self.translator.state.forget_originate(command.channel_id, job)
            raise
        if not reply.ok:
            if isinstance(command, c.Originate):
                self.translator.state.forget_originate(command.channel_id, job)
            raise Refused(reply)
        return reply

    def request(self, request: EslRequest | str) -> Reply:
        client = self._client
        text = request.text if isinstance(request, EslRequest) else request
        if client is None or not client.connected:
            raise NotConnected(f"not connected to {self.node}")
        try:
            return client.send(text, timeout=self.command_timeout)
        except NotConnectedError as exc:
            raise NotConnected(f"not connected to {self.node}") from exc

    # --- supervisor: connect, resync, wait for loss, back off ---

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            client = self._open_session()
            if client is None:
                self.failures += 1
                if self._stopping.wait(self.backoff.delay(self.failures - 1, self._rng)):
                    return
                continue
            self.failures = 0
            self._watch(client)
            self._client = None
            self._inbox.put(_Lost("connection closed" if not self._stopping.is_set() else "stopped"))

    def _watch(self, client: Session) -> None:
        """Until the session ends; probe it when silent, and close it when the probe goes unanswered."""
        while not client.closed.wait(self.liveness_s):
            if time.monotonic() - client.last_heard < self.liveness_s:
                continue  # heartbeats, events or replies are arriving
            try:
                client.send(PROBE, timeout=self.liveness_s)
            except Uncertain as exc:  # send() closed the session: the loop ends, the reconnect begins
                log.warning("ESL %s (%s:%s): silent for %.1f s: %s", self.node, self.host, self.port,
                            time.monotonic() - client.last_heard, exc)
            except NotConnectedError:
                return

    def _open_session(self) -> Session | None:
        client = Session(self.host, self.port, self._password, self.connect_timeout, self._inbox.put)
        try:
            expired = EslError(f"connect timed out after {self.connect_timeout}s")
            with gevent.Timeout(self.connect_timeout, expired):
                try:
                    client.connect()  # socket, auth/request, auth
                except ValueError as exc:  # greenswitch's way to say "-ERR invalid"
                    raise AuthFailed("authentication refused") from exc
                # The handshake is bounded by connect_timeout as a whole.
                self._expect_ok(client.send(SUBSCRIPTION), SUBSCRIPTION)
                live = live_channel_ids(client.send(RESYNC))
                bridged = bridged_channel_ids(client.send(BRIDGED))
        except (OSError, EslError, NotConnectedError) as exc:
            self.last_error = str(exc) or type(exc).__name__
            log.warning("ESL %s (%s:%s): %s", self.node, self.host, self.port, self.last_error)
            client._close()
            return None
        # Commands can be sent from here on; the marker tells the consumer which expectations are older.
        self._client = client
        self._inbox.put(_Resynced(live, bridged & live, self.translator.state.sequence))
        return client

    @staticmethod
    def _expect_ok(reply: Reply, what: str) -> None:
        if not reply.ok:
            raise EslError(f"{what.split()[0]} refused: {reply.data}")

    # --- consumer: the only place that translates and calls the sink ---

    def _consume(self) -> None:
        for item in self._inbox:
            if item is _STOP:
                return
            try:
                for event in self._translate(item):
                    self.sink(event)
            except Exception:  # a bad event or sink must not kill event delivery
                log.exception("ESL %s: failed to handle %r", self.node, item)

    def _translate(self, item: EslEvent | _Resynced | _Lost) -> list[e.Event]:
        now = self._clock()
        if isinstance(item, _Resynced):
            self.translator.state.retain(item.live, item.since)
            return [e.PbxConnected(now, self.node, item.live, bridged_channel_ids=item.bridged)]
        if isinstance(item, _Lost):
            return [e.PbxDisconnected(now, self.node, item.reason)]
        return self.translator.translate(item, now)


def live_channel_ids(reply: Reply) -> frozenset[str]:
    """Channel uuids from ``show channels as json`` (``{"row_count": 0}`` has no ``rows``)."""
    return frozenset(row["uuid"] for row in _rows(reply) if row.get("uuid"))


def bridged_channel_ids(reply: Reply) -> frozenset[str]:
    """Both legs of every call in ``show bridged_calls as json``."""
    return frozenset(leg for row in _rows(reply) for leg in (row.get("uuid"), row.get("b_uuid")) if leg)


def _rows(reply: Reply) -> list[dict[str, str]]:
    try:
        data = json.loads(reply.data)
    except ValueError as exc:
        raise EslError(f"resync: not JSON: {reply.data[:80]!r}") from exc
    return list(data.get("rows", ()))
