"""A fake FreeSWITCH Event Socket that replays a real capture over TCP on 127.0.0.1:<ephemeral>.

Replay procedure from the captures' README: for capture command *k* the server
sends ``server.txt[commands[k-1].server_offset : commands[k].server_offset]``,
then reads one command from the client and compares it with ``commands[k]``;
after the last command it sends the rest. That keeps the causality the client saw.

What may legitimately differ between the client and the capture, and how the
server copes (anything else is a mismatch, recorded in :attr:`Session.errors`
and the connection is closed):

* UUIDs the client chose (Job-UUIDs; channel ids if they differ): learned by
  position and substituted in every server byte sent afterwards (a UUID is 36
  bytes either way, so Content-Lengths stay right). A client ``Job-UUID:`` line
  where the capture let FreeSWITCH choose is mapped from the capture's reply.
* Event times: every ``Event-Date-Timestamp`` is moved by one offset per
  capture so that its first event happens now (same digits, same length).
* ``event plain <names>`` where the capture subscribed to ``ALL`` (a superset).
* Originate variables: everything the capture set must be set identically;
  the client may set more (``ignore_early_media``, ``originate_timeout``,
  ``origination_uuid`` where FreeSWITCH chose the uuid in the capture).
* ``uuid_kill <u>`` in the capture = ``uuid_kill <u> NORMAL_CLEARING`` (README:
  no cause means NORMAL_CLEARING).
* Commands the capture lacks but every client sends (the resync's
  ``api show channels as json`` and ``api show bridged_calls as json``) are
  answered from :attr:`Script.answers`: real reply frames cut from another
  capture or recorded apart (``fixtures/bridged``).
* Capture commands the client does not send (``skip``: e.g. the server-side
  ``filter`` lines that kept ``avmd_beep`` small) are not awaited and their
  reply frames are dropped from the stream.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import gevent
import gevent.event
import gevent.queue
import gevent.server
import gevent.socket

from tests.esl.capture import FIXTURES, Capture, load

_STAMP = re.compile(rb"Event-Date-Timestamp: (\d{16})")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ORIGINATE = re.compile(r"(?P<verb>(bg)?api originate) \{(?P<vars>[^}]*)\}(?P<rest>.*)\Z", re.S)


def reply_frame(cap: Capture, command_index: int) -> bytes:
    """The bytes of the reply frame FreeSWITCH sent to command ``command_index``."""
    start, end = _reply_span(cap, command_index)
    return cap.server[start:end]


def _reply_span(cap: Capture, command_index: int) -> tuple[int, int]:
    start = cap.replies[command_index + 1]["offset"]  # replies[0] is the auth/request greeting
    later = [o for o in cap.frame_offsets() if o > start]
    return start, later[0] if later else len(cap.server)


def resync_answer(rows: bool = False) -> dict[str, bytes]:
    """Real replies to the resync: ``api show channels as json`` from ``api_status`` (no channel / one
    parked channel), and ``api show bridged_calls as json`` with no bridge (``bridged_reply``)."""
    cap = load("api_status")
    index = 5 if rows else 3
    assert cap.commands[index].text == "api show channels as json\n\n"
    return {"api show channels as json": reply_frame(cap, index),
            "api show bridged_calls as json": bridged_reply("none")}


def bridged_reply(name: str) -> bytes:
    """A real ``api show bridged_calls as json`` reply frame (``fixtures/bridged``: "none" or "one")."""
    return (FIXTURES / "bridged" / f"show_bridged_calls_{name}.reply.txt").read_bytes()


@dataclass(frozen=True)
class Script:
    """How one accepted connection behaves."""

    capture: str
    upto: int | None = None  # play capture commands [0, upto) (after ``skip``); None = all
    skip: frozenset[int] = frozenset()
    end: str = "rest"  # after the last played command: "rest" = send the rest and close,
    #                  "segment" = send up to the next capture command and keep the socket open,
    #                  "drop" = close at once (the last command stays unanswered),
    #                  "stall" = send nothing more, keep the socket open
    answers: Mapping[str, bytes] = field(default_factory=dict)
    #: Originate variables whose value the client chooses (a runner's ``sb_attempt_id`` comes from its
    #: database); the events keep the captured value (clients map events by channel id and Job-UUID).
    free_vars: frozenset[str] = frozenset()
    #: Instead of ``end``: send up to the next capture command (as "segment"), then go on, on the same
    #: connection, with another capture's commands from its first played one (its handshake left out),
    #: e.g. one capture's agent leg, then another's failed originate.
    then: Script | None = None


@dataclass
class Session:
    script: Script
    received: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    closed: gevent.event.Event = field(default_factory=gevent.event.Event)
    uuid_map: dict[str, str] = field(default_factory=dict)


class FakeEslServer:
    """Accepts one connection per script, in order; a connection beyond the scripts is closed at once."""

    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = list(scripts)
        self.sessions: list[Session] = []
        self.accepted: gevent.queue.Queue = gevent.queue.Queue()
        self._server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)

    @property
    def port(self) -> int:
        return self._server.server_port

    def start(self) -> FakeEslServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(timeout=1)

    def errors(self) -> list[str]:
        return [err for s in self.sessions for err in s.errors]

    def _handle(self, sock: gevent.socket.socket, _address: object) -> None:
        index = len(self.sessions)
        if index >= len(self.scripts):
            sock.close()
            return
        session = Session(self.scripts[index])
        self.sessions.append(session)
        self.accepted.put(session)
        try:
            _Replay(session, sock).run()
        except OSError as exc:
            session.errors.append(f"socket: {exc}")
        finally:
            sock.close()
            session.closed.set()


class _Replay:
    def __init__(self, session: Session, sock: gevent.socket.socket) -> None:
        self.session, self.sock = session, sock
        self.buffer = b""
        self._load(session.script)

    def _load(self, script: Script) -> None:
        self.script = script
        self.cap = load(script.capture)
        first = _STAMP.search(self.cap.server)
        self.shift_us = time.time_ns() // 1000 - int(first[1]) if first else 0
        played = [k for k in range(len(self.cap.commands)) if k not in script.skip]
        self.played = played if script.upto is None else played[: script.upto]
        self.dropped = [_reply_span(self.cap, k) for k in script.skip]

    def run(self) -> None:
        pos = 0
        while True:
            for k in self.played:
                command = self.cap.commands[k]
                self._send(pos, command.server_offset)
                pos = command.server_offset
                text = self._read_command()
                if text is None:
                    self.session.errors.append(f"client closed before command {k}: {command.text!r}")
                    return
                mismatch = self._match(k, command.text, text)
                if mismatch:
                    self.session.errors.append(mismatch)
                    return
            if self.script.then is None:
                break
            self._send(pos, self._next_offset(pos))
            self._load(self.script.then)
            pos = self.cap.commands[self.played[0]].server_offset if self.played else len(self.cap.server)
        self._finish(pos)

    def _finish(self, pos: int) -> None:
        end = self.script.end
        if end == "rest":
            self._send(pos, len(self.cap.server))
            return
        if end == "drop":
            return
        if end == "segment":
            self._send(pos, self._next_offset(pos))
        while self._read_command() is not None:  # keep answering resyncs; ignore the rest
            pass

    def _next_offset(self, pos: int) -> int:
        later = [c.server_offset for c in self.cap.commands if c.server_offset > pos]
        return later[0] if later else len(self.cap.server)

    def _read_command(self) -> str | None:
        """One client command; commands the capture lacks but ``answers`` knows are answered here."""
        while True:
            while b"\n\n" not in self.buffer:
                data = self.sock.recv(65536)
                if not data:
                    return None
                self.buffer += data
            raw, _, self.buffer = self.buffer.partition(b"\n\n")
            text = raw.decode() + "\n\n"
            self.session.received.append(text)
            answer = self.script.answers.get(raw.decode())
            if answer is None:
                return text
            self.sock.sendall(answer)

    def _send(self, start: int, end: int) -> None:
        data = bytearray()
        cursor = start
        for a, b in sorted(self.dropped):
            if b <= cursor or a >= end:
                continue
            data += self.cap.server[cursor:a]
            cursor = b
        if cursor < end:
            data += self.cap.server[cursor:end]
        self.sock.sendall(self._rewrite(bytes(data)))

    def _rewrite(self, data: bytes) -> bytes:
        # Event times move to now (the same length: Content-Lengths stay right): the core schedules by
        # them, and a lead due again a week after the capture would be due at once, redialed mid-test.
        data = _STAMP.sub(lambda m: b"Event-Date-Timestamp: %d" % (int(m[1]) + self.shift_us), data)
        mapping = self.session.uuid_map
        if not mapping:
            return data
        return UUID.sub(lambda m: mapping.get(m[0], m[0]), data.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape")

    # --- comparing a client command with the captured one ---

    def _match(self, k: int, expected: str, actual: str) -> str:
        exp_lines, act_lines = expected.strip("\n").split("\n"), actual.strip("\n").split("\n")
        exp_job, exp_lines = _pop_job(exp_lines)
        act_job, act_lines = _pop_job(act_lines)
        if act_job:
            reply_job = self.cap.replies[k + 1].get("Job-UUID", "")
            if not self._learn(exp_job or reply_job, act_job):
                return f"command {k}: Job-UUID {act_job} conflicts with the replay"
        exp, act = "\n".join(exp_lines), "\n".join(act_lines)
        if _ORIGINATE.match(exp):
            same = _same_originate(exp, act, self._learn, self.script.free_vars)
        else:
            same = _same(_normal(exp), _normal(act), self._learn)
        return "" if same else f"command {k}: expected {expected!r}, got {actual!r}"

    def _learn(self, captured: str, ours: str) -> bool:
        """Map a captured UUID to the client's (a bijection)."""
        mapping = self.session.uuid_map
        if mapping.get(captured, ours) != ours:
            return False
        if any(c != captured and o == ours for c, o in mapping.items()):
            return False
        if captured != ours:
            mapping[captured] = ours
        return True


def _pop_job(lines: list[str]) -> tuple[str, list[str]]:
    job = [line.split(": ", 1)[1] for line in lines if line.startswith("Job-UUID: ")]
    return (job[0] if job else ""), [line for line in lines if not line.startswith("Job-UUID: ")]


def _normal(text: str) -> str:
    if text.startswith("event plain "):
        return "event plain"
    parts = text.split(" ")
    if parts[:2] == ["api", "uuid_kill"] and len(parts) == 3:
        return text + " NORMAL_CLEARING"
    return text


def _same(exp: str, act: str, learn: Callable[[str, str], bool]) -> bool:
    exp_tokens, act_tokens = re.split(r"([ \n])", exp), re.split(r"([ \n])", act)
    if len(exp_tokens) != len(act_tokens):
        return False
    for e_tok, a_tok in zip(exp_tokens, act_tokens, strict=True):
        if UUID.fullmatch(e_tok) and UUID.fullmatch(a_tok):
            if not learn(e_tok, a_tok):
                return False
        elif e_tok != a_tok:
            return False
    return True


def _same_originate(exp: str, act: str, learn: Callable[[str, str], bool],
                    free_vars: frozenset[str] = frozenset()) -> bool:
    e_match, a_match = _ORIGINATE.match(exp), _ORIGINATE.match(act)
    if a_match is None or e_match is None or e_match["verb"] != a_match["verb"]:
        return False
    e_vars = dict(item.split("=", 1) for item in e_match["vars"].split(","))
    a_vars = dict(item.split("=", 1) for item in a_match["vars"].split(","))
    for name, value in e_vars.items():
        if name not in a_vars:
            return False
        if name in free_vars:
            continue
        if UUID.fullmatch(value) and UUID.fullmatch(a_vars[name]):
            if not learn(value, a_vars[name]):
                return False
        elif value != a_vars[name]:
            return False
    return _same(e_match["rest"], a_match["rest"], learn)
