"""A blocking one-shot ESL client: "connect, authenticate, run one api command, close".

The runner's adapter (``esl.connection``) is gevent-based and supervised; the
web app (threads, no gevent hub) asking a node for its registrations and the
sandbox's own checks (``api status``, ``sofia status``) only need one answer,
parsed by the project's own framer so the parsing is the one the runner trusts.
"""

from __future__ import annotations

import socket

from esl.framing import Frame, Framer

TIMEOUT_S = 5.0


class EslUnavailable(ConnectionError):
    """No answer, refused, or the password was rejected (a ``ConnectionError``: callers that
    cannot import the adapter, such as the web app, handle it as any unreachable node)."""


def _next_frame(sock: socket.socket, framer: Framer, pending: list[Frame]) -> Frame:
    while not pending:
        chunk = sock.recv(65536)
        if not chunk:
            raise EslUnavailable("connection closed by FreeSWITCH")
        pending.extend(f for f in framer.feed(chunk) if not f.is_event)
    return pending.pop(0)


def api(host: str, port: int, password: str, command: str, timeout: float = TIMEOUT_S) -> str:
    """Run ``api <command>`` and return the response body (``-ERR ...`` bodies included)."""
    if "\n" in command or "\r" in command:
        raise ValueError(f"one command line only: {command!r}")
    framer, pending = Framer(), list[Frame]()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if _next_frame(sock, framer, pending).content_type != "auth/request":
                raise EslUnavailable("no auth/request greeting")
            sock.sendall(f"auth {password}\n\n".encode())
            reply = _next_frame(sock, framer, pending)
            if not reply.get("Reply-Text").startswith("+OK"):
                raise EslUnavailable(f"authentication refused: {reply.get('Reply-Text')}")
            sock.sendall(f"api {command}\n\n".encode())
            body = _next_frame(sock, framer, pending).text()
            sock.sendall(b"exit\n\n")
            return body
    except OSError as exc:
        raise EslUnavailable(str(exc)) from None
