"""The real ``esl.connection`` (greenswitch underneath) against a fake ESL server replaying real captures."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import gevent
import pytest

from esl.connection import Backoff, EslAdapter, NotConnected, Refused, Uncertain, bridged_channel_ids
from esl.framing import Framer
from esl.render import DialConfig
from esl.session import Reply
from orchestrator import commands as c
from orchestrator import events as e
from tests.esl.fake_server import FakeEslServer, Script, bridged_reply, resync_answer
from tests.esl.sink import WAIT_S, Sink

PARKED = "f4822e8b-0511-408a-8f6e-72286c9da41f"  # a-leg of bgapi_originate_park
LIVE = "a025b919-a99b-4593-a5b3-a9835a58355a"  # the parked channel in api_status's resync reply
LAB = DialConfig(trunks={"lab": "loopback/{number}", "busy": "error/user_busy"},
                 routes={"sb-outbound": "&park"})
FAST = Backoff(initial=0.01, maximum=0.05, jitter=0.5)
NO_ROWS, ROWS = resync_answer(rows=False), resync_answer(rows=True)


def originate(channel_id: str = PARKED, attempt: str = "42", trunk: str = "lab", number: str = "9664",
              timeout_s: int = 25) -> c.Originate:
    return c.Originate(attempt, channel_id, c.Endpoint(c.EndpointKind.TRUNK, trunk, number), "sb-outbound",
                       timeout_s=timeout_s)


class Harness:
    def __init__(self, scripts: list[Script], password: str = "ClueCon",
                 command_timeout: float = WAIT_S, connect_timeout: float = WAIT_S,
                 liveness_s: float = 10.0) -> None:
        self.server = FakeEslServer(scripts).start()
        self.sink = Sink()
        self.adapter = EslAdapter("fs1", "127.0.0.1", self.server.port, password, self.sink, dial=LAB,
                                  command_timeout=command_timeout, connect_timeout=connect_timeout,
                                  backoff=FAST, rng=random.Random(7), liveness_s=liveness_s)
        self.adapter.start()

    def close(self) -> None:
        self.adapter.stop()
        self.server.stop()


@pytest.fixture
def harness() -> Iterator[Callable]:
    made: list[Harness] = []

    def make(*scripts: Script, **kw: object) -> Harness:
        made.append(Harness(list(scripts), **kw))
        return made[-1]

    yield make
    for h in made:
        h.close()


def test_connect_authenticates_subscribes_and_resyncs(harness: Callable) -> None:
    h = harness(Script("bgapi_originate_park", upto=2, end="segment", answers=NO_ROWS))
    connected = h.sink.wait_kind(e.PbxConnected)
    assert connected == e.PbxConnected(connected.at, "fs1", frozenset(), bridged_channel_ids=frozenset())
    session = h.server.sessions[0]
    assert session.received[0] == "auth ClueCon\n\n"
    assert session.received[1].startswith("event plain CHANNEL_CREATE ")
    assert "BACKGROUND_JOB" in session.received[1]
    assert " CUSTOM avmd::beep switchboard::abandon " in session.received[1]
    assert session.received[2:4] == ["api show channels as json\n\n", "api show bridged_calls as json\n\n"]
    assert h.server.errors() == []


def test_originate_events_hangup_then_server_goodbye_reconnects(harness: Callable) -> None:
    h = harness(Script("bgapi_originate_park", upto=4, end="rest", answers=NO_ROWS),
                Script("bgapi_originate_park", upto=2, end="segment", answers=ROWS))
    h.sink.wait_kind(e.PbxConnected)
    reply = h.adapter.execute(originate())
    assert reply.ok
    assert reply.data == f"+OK Job-UUID: {reply.headers['Job-UUID']}"
    h.sink.wait_kind(e.Answered, PARKED)
    assert h.adapter.execute(c.Hangup(PARKED)).data == "+OK\n"
    hangup = h.sink.wait_kind(e.HungUp, PARKED)
    assert (hangup.attempt_id, hangup.cause) == ("42", 16)
    # The capture ends with "+OK bye", the disconnect notice and the server's close.
    h.sink.wait_kind(e.PbxDisconnected)
    again = h.sink.wait_kind(e.PbxConnected)
    assert again.live_channel_ids == {LIVE}
    ours = [ev for ev in h.sink.events if isinstance(ev, e.CallEvent) and ev.channel_id == PARKED]
    assert [type(ev).__name__ for ev in ours] == ["ChannelCreated", "Answered", "HungUp"]
    assert h.server.errors() == []
    job = reply.headers["Job-UUID"]
    assert h.server.sessions[0].received[4].endswith(f"\nJob-UUID: {job}\n\n")  # we chose it


def test_a_failed_originate_is_reported_for_our_job(harness: Callable) -> None:
    channel = "0b2f4c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"
    h = harness(Script("originate_fail", upto=3, end="segment", answers=NO_ROWS))
    h.sink.wait_kind(e.PbxConnected)
    h.adapter.execute(originate(channel, attempt="44", trunk="busy", number="1234"))
    failed = h.sink.wait_kind(e.OriginateFailed)
    assert (failed.channel_id, failed.attempt_id, failed.cause, failed.reason) == (
        channel, "44", 17, "-ERR USER_BUSY")
    assert h.server.errors() == []


def test_wrong_password_backs_off_and_retries_without_connecting(harness: Callable) -> None:
    h = harness(Script("auth_fail"), Script("auth_fail"), password="wrong-password")
    first = h.server.accepted.get(timeout=WAIT_S)
    second = h.server.accepted.get(timeout=WAIT_S)  # after a backoff
    assert second.closed.wait(WAIT_S)
    assert first.received == second.received == ["auth wrong-password\n\n"]
    assert not any(isinstance(ev, e.PbxConnected) for ev in h.sink.events)
    assert "authentication refused" in h.adapter.last_error
    with pytest.raises(NotConnected):
        h.adapter.execute(c.Hangup(PARKED))


def test_an_originate_in_flight_when_the_session_drops_is_never_resent(harness: Callable) -> None:
    h = harness(Script("bgapi_originate_park", upto=3, end="drop", answers=NO_ROWS),
                Script("bgapi_originate_park", upto=2, end="segment", answers=ROWS))
    h.sink.wait_kind(e.PbxConnected)
    with pytest.raises(Uncertain):
        h.adapter.execute(originate(LIVE))
    h.sink.wait_kind(e.PbxDisconnected)
    reconnected = h.sink.wait_kind(e.PbxConnected)
    assert LIVE in reconnected.live_channel_ids  # the core reconciles: our channel exists
    assert h.server.errors() == []
    assert not any("originate" in text for text in h.server.sessions[1].received)


def test_a_command_without_reply_times_out_and_the_session_is_replaced(harness: Callable) -> None:
    h = harness(Script("bgapi_originate_park", upto=3, end="stall", answers=NO_ROWS),
                Script("bgapi_originate_park", upto=2, end="segment", answers=NO_ROWS),
                command_timeout=0.2)
    h.sink.wait_kind(e.PbxConnected)
    with pytest.raises(Uncertain, match="no reply within"):
        h.adapter.execute(originate())
    assert h.server.sessions[0].closed.wait(WAIT_S)  # we hung up on the stalled server
    h.sink.wait_kind(e.PbxDisconnected)
    h.sink.wait_kind(e.PbxConnected)
    assert [t for t in h.server.sessions[1].received if "originate" in t] == []


def test_a_silent_session_is_probed_then_replaced_without_any_command(harness: Callable) -> None:
    """A hung FreeSWITCH (or half-open TCP) sends nothing, not even HEARTBEATs: the watchdog's
    probe goes unanswered and the session is replaced, though the runner sent nothing."""
    silent = Script("bgapi_originate_park", upto=2, end="segment", answers=NO_ROWS)  # the probe: no reply
    h = harness(silent, silent, liveness_s=0.1)
    h.sink.wait_kind(e.PbxConnected)
    assert h.server.sessions[0].closed.wait(WAIT_S)  # we hung up on the silent server
    h.sink.wait_kind(e.PbxDisconnected)
    h.sink.wait_kind(e.PbxConnected)
    assert "api uptime\n\n" in h.server.sessions[0].received
    assert h.server.errors() == []


def test_a_slow_sink_does_not_stall_the_socket_reader(harness: Callable) -> None:
    release = gevent.event.Event()
    h = harness(Script("bgapi_originate_park", upto=4, end="segment", answers=NO_ROWS))
    h.sink.wait_kind(e.PbxConnected)
    stuck_sink = h.adapter.sink

    def slow(event: e.Event) -> None:
        release.wait()  # the consumer greenlet blocks on the first call event...
        stuck_sink(event)

    h.adapter.sink = slow
    h.adapter.execute(originate())
    # ...yet replies still arrive: the reader only enqueues.
    assert h.adapter.execute(c.Hangup(PARKED)).data == "+OK\n"
    release.set()
    h.sink.wait_kind(e.HungUp, PARKED)


def test_a_server_that_never_greets_is_abandoned_after_the_connect_timeout(harness: Callable) -> None:
    healthy = Script("bgapi_originate_park", upto=2, end="segment", answers=NO_ROWS)
    h = harness(Script("auth_ok", upto=0, end="stall"), healthy, healthy, healthy, connect_timeout=0.5)
    h.sink.wait_kind(e.PbxConnected)
    silent = h.server.sessions[0]
    assert silent.received == []
    assert silent.closed.wait(WAIT_S)
    assert "connect timed out" in h.adapter.last_error


def test_backoff_doubles_up_to_the_maximum_with_jitter_below_the_base() -> None:
    backoff, rng = Backoff(initial=0.5, maximum=4.0, jitter=0.3), random.Random(3)
    for failures, base in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (9, 4.0)]:
        delays = [backoff.delay(failures, rng) for _ in range(50)]
        assert all(0.7 * base <= d <= base for d in delays)
        assert len(set(delays)) > 1  # jittered: reconnecting runners do not stampede in step


def test_an_error_reply_is_refused_not_uncertain(harness: Callable) -> None:
    gone = "40c8ef15-9239-4f6d-be51-afb4b199032a"  # api_status kills a uuid that does not exist
    h = harness(Script("api_status", upto=3, skip=frozenset({2, 3, 4, 5, 6}), end="segment", answers=NO_ROWS))
    h.sink.wait_kind(e.PbxConnected)
    with pytest.raises(Refused, match="No such channel"):
        h.adapter.execute(c.Hangup(gone))
    assert h.adapter.connected  # a refusal is an answer: the session stays up
    assert h.server.errors() == []


def test_the_resync_reads_both_legs_of_every_bridged_call_from_freeswitchs_reply() -> None:
    def parsed(name: str) -> frozenset[str]:
        (frame,) = Framer().feed(bridged_reply(name))
        return bridged_channel_ids(Reply.of(frame))

    assert parsed("none") == frozenset()
    assert parsed("one") == {"879cfa56-7137-4af1-ae34-9a15ae4325fa", "5f6117ce-aa86-4aa9-8bea-23b775ac7bc2"}
