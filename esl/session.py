"""One ESL session: greenswitch ``InboundESL`` with a safe reader and a send with a timeout.

greenswitch gives us the inbound handshake (``connect``: socket, wait for
``auth/request``; ``authenticate``) and the reply bookkeeping (one
``AsyncResult`` per command in ``_commands_sent``, filled in order: ESL answers
every command exactly once, in command order). Its traps, and what we do:

* its reader parses with line reads and a whole-body URL-decode (see
  :mod:`esl.framing`) and spins forever on EOF inside a body -> our reader
  feeds :class:`esl.framing.Framer` from ``recv`` and only *enqueues* events
  (``on_event`` must not block: all greenswitch handlers share one greenlet,
  we register none);
* ``send()`` has no timeout and uses ``socket.send`` (may write part of the
  command) -> ``sendall`` under a lock, and a bounded wait; after a timeout the
  session is closed, because replies are positional and a late one would be
  taken for the next command's.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import gevent
import gevent.event
import gevent.lock
from greenswitch.esl import InboundESL, NotConnectedError

from esl.framing import EslEvent, Frame, Framer, parse_event

log = logging.getLogger(__name__)


class EslError(Exception):
    pass


class NotConnected(EslError):
    """Nothing was sent: there is no authenticated session right now."""


class Uncertain(EslError):
    """The command was sent but its reply never came (timeout or lost session): never re-send it."""


class AuthFailed(EslError):
    pass


class Refused(EslError):
    """FreeSWITCH answered ``-ERR ...`` (e.g. ``-ERR No such channel!``): nothing happened."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.data.strip())
        self.reply = reply


@dataclass(frozen=True, slots=True)
class Reply:
    """A ``command/reply`` or ``api/response``; ``headers``/``data`` as greenswitch callers expect."""

    headers: dict[str, str]
    data: str

    @classmethod
    def of(cls, frame: Frame) -> Reply:
        if frame.content_type == "command/reply":
            return cls(dict(frame.headers), frame.get("Reply-Text"))
        return cls(dict(frame.headers), frame.text())

    @property
    def ok(self) -> bool:
        return self.data.startswith("+OK")


class Session(InboundESL):
    """``InboundESL`` whose reader uses our framer and hands events to ``on_event`` (which must not block)."""

    def __init__(self, host: str, port: int, password: str, timeout: float,
                 on_event: Callable[[EslEvent], None]) -> None:
        super().__init__(host, port, password, timeout=timeout)
        self._on_event = on_event
        self._send_lock = gevent.lock.Semaphore()
        self.closed = gevent.event.Event()
        self.last_heard = time.monotonic()  # when the peer last sent anything (the watchdog reads it)

    def start_event_handlers(self) -> None:  # greenswitch calls this from connect()
        self._receive_events_greenlet = gevent.spawn(self.receive_events)

    def receive_events(self) -> None:
        framer = Framer()
        try:
            while self._run:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.last_heard = time.monotonic()
                for frame in framer.feed(data):
                    self._dispatch(frame)
        except (OSError, ValueError) as exc:  # ValueError: FrameError, a malformed event: resync
            if not self.closed.is_set():  # else we closed it ourselves
                log.warning("ESL session to %s:%s lost: %s", self.host, self.port, exc)
        finally:
            self._close()

    def _dispatch(self, frame: Frame) -> None:
        kind = frame.content_type
        if frame.is_event:
            self._on_event(parse_event(frame))
        elif kind in ("command/reply", "api/response"):
            if self._commands_sent:
                self._commands_sent.pop(0).set(Reply.of(frame))
            else:  # e.g. "+OK bye" after we gave up on a command: nothing waits for it
                log.debug("unsolicited ESL reply: %s", frame.headers)
        elif kind == "auth/request":
            self._auth_request_event.set()
        elif kind in ("text/disconnect-notice", "text/rude-rejection") and \
                frame.get("Content-Disposition") != "linger":
            self.connected = False
            self._auth_request_event.set()  # a rejected connect() must not wait forever

    def send(self, data: str, timeout: float | None = None) -> Reply:
        if not self.connected:
            raise NotConnectedError()
        result: gevent.event.AsyncResult[Reply] = gevent.event.AsyncResult()
        with self._send_lock:  # appending and writing together keep replies in command order
            self._commands_sent.append(result)
            try:
                self.sock.sendall((data + "\n\n").encode("utf-8"))
            except OSError as exc:
                self._close()
                raise Uncertain(f"send failed: {exc}") from exc
        if not result.wait(timeout):  # (a caller's own gevent.Timeout still propagates as is)
            self._close()  # the late reply would be matched to the next command
            raise Uncertain(f"no reply within {timeout}s to {data.splitlines()[0]!r}")
        # The stubs allow None (a bare set()); every result here is set with a Reply or an exception.
        return cast(Reply, result.get())

    def _close(self) -> None:
        if self.closed.is_set():
            return
        self.connected = False
        self._run = False
        for pending in self._commands_sent:
            pending.set_exception(Uncertain("ESL session closed before the reply"))
        self._commands_sent.clear()
        self._auth_request_event.set()
        # shutdown() first: greenswitch's makefile() keeps the fd open after close() alone.
        sock = getattr(self, "sock", None)
        closers = () if sock is None else (lambda: sock.shutdown(socket.SHUT_RDWR), sock.close)
        for action in (*closers, lambda: self.sock_file.close()):
            with contextlib.suppress(OSError, AttributeError):
                action()
        self.closed.set()
