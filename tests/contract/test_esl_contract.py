"""The contract scenarios through the real ESL adapter, against a fake FreeSWITCH replaying real captures.

Each binding names the capture that shows the scenario, the ids it was
recorded with, and the node configuration (lab trunk templates, ``&park`` or
``&echo`` instead of the XML route) that makes our rendered commands match the
captured ones. The fake server also checks every wire command against the
capture (``server.errors()``): the ESL half of "same commands out".

``dtmf`` was recorded live on the sandbox node (``tests/esl/record.py``): only
a real far end presses keys on our leg. The live tests below run every
scenario on that node, the world as the far end.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent
import pytest

from esl.connection import Backoff, EslAdapter
from esl.render import DialConfig
from lab.campaign import Sandbox
from lab.sandbox import fsnode
from lab.sandbox.credentials import freeswitch_secrets
from orchestrator import events as e
from tests.contract import scenarios as s
from tests.contract.live import LIVE_WAIT_S, live_ids, place_arrivals
from tests.esl.capture import load
from tests.esl.fake_server import FakeEslServer, Script, resync_answer
from tests.esl.sink import WAIT_S, Sink


@dataclass(frozen=True)
class EslBinding:
    capture: str
    ids: s.Ids
    trunk: str = ""  # dial template for TRUNK_NAME on this lab node ("": the node's default)
    route_app: str = "&park"  # "": the node's own XML route (captures recorded on the sandbox node)
    upto: int = 0  # capture commands the scenario plays (the handshake included, the final exit not)
    skip: frozenset[int] = field(default_factory=frozenset)
    recordings_dir: str = "/var/lib/freeswitch/recordings"

    def dial(self) -> DialConfig:
        return DialConfig(trunks={s.TRUNK_NAME: self.trunk} if self.trunk else {},
                          routes={s.ROUTE: self.route_app} if self.route_app else {},
                          recordings_dir=self.recordings_dir)


BINDINGS: dict[str, EslBinding] = {
    "originate_answer_hangup": EslBinding(
        "originate_echo_hangup", s.Ids(s.Leg("43", "947abd84-2156-4215-aca0-e1da34b096c6", "1234")),
        "null/{number}", route_app="&echo", upto=4),
    "originate_busy": EslBinding(
        "originate_fail", s.Ids(s.Leg("44", "5d0c43f6-5f0e-4c1a-9d55-0f4c1b3c2a10", "1234")),
        "error/user_busy", upto=3),
    "originate_no_answer": EslBinding(
        "originate_no_answer", s.Ids(s.Leg("49", "f4054872-f030-4bd0-a610-b7dbaab71323", "5551001")),
        "loopback/{number}", upto=3),
    "bridge_two_legs": EslBinding(
        "bridge_two_legs", s.Ids(s.Leg("50", "2532af7c-5c47-4ba9-9fce-5870bb1a9770", "1001"),
                                 s.Leg("51", "49532bcc-84e6-478f-952f-b8e856a7494c", "1002")),
        "null/{number}", upto=6),
    # Recorded live (tests/esl/record.py): the world presses the digits, so they arrive on our leg.
    # Its resync (command 2) is answered like every other replay's (resync_answer), not from the capture.
    "dtmf": EslBinding(
        "contract_dtmf", s.Ids.from_json(load("contract_dtmf").summary["ids"]), route_app="", upto=4,
        skip=frozenset({2})),
    "record_start_stop": EslBinding(
        "record", s.Ids(s.Leg("60", "6031f312-acd7-450c-b46f-9a47d49ddb22", "9664"),
                        recording="esl_fixture_record.wav"),
        "loopback/{number}", upto=6, recordings_dir="/tmp"),
    "amd_machine_beep": EslBinding(
        "avmd_beep", s.Ids(s.Leg("80", "031379fb-b757-4b2b-ae83-34a7530a40c7", "7001")),
        "sofia/external/{number}@127.0.0.1:15080", upto=5, skip=frozenset({2, 3})),
    # Recorded on the live sandbox (tests/contract/record_inbound.py): its world calls the node's DID.
    "inbound_call": EslBinding(
        "contract_inbound_call", s.Ids.from_json(load("contract_inbound_call").summary["ids"]), upto=3),
}


def drive(scenario: s.Scenario, ids: s.Ids, adapter: EslAdapter, sink: Sink,
          wait_s: float = WAIT_S, arrive: Callable[[], None] = lambda: None) -> tuple[list[e.Event], s.Ids]:
    """Play ``scenario`` through ``adapter`` (towards a replay or a live FreeSWITCH); the core events,
    and the ids with the channels of arriving legs (``arrive`` places them once connected)."""
    adapter.start()
    try:
        sink.wait_kind(e.PbxConnected)
        if scenario.arrives:
            arrive()
            if not s.all_arrived(scenario, ids, sink.events):
                sink.wait_for(lambda _ev: s.all_arrived(scenario, ids, sink.events), wait_s)
            ids = s.arrived(scenario, ids, sink.events)
        done = 0
        while done < len(scenario.steps):
            ready = s.due(scenario, ids, sink.events, done)
            if not ready:
                sink.wait_for(lambda _ev: bool(s.due(scenario, ids, sink.events, done)), wait_s)  # noqa: B023
            for step in ready:
                adapter.execute(step.build(ids))
                done += 1
        if not s.settled(scenario, ids, sink.events):
            sink.wait_for(lambda _ev: s.settled(scenario, ids, sink.events), wait_s)
        return list(sink.events), ids
    finally:
        adapter.stop()


def adapter_for(host: str, port: int, password: str, sink: Sink, dial: DialConfig) -> EslAdapter:
    return EslAdapter("fs-contract", host, port, password, sink, dial=dial, command_timeout=WAIT_S,
                      connect_timeout=WAIT_S, backoff=Backoff(initial=0.01, maximum=0.05),
                      rng=random.Random(1))


def run_through_esl(scenario: s.Scenario, binding: EslBinding) -> tuple[list[e.Event], FakeEslServer]:
    """Play ``scenario`` against a fake FreeSWITCH; return the core events and the server (wire check)."""
    server = FakeEslServer([Script(binding.capture, upto=binding.upto, skip=binding.skip, end="segment",
                                   answers=resync_answer())]).start()
    sink = Sink()
    adapter = adapter_for("127.0.0.1", server.port, "ClueCon", sink, binding.dial())
    try:
        events, _ = drive(scenario, binding.ids, adapter, sink)
        return events, server
    finally:
        server.stop()


def test_every_scenario_has_an_esl_binding() -> None:
    assert set(BINDINGS) == {sc.name for sc in s.SCENARIOS}


@pytest.mark.parametrize("name", [sc.name for sc in s.SCENARIOS])
def test_esl_adapter_meets_the_contract(name: str) -> None:
    scenario, binding = s.BY_NAME[name], BINDINGS[name]
    with gevent.Timeout(4 * WAIT_S):
        events, server = run_through_esl(scenario, binding)
    assert server.errors() == []
    assert s.differences(scenario, binding.ids, events) == []


@pytest.mark.sandbox
@pytest.mark.parametrize("name", [sc.name for sc in s.SCENARIOS])
def test_esl_adapter_meets_the_contract_live(name: str, live_sandbox: Sandbox) -> None:
    """The same scenario through the sandbox's FreeSWITCH node (its rendered routes, the production
    dial configuration: ``sofia/gateway/world/<number>``), the world as the far end."""
    scenario, ids, settings = s.BY_NAME[name], live_ids(name, fsnode.GATEWAY), live_sandbox.settings
    sink = Sink()
    adapter = adapter_for("127.0.0.1", settings.esl_port, freeswitch_secrets(settings).esl_password, sink,
                          DialConfig())
    with gevent.Timeout(4 * LIVE_WAIT_S):
        events, ids = drive(scenario, ids, adapter, sink, LIVE_WAIT_S,
                            arrive=lambda: place_arrivals(scenario, ids, "freeswitch"))
    assert s.differences(scenario, ids, events) == []


def test_the_contract_notices_a_wrong_cause() -> None:
    scenario = s.BY_NAME["originate_answer_hangup"]
    ids = BINDINGS[scenario.name].ids
    ch = ids.primary.channel_id
    events = [e.ChannelCreated(0, ch, "43", call_id=ch), e.Answered(0, ch, "43", call_id=ch),
              e.HungUp(0, ch, "43", call_id=ch, cause=17)]
    wrong = f"primary: expected HungUp(primary, cause=16), got {events[2]}"
    assert s.differences(scenario, ids, events) == [wrong]
    events[2] = e.HungUp(0, ch, None, call_id=ch, cause=16)
    assert s.differences(scenario, ids, events) == [
        "primary: HungUp has attempt None, not '43'"]
    events[2] = e.HungUp(0, ch, "43", call_id="another-call", cause=16)
    assert s.differences(scenario, ids, events) == [
        f"primary: HungUp has call 'another-call', not {ch!r}"]
