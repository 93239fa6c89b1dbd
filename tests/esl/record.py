"""Record a contract scenario on the live FreeSWITCH node as a capture in ``fixtures/``.

The shared captures (``fixtures/README.md``) were made by a raw-socket client
on a lab node; some scenarios can only be seen with a real far end (DTMF the
*customer* presses arrives on our leg only from a real call). This runs the
scenario live, exactly as ``test_esl_contract``'s live test does (the real
adapter, the node's routes, the sandbox world as the far end), through a tap
that keeps every byte each way and, for every command the adapter sent, how
many server bytes had arrived by then. The summary (``NAME.json``) is made
from those bytes by the project's framer, in the README's format, plus the
run's ``ids`` so the replay can bind them. The node's ESL password is written
as ``ClueCon`` (what the replays log in with); nothing else is edited.

    flock /tmp/sandbox.lock .venv/bin/python -m tests.esl.record dtmf   # -> fixtures/contract_dtmf.*
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from datetime import UTC, datetime

import gevent
import gevent.server
import gevent.socket

from esl.framing import Framer, parse_event
from esl.render import DialConfig
from lab.campaign import sandbox_up
from lab.sandbox import fsnode
from lab.sandbox.credentials import freeswitch_secrets
from settings import load_settings
from tests.contract import scenarios as s
from tests.contract.live import LIVE_WAIT_S, live_ids, place_arrivals
from tests.contract.test_esl_contract import adapter_for, drive
from tests.esl.capture import CONTRACT_PREFIX, FIXTURES
from tests.esl.sink import Sink

REPLAY_PASSWORD = "ClueCon"
#: Event headers kept in the summary (the README's list), besides our ``variable_sb_*``.
SUMMARY_HEADERS = ("Event-Name", "Event-Subclass", "Event-Sequence", "Unique-ID", "Channel-Name",
                   "Call-Direction", "Channel-State", "Channel-Call-State", "Answer-State", "Hangup-Cause",
                   "Job-UUID", "Job-Command", "Job-Command-Arg", "Other-Leg-Unique-ID", "DTMF-Digit",
                   "DTMF-Duration", "DTMF-Source", "Record-File-Path", "Application", "Application-Data",
                   "variable_origination_uuid", "variable_hangup_cause", "variable_hangup_cause_q850")
BODY_CUT = 300


class Tap:
    """A TCP relay to FreeSWITCH that records both directions (one connection)."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.server, self.client = bytearray(), bytearray()
        self.commands: list[dict[str, object]] = []
        self.started = time.monotonic()
        self._pending = b""
        self._listener = gevent.server.StreamServer(("127.0.0.1", 0), self._relay)

    @property
    def port(self) -> int:
        return self._listener.server_port

    def start(self) -> Tap:
        self._listener.start()
        return self

    def stop(self) -> None:
        self._listener.stop(timeout=1)

    def _ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def _relay(self, downstream: gevent.socket.socket, _address: object) -> None:
        upstream = gevent.socket.create_connection(self.upstream)
        back = gevent.spawn(self._pump_server, upstream, downstream)
        try:
            while data := downstream.recv(65536):
                self._client_bytes(data)  # before FreeSWITCH sees it: its reply cannot be counted
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            upstream.close()
            back.join(timeout=2)
            downstream.close()

    def _pump_server(self, upstream: gevent.socket.socket, downstream: gevent.socket.socket) -> None:
        try:
            while data := upstream.recv(65536):
                self.server += data
                downstream.sendall(data)
        except OSError:
            pass

    def _client_bytes(self, data: bytes) -> None:
        self.client += data
        self._pending += data
        while b"\n\n" in self._pending:
            raw, _, self._pending = self._pending.partition(b"\n\n")
            self.commands.append({"t_ms": self._ms(), "server_offset": len(self.server),
                                  "text": raw.decode() + "\n\n"})


def summary(tap: Tap, name: str, description: str, password: str, ids: s.Ids) -> dict[str, object]:
    """The README's ``NAME.json`` for what the tap saw (password replaced, see the module docstring)."""
    data = bytes(tap.server)
    replies, events, counts = [], [], {}
    framer, cursor = Framer(), 0
    for frame in framer.feed(data):
        while data[cursor:cursor + 1] == b"\n":  # the framer's own rule: blank lines between frames
            cursor += 1
        start = cursor
        cursor = data.index(b"\n\n", cursor) + 2 + int(frame.get("Content-Length") or 0)
        if frame.is_event:
            event = parse_event(frame)
            item = {"offset": start, "ctype": frame.content_type}
            item.update({k: event.get(k) for k in SUMMARY_HEADERS if event.get(k)})
            item.update({k: event.get(k) for k, _ in event.headers if k.startswith("variable_sb_")})
            if event.body:
                item["_body"] = event.body
            events.append(item)
            counts[event.name] = counts.get(event.name, 0) + 1
        else:
            item = {"offset": start, "Content-Type": frame.content_type}
            item.update({k: frame.get(k) for k in ("Reply-Text", "Job-UUID", "Content-Disposition")
                         if frame.get(k)})
            if frame.body:
                item["_body"] = frame.text()[:BODY_CUT]
            replies.append(item)
    commands = [{**c, "text": _redact(str(c["text"]), password)} for c in tap.commands]
    return {
        "scenario": name, "description": description, "captured_utc": datetime.now(UTC).isoformat(),
        "trimmed": False, "client_bytes": len(tap.client), "server_bytes": len(tap.server),
        "unparsed_trailing_bytes": len(data) - cursor,
        "ids": dataclasses.asdict(ids), "event_counts": counts,
        "commands": commands, "replies": replies, "events": events,
    }


def _redact(text: str, password: str) -> str:
    return text.replace(f"auth {password}\n", f"auth {REPLAY_PASSWORD}\n")


def record(scenario_name: str) -> str:
    """Run ``scenario_name`` live through the tap; write ``fixtures/contract_<name>.*``; returns the name."""
    settings = sandbox_up(load_settings(), "all").settings
    password = freeswitch_secrets(settings).esl_password
    scenario, ids = s.BY_NAME[scenario_name], live_ids(scenario_name, fsnode.GATEWAY)
    tap = Tap("127.0.0.1", settings.esl_port).start()
    sink = Sink()
    adapter = adapter_for("127.0.0.1", tap.port, password, sink, DialConfig())
    try:
        with gevent.Timeout(4 * LIVE_WAIT_S):
            events, ids = drive(scenario, ids, adapter, sink, LIVE_WAIT_S,
                                arrive=lambda: place_arrivals(scenario, ids, "freeswitch"))
    finally:
        tap.stop()
    problems = s.differences(scenario, ids, events)
    if problems:
        raise SystemExit(f"{scenario_name}: not recorded, the live run differs: {problems}")
    name = CONTRACT_PREFIX + scenario_name
    description = (f"contract scenario, recorded live on the sandbox FreeSWITCH through its world gateway "
                   f"(tests/esl/record.py): {scenario.summary}")
    (FIXTURES / f"{name}.server.txt").write_bytes(bytes(tap.server))
    (FIXTURES / f"{name}.client.txt").write_bytes(_redact(tap.client.decode(), password).encode())
    (FIXTURES / f"{name}.json").write_text(
        json.dumps(summary(tap, name, description, password, ids), indent=1) + "\n")
    return name


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print("recorded", record(arg))
