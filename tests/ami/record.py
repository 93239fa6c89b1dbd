"""(Re-)record the AMI sessions in ``tests/ami/recordings`` from a real Asterisk.

The recorder talks raw TCP (no panoramisk, no client under test) so the files
hold exactly what Asterisk sent. Actions are rendered with :mod:`ami.render`,
the same as the live client. It needs a PBX whose trunk ``world`` reaches a
far end that answers as the sandbox world's numbers say (the far ends named in
``tests/ami/scratch_asterisk``) and a
seat whose phone registers from the world -- the scratch pair does::

    .venv/bin/python -m tests.ami.scratch_asterisk up
    .venv/bin/python -m tests.ami.record            # all scenarios
    .venv/bin/python -m tests.ami.record dtmf       # one
    .venv/bin/python -m tests.ami.record contract_bridge_two_legs   # a contract scenario
    .venv/bin/python -m tests.ami.scratch_asterisk down

Events are requested with ``Events: on`` (everything, ``TestEvent`` noise
included) so the translator is tested against the noisiest stream.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from panoramisk.message import Message

from ami.framing import Framer
from ami.render import render
from ami.translate import Translator
from orchestrator import commands as c
from orchestrator import events as e
from tests.ami import scratch_asterisk as scratch
from tests.ami.contract_lab import BINDINGS
from tests.ami.recording import CONTRACT_PREFIX, Recording
from tests.contract import scenarios as s


def serialize(action: dict) -> bytes:
    lines = []
    for key, value in action.items():
        for item in [value] if isinstance(value, str) else value:
            lines.append(f"{key}: {item}\r\n")
    return ("".join(lines) + "\r\n").encode()


class Session:
    def __init__(self, address: tuple[str, int], user: str, secret: str) -> None:
        self.sock = socket.create_connection(address, timeout=5)
        self.data = bytearray()
        self.framer = Framer()
        self.seen: list[Message] = []
        self.commands: list[c.Command] = []
        self.sent: list[dict[str, Any]] = []
        self.translator = Translator()
        self.events: list[e.Event] = []  # what the client would have reported so far
        self._n = 0
        self.send({"Action": "Login", "Username": user, "Secret": secret, "Events": "on"})
        self.wait_for(lambda m: m.get("Event") == "FullyBooted")

    def send(self, action: dict) -> str:
        self._n += 1
        action_id = f"rec-{self._n}"
        action = {**action, "ActionID": action_id}
        self.sent.append({"offset": len(self.data),
                          "action": {**action, "Secret": "***"} if "Secret" in action else action})
        self.sock.sendall(serialize(action))
        return action_id

    def execute(self, cmd: c.Command, routes: Mapping[str, str] | None = None) -> None:
        self.commands.append(cmd)
        for action in render(cmd, routes):
            self.translator.state.expect(cmd)
            action_id = self.send(action)
            reply = self.wait_for(lambda m, a=action_id: m.get("ActionID") == a and "Response" in m
                                  and "Event" not in m)
            assert reply["Response"] == "Success", reply

    def _take(self, pred: Callable[[Message], bool]) -> Message | None:
        for message in self.seen:
            if pred(message):
                self.seen.remove(message)
                return message
        return None

    def wait_for(self, pred: Callable[[Message], bool], timeout: float = 30) -> Message:
        if (found := self._take(pred)) is not None:
            return found
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                raise ConnectionError("AMI closed")
            self.data += chunk
            for message in self.framer.feed(chunk):
                self.seen.append(message)
                self.events.extend(self.translator.translate(message, now=0.0))
            if (found := self._take(pred)) is not None:
                return found
        raise TimeoutError("AMI: expected message did not come")

    def wait_events(self, pred: Callable[[list[e.Event]], bool], timeout: float = 30) -> None:
        if not pred(self.events):
            self.wait_for(lambda m: pred(self.events), timeout)

    def idle(self, seconds: float) -> None:
        """Keep recording for a while (the far end is doing something timed)."""
        with contextlib.suppress(TimeoutError):
            self.wait_for(lambda m: False, timeout=seconds)

    def close(self) -> bytes:
        self.sock.close()
        return bytes(self.data)


def event(name: str, uniqueid: str | None = None, **headers: str) -> Callable[[Message], bool]:
    def match(m: Message) -> bool:
        if m.get("Event") != name or (uniqueid is not None and m.get("Uniqueid") != uniqueid):
            return False
        return all(m.get(k) == v for k, v in headers.items())
    return match


def originate(s: Session, number: str, route: str = "sbtest-park", timeout_s: int = 10,
              **variables: str) -> str:
    channel_id = str(uuid.uuid4())
    s.execute(c.Originate(
        attempt_id=f"att-{channel_id[:8]}", channel_id=channel_id,
        endpoint=c.Endpoint(c.EndpointKind.TRUNK, "world", number),
        route=route, caller_id="3312345", timeout_s=timeout_s, variables=variables,
    ))
    return channel_id


def answered(s: Session, number: str, **kw: str) -> str:
    ch = originate(s, number, **kw)
    s.wait_for(event("Newstate", ch, ChannelState="6"))
    return ch


# --- scenarios: each drives one call pattern and returns a description ---

def originate_answer_hangup(s: Session) -> str:
    ch = originate(s, scratch.HELLO_THEN_HANGUP, route="sb-outbound", sb_amd="no")
    s.wait_for(event("Hangup", ch))
    return "the world's human says hello and hangs up (cause 16); our route reports SwitchboardWaiting"


def originate_busy(s: Session) -> str:
    ch = originate(s, scratch.BUSY, route="sb-outbound")
    s.wait_for(event("OriginateResponse", ch))
    return "the world answers busy: Hangup cause 17, OriginateResponse Failure"


def originate_congestion(s: Session) -> str:
    ch = originate(s, scratch.CONGESTION, route="sb-outbound")
    s.wait_for(event("OriginateResponse", ch))
    return "the world answers congestion: Hangup cause 34, OriginateResponse Failure"


def originate_no_answer(s: Session) -> str:
    ch = originate(s, scratch.NO_ANSWER, route="sb-outbound", timeout_s=3)
    s.wait_for(event("OriginateResponse", ch))
    s.idle(0.5)
    return "the world rings, our 3 s originate timeout expires: OriginateResponse Failure (Reason 3)"


def originate_early_media(s: Session) -> str:
    ch = originate(s, scratch.EARLY_MEDIA, route="sb-outbound", timeout_s=3)
    s.wait_for(event("OriginateResponse", ch))
    s.idle(0.5)
    return "the world sends 183 Session Progress with a message, never answers; 3 s originate timeout"


def dtmf(s: Session) -> str:
    ch = answered(s, scratch.SENDS_DTMF)
    for digit in "12#":
        s.wait_for(event("DTMFEnd", ch, Digit=digit, Direction="Received"))
    s.execute(c.Hangup(ch))
    s.wait_for(event("Hangup", ch))
    return "the world answers and sends DTMF 1 2 #; we hang up"


def bridge_two_legs(s: Session) -> str:
    a = answered(s, scratch.TALKS_20S)
    b = answered(s, scratch.TALKS_20S)
    s.execute(c.Bridge(a, b))
    s.wait_for(event("BridgeEnter", a))
    s.wait_for(event("BridgeEnter", b))
    s.execute(c.Hangup(a))
    s.wait_for(event("Hangup", a))
    s.wait_for(event("Hangup", b))
    return ("two answered legs (world humans) parked, bridged with AMI Bridge; we hang up A, "
            "B leaves the bridge and its route (Hangup after the Wait) ends it")


def record_start_stop(s: Session) -> str:
    ch = answered(s, scratch.HELLO_THEN_HANGUP)
    s.execute(c.StartRecording(ch, f"sbtest/{ch}.wav"))
    s.wait_for(event("MixMonitorStart", ch))
    s.idle(0.5)
    s.execute(c.StopRecording(ch))
    s.wait_for(event("MixMonitorStop", ch))
    s.wait_for(event("Hangup", ch))
    return "the world's human answered into park; MixMonitor started, stopped, then the world hangs up"


def amd_machine_beep(s: Session) -> str:
    ch = originate(s, scratch.MACHINE, route="sb-outbound", sb_amd="yes", sb_amd_action="hangup")
    s.wait_for(event("UserEvent", ch, UserEvent="SwitchboardAmd"))
    s.wait_for(event("Hangup", ch))
    return "the world's machine plays a greeting and a beep: AMD says MACHINE, the route hangs up"


def amd_human(s: Session) -> str:
    ch = originate(s, scratch.TALKS_20S, route="sb-outbound", sb_amd="yes", sb_amd_action="hangup")
    s.wait_for(event("UserEvent", ch, UserEvent="SwitchboardAmd"))
    s.wait_for(event("UserEvent", ch, UserEvent="SwitchboardWaiting"))
    s.execute(c.Redirect(ch, "sb-abandon"))
    s.wait_for(event("UserEvent", ch, UserEvent="SwitchboardAbandon"))
    s.wait_for(event("Hangup", ch))
    return ("the world's human says hello: AMD says HUMAN, route waits; "
            "we redirect to sb-abandon (message, hangup)")


def seat_registration(s: Session) -> str:
    # Needs a freshly started world: after PJSIPUnregister, Asterisk 22's outbound
    # registration sometimes keeps sending "Expires: 0" on every later PJSIPRegister.
    world = Session(scratch.WORLD.ami_address, scratch.AMI_USER, scratch.AMI_SECRET)
    try:
        world.send({"Action": "PJSIPUnregister", "Registration": f"{scratch.SEAT}-reg"})
        s.wait_for(event("ContactStatus", None, EndpointName=scratch.SEAT, ContactStatus="Removed"))
        world.send({"Action": "PJSIPRegister", "Registration": f"{scratch.SEAT}-reg"})
        # without qualify the new contact is reported as NonQualified
        s.wait_for(event("ContactStatus", None, EndpointName=scratch.SEAT, ContactStatus="NonQualified"))
    finally:
        world.close()
    return "the seat's phone unregisters then registers again: ContactStatus Removed, NonQualified"


SCENARIOS: dict[str, Callable[[Session], str]] = {
    f.__name__: f for f in (
        originate_answer_hangup, originate_busy, originate_congestion, originate_no_answer,
        originate_early_media,
        dtmf, bridge_two_legs, record_start_stop, amd_machine_beep, amd_human, seat_registration,
    )
}


def record_contract(session: Session, scenario: s.Scenario) -> s.Ids:
    """Play a contract scenario the way its runner does: each step once its event was seen."""
    binding = BINDINGS[scenario.name]
    legs = {}
    for leg in scenario.legs():
        channel_id = str(uuid.uuid4())
        legs[leg] = s.Leg(f"c-{channel_id[:8]}", channel_id, binding.numbers[leg])
    recording = f"contract-{legs['primary'].channel_id}.wav"
    ids = s.Ids(legs["primary"], legs.get("secondary"), recording=recording)
    for step in scenario.steps:
        if step.after is not None:
            session.wait_events(lambda evs, x=step.after: s.seen(x, ids, evs))
        session.execute(step.build(ids), binding.routes)
    session.wait_events(lambda evs: s.settled(scenario, ids, evs))
    return ids


def record(name: str) -> Recording:
    session = Session(scratch.PBX.ami_address, scratch.AMI_USER, scratch.AMI_SECRET)
    ids: dict[str, Any] = {}
    if name.startswith(CONTRACT_PREFIX):
        scenario = s.BY_NAME[name.removeprefix(CONTRACT_PREFIX)]
        ids = dataclasses.asdict(record_contract(session, scenario))
        description = f"contract scenario: {scenario.summary}"
    else:
        description = SCENARIOS[name](session)
    session.idle(0.3)  # trailing events (device state, late hangups)
    rec = Recording(name, description, tuple(session.commands), session.close(), tuple(session.sent), ids)
    rec.save()
    return rec


#: Scenarios whose call the world places are recorded on the live sandbox (``tests/contract/record_inbound``).
ALL = [*SCENARIOS, *(CONTRACT_PREFIX + x.name for x in s.SCENARIOS if not x.arrives)]

if __name__ == "__main__":
    for name in sys.argv[1:] or ALL:
        rec = record(name)
        print(f"{name}: {len(rec.data)} bytes, {len(rec.commands)} commands")
