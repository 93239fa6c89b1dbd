"""An independent event watcher for a live FreeSWITCH node (plain sockets and a thread, no gevent).

It sees FreeSWITCH's events the way the runner does not: every event of every
channel, so a test can check what the far end heard (PLAYBACK_START/STOP of a
route) without trusting the runner's own translation.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Callable

from esl.framing import EslEvent, Frame, Framer, parse_event


class EventSocket:
    def __init__(self, host: str, port: int, password: str, timeout: float = 10.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._sock.settimeout(None)
        self._timeout = timeout
        self._framer = Framer()
        self._replies: queue.Queue[Frame] = queue.Queue()
        self._events: list[EslEvent] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        greeting = self._replies.get(timeout=timeout)
        assert greeting.content_type == "auth/request", greeting
        reply = self.send(f"auth {password}")
        if not reply.get("Reply-Text").startswith("+OK"):
            raise PermissionError(reply.get("Reply-Text"))

    def _read(self) -> None:
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self._replies.put(Frame((("Content-Type", "text/disconnect-notice"),)))
                return
            for frame in self._framer.feed(chunk):
                if frame.is_event:
                    with self._changed:
                        self._events.append(parse_event(frame))
                        self._changed.notify_all()
                else:
                    self._replies.put(frame)

    def send(self, command: str) -> Frame:
        self._sock.sendall(f"{command}\n\n".encode())
        return self._replies.get(timeout=self._timeout)

    def api(self, command: str) -> str:
        return self.send(f"api {command}").text()

    def events(self, pred: Callable[[EslEvent], bool]) -> list[EslEvent]:
        with self._changed:
            return [e for e in self._events if pred(e)]

    def wait_for(self, pred: Callable[[EslEvent], bool], timeout: float) -> EslEvent:
        """The first event (already seen or arriving within ``timeout``) that matches."""
        with self._changed:
            found = self._changed.wait_for(lambda: next((e for e in self._events if pred(e)), None), timeout)
        if found is None:
            raise TimeoutError("no matching FreeSWITCH event")
        return found

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.sendall(b"exit\n\n")
        self._sock.close()
        self._reader.join(5)

    def __enter__(self) -> EventSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
