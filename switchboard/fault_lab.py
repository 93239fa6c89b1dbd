"""Faults to inject into a running system: a database that goes away, a write lock held too long.

Shared by the fault tests and ``bench.faults``. Nothing here touches shared
servers: PostgreSQL is cut through a :class:`TcpGate` of our own placed in
front of it (the runner is given the gate's port), SQLite is blocked by one
more connection holding its write lock (:func:`hold_sqlite_write_lock`).
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import make_url


class TcpGate:
    """A loopback TCP forwarder that can be closed (every connection cut, new ones refused) and reopened.

    Closed, it stops listening, so a client sees "connection refused" at once,
    as when a database server is down; open again, it listens on the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.cuts = 0

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Refuse new connections and abort the open ones (both sides)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
        self.cuts += 1

    def __enter__(self) -> TcpGate:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._conns |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def gated_url(url: str, gate: TcpGate) -> str:
    """``url`` (a PostgreSQL URL) pointing at the gate instead of the server."""
    return make_url(url).set(host="127.0.0.1", port=gate.port).render_as_string(hide_password=False)


@contextlib.contextmanager
def hold_sqlite_write_lock(url_or_path: str | Path) -> Iterator[None]:
    """Hold the database's write lock (as a long import does) until the block ends; readers go on."""
    path = str(url_or_path)
    if path.startswith("sqlite"):
        path = make_url(path).database or ""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()
