"""Record the ``inbound_call`` contract scenario on the live sandbox, for both adapters.

The sandbox's world is the carrier of both nodes; here it places the call:
an AMI ``Originate`` on the world into ``PJSIP/<DID>@pbx`` (the pbx's trunk
``world``) or ``PJSIP/<DID>@freeswitch`` (the FreeSWITCH node's gateway
``world``), from :data:`~tests.contract.scenarios.CALLER_NAME` /
``CALLER_NUMBER``. The node's own routes take it (``sb-inbound``, the
rendered dialplan: it rings); once the node reports the arriving channel, the
recorder sends what the scenario's step renders (``Hangup`` 21) and keeps
reading until the channel is gone.

* Asterisk: ``tests/ami/recordings/contract_inbound_call.*``, made by the AMI
  recorder's raw session (``tests/ami/record.py``) on the pbx's AMI.
* FreeSWITCH: ``tests/esl/fixtures/contract_inbound_call.*``, a raw event-socket session
  in the format of ``tests/esl/fixtures/README.md`` (``event plain ALL``, every
  byte kept). The node's ESL password is written as ``ClueCon`` in the client
  side and its summary (what the replays log in with); the server bytes are
  untouched.

Both need the nodes running this checkout's dialplan (``sb-inbound``) and, on
FreeSWITCH, the carrier ACL of the sandbox template; run under the sandbox lock::

    flock /tmp/sandbox.lock .venv/bin/python -m tests.contract.record_inbound ami esl
"""

from __future__ import annotations

import dataclasses
import json
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from esl.framing import Framer, parse_event
from esl.render import DialConfig
from esl.render import render as esl_render
from lab.sandbox.credentials import connection_info, freeswitch_secrets
from orchestrator import events as e
from settings import load_settings
from tests.ami.record import Session, event
from tests.ami.recording import CONTRACT_PREFIX, Recording
from tests.contract import scenarios as s
from tests.contract.live import world_calls
from tests.esl.capture import FIXTURES

SCENARIO = s.BY_NAME["inbound_call"]
#: The DIDs the world dials (any number reaches ``sb-inbound``; one per node keeps the files apart).
DIDS = {"ami": "15550100", "esl": "15550101"}
REPLAY_PASSWORD = "ClueCon"
#: Event headers the summary keeps (the README's list), plus every ``variable_sb_*``.
SUMMARY_HEADERS = ("Event-Name", "Event-Subclass", "Event-Sequence", "Unique-ID", "Channel-Name",
                   "Call-Direction", "Channel-State", "Channel-Call-State", "Answer-State", "Hangup-Cause",
                   "Channel-Call-UUID", "Caller-Caller-ID-Number", "Caller-Caller-ID-Name",
                   "Caller-Destination-Number", "variable_sofia_profile_name", "variable_sip_gateway_name",
                   "variable_hangup_cause", "variable_hangup_cause_q850")
WAIT_S = 20


def record_ami() -> Recording:
    pbx = connection_info(load_settings()).pbx
    session = Session((pbx.host, pbx.port), pbx.username, pbx.secret)
    did = DIDS["ami"]
    world_calls("pbx", did)
    session.wait_events(lambda evs: any(isinstance(x, e.CallArrived) and x.dialed_number == did for x in evs))
    arrived = next(x for x in session.events if isinstance(x, e.CallArrived) and x.dialed_number == did)
    ids = s.Ids(s.Leg("", arrived.channel_id, did))
    session.execute(SCENARIO.steps[0].build(ids))
    session.wait_for(event("Hangup", arrived.channel_id))
    session.idle(0.3)
    sent = tuple({**x, "action": {**x["action"], "Secret": "***"}} if "Secret" in x["action"] else x
                 for x in session.sent)
    rec = Recording(CONTRACT_PREFIX + SCENARIO.name, f"contract scenario: {SCENARIO.summary}",
                    tuple(session.commands), session.close(), sent, dataclasses.asdict(ids))
    rec.save()
    return rec


class EslSession:
    """A raw event-socket client that keeps every byte each way (the fixtures' README format)."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        self.started = time.monotonic()
        self.server = bytearray()
        self.commands: list[dict[str, Any]] = []
        self.framer = Framer()
        self.events: list[Any] = []  # parsed events, in order
        self.eof = False

    def ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def send(self, text: str) -> None:
        self.commands.append({"t_ms": self.ms(), "server_offset": len(self.server), "text": text})
        self.sock.sendall(text.encode())

    def read_until(self, done: Callable[[], bool], timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while not done() and not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("ESL: expected event did not come")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                self.eof = True
                break
            self.server += chunk
            self.events += [parse_event(f) for f in self.framer.feed(chunk) if f.is_event]

    def event(self, pred: Callable[[Any], bool]) -> Any:
        self.read_until(lambda: any(pred(x) for x in self.events))
        return next(x for x in self.events if pred(x))


def _frames(data: bytes) -> list[tuple[int, Any]]:
    """Every frame of the server stream with its offset (framed one by one, as received)."""
    out, pos, framer = [], 0, Framer()
    while pos < len(data):
        head_end = data.index(b"\n\n", pos)
        length = next((int(line.split(b":", 1)[1]) for line in data[pos:head_end].split(b"\n")
                       if line.lower().startswith(b"content-length:")), 0)
        end = head_end + 2 + length
        (frame,) = framer.feed(data[pos:end])
        out.append((pos, frame))
        pos = end
    return out


def _summary(session: EslSession, description: str, extra: dict[str, Any]) -> dict[str, Any]:
    replies, events = [], []
    for offset, frame in _frames(bytes(session.server)):
        if frame.is_event:
            ev = parse_event(frame)
            item: dict[str, Any] = {"offset": offset, "ctype": frame.content_type}
            item.update({k: ev.get(k) for k in SUMMARY_HEADERS if ev.get(k)})
            item.update({k: v for k, v in ev.headers if k.startswith("variable_sb_")})
            events.append(item)
        else:
            reply: dict[str, Any] = {"offset": offset, "Content-Type": frame.content_type}
            reply.update({k: frame.get(k) for k in ("Reply-Text", "Job-UUID", "Content-Disposition")
                          if frame.get(k)})
            if frame.text():
                reply["_body"] = frame.text()[:300]
            replies.append(reply)
    counts: dict[str, int] = {}
    for item in events:
        counts[item["Event-Name"]] = counts.get(item["Event-Name"], 0) + 1
    return {"scenario": SCENARIO.name, "description": description,
            "captured_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "trimmed": False,
            "server_bytes": len(session.server), "server_closed_connection": session.eof, **extra,
            "event_counts": counts, "commands": session.commands, "replies": replies, "events": events}


def record_esl() -> dict[str, Any]:
    settings = load_settings()
    password = freeswitch_secrets(settings).esl_password
    session = EslSession("127.0.0.1", settings.esl_port)
    did = DIDS["esl"]
    session.read_until(lambda: b"auth/request" in session.server)
    session.send(f"auth {password}\n\n")
    session.read_until(lambda: b"+OK accepted" in session.server)
    session.send("event plain ALL\n\n")
    session.read_until(lambda: b"+OK event listener enabled" in session.server)
    world_calls("freeswitch", did)
    created = session.event(lambda x: x.name == "CHANNEL_CREATE" and x.get("Caller-Destination-Number") == did
                            and x.get("Call-Direction") == "inbound")
    channel = created.get("Unique-ID")
    ids = s.Ids(s.Leg("", channel, did))
    request = esl_render(SCENARIO.steps[0].build(ids), DialConfig())
    assert request is not None
    session.send(request.text + "\n\n")
    session.event(lambda x: x.name == "CHANNEL_DESTROY" and x.get("Unique-ID") == channel)
    session.send("exit\n\n")
    session.read_until(lambda: False, timeout=5)
    session.sock.close()
    client = "".join(x["text"] for x in session.commands).replace(password, REPLAY_PASSWORD)
    for command in session.commands:
        command["text"] = command["text"].replace(password, REPLAY_PASSWORD)
    name = CONTRACT_PREFIX + SCENARIO.name
    summary = _summary(session, f"contract scenario: {SCENARIO.summary} (the world calls {did})",
                       {"ids": dataclasses.asdict(ids)})
    (FIXTURES / f"{name}.server.txt").write_bytes(bytes(session.server))
    (FIXTURES / f"{name}.client.txt").write_text(client)
    (FIXTURES / f"{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


if __name__ == "__main__":
    for kind in sys.argv[1:] or ["ami", "esl"]:
        if kind == "ami":
            rec = record_ami()
            print(f"ami: {len(rec.data)} bytes, ids {rec.ids}")
        else:
            summary = record_esl()
            print(f"esl: {summary['server_bytes']} bytes, ids {summary['ids']}")
