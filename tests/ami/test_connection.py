"""Client behaviour that a real Asterisk cannot be asked to show on demand (scripted AMI server)."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest

from ami.connection import AmiAuthError, AmiClient, AmiNotConnected, Backoff, OriginateUncertain
from orchestrator import commands as c
from orchestrator import events as e
from orchestrator.safe import UnsafeValue
from tests.ami.fake_ami import FakeAmi, message

FAST = Backoff(initial=0.01, maximum=0.05)
TRUNK = c.Endpoint(c.EndpointKind.TRUNK, "world", "100")


def client(port: int, secret: str = "s3cret", **kw) -> AmiClient:
    return AmiClient("127.0.0.1", port, "sb", secret, node="n1", backoff=FAST, clock=lambda: 42.0, **kw)


async def take(events, n: int) -> list[e.Event]:
    return [await asyncio.wait_for(anext(events), 10) for _ in range(n)]


def test_backoff_is_exponential_jittered_and_capped():
    backoff, rng = Backoff(initial=0.5, maximum=8, factor=2, jitter=0.5), random.Random(1)
    for failures, base in [(0, 0.5), (1, 1), (2, 2), (3, 4), (4, 8), (10, 8)]:
        delays = {backoff.delay(failures, rng) for _ in range(50)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 40  # jittered: runners do not reconnect in step


def test_events_racing_the_channel_list_come_after_pbx_connected():
    async def main():
        fake = FakeAmi(live=[("live-1", "a1")], during_resync=[
            message(Event="Hangup", Uniqueid="live-1", Cause="16", Timestamp="1800000000.0")])
        await fake.start()
        try:
            async with client(fake.port) as ami:
                connected, hung = await take(ami.events(), 2)
                assert connected == e.PbxConnected(42.0, "n1", live_channel_ids=frozenset({"live-1"}),
                                                    bridged_channel_ids=frozenset())
                # attempt relearnt from the channel list's ChanVariable
                assert hung == e.HungUp(1800000000.0, "live-1", "a1", call_id="live-1", cause=16)
        finally:
            await fake.stop()
    asyncio.run(main())


def test_a_refused_channel_list_is_retried_on_a_new_connection():
    async def main():
        fake = FakeAmi(refuse_listings=1)
        await fake.start()
        try:
            async with client(fake.port) as ami:
                [connected] = await take(ami.events(), 1)
                assert isinstance(connected, e.PbxConnected)
                assert fake.connections == 2
                assert ami.failed_connects == 1
        finally:
            await fake.stop()
    asyncio.run(main())


def test_a_secret_that_would_inject_a_header_is_never_sent():
    async def main():
        fake = FakeAmi()
        await fake.start()
        try:
            with pytest.raises(UnsafeValue):
                async with client(fake.port, secret="s3cret\r\nAction: Originate\r\nChannel: PJSIP/1@x"):
                    pass
            assert fake.received == []
        finally:
            await fake.stop()
    asyncio.run(main())


def test_refused_login_is_fatal():
    async def main():
        fake = FakeAmi()
        await fake.start()
        try:
            with pytest.raises(AmiAuthError, match="Authentication failed"):
                async with client(fake.port, secret="wrong"):
                    pass
        finally:
            await fake.stop()
    asyncio.run(main())


def test_unanswered_originate_is_uncertain_reported_and_never_resent():
    async def main():
        fake = FakeAmi(drop_on_originate=True)
        await fake.start()
        try:
            async with client(fake.port) as ami:
                events = ami.events()
                await take(events, 1)
                cmd = c.Originate("a1", "ch-1", TRUNK, "sb-outbound")
                with pytest.raises(OriginateUncertain) as info:
                    await ami.execute(cmd)
                assert info.value.channel_id == "ch-1"
                lost, again = await take(events, 2)
                assert isinstance(lost, e.PbxDisconnected)
                assert again.uncertain_channel_ids == frozenset({"ch-1"})
                fake.drop_on_originate = False
                await ami.execute(c.Originate("a2", "ch-2", TRUNK, "sb-outbound"))  # a fence
                assert [a["channelid"] for a in fake.actions("Originate")] == ["ch-1", "ch-2"]
                assert fake.connections == 2
        finally:
            await fake.stop()
    asyncio.run(main())


def test_a_silent_peer_is_detected_by_ping_and_the_client_reconnects():
    async def main():
        fake = FakeAmi(answer_pings=False)
        await fake.start()
        try:
            async with client(fake.port, ping_interval=0.05, reply_timeout=0.3) as ami:
                events = ami.events()
                first, lost, second = await take(events, 3)
                assert isinstance(first, e.PbxConnected)
                assert isinstance(second, e.PbxConnected)
                assert isinstance(lost, e.PbxDisconnected)
                assert fake.connections >= 2
                assert fake.actions("Ping")
        finally:
            await fake.stop()
    asyncio.run(main())


def test_reconnects_with_backoff_until_the_pbx_is_back_and_refuses_commands_meanwhile():
    async def main():
        with socket.socket() as s:  # a loopback port nobody listens on yet
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        ami = client(port)
        entering = asyncio.create_task(ami.__aenter__())
        while ami.failed_connects < 3:  # refused, retried after 10, 20, 40 ms (jittered)
            await asyncio.sleep(0.01)
        assert not entering.done()
        with pytest.raises(AmiNotConnected):
            await ami.execute(c.Hangup("ch-1"))
        fake = FakeAmi()
        await fake.start(port)
        try:
            await asyncio.wait_for(entering, 10)
            [connected] = await take(ami.events(), 1)
            assert isinstance(connected, e.PbxConnected)
            assert fake.connections == 1
        finally:
            await ami.__aexit__(None, None, None)
            await fake.stop()
    asyncio.run(main())


@pytest.mark.timeout(30)  # before the fix: the supervisor outlived the client and asyncio.run never ended
def test_closing_ends_the_supervisor_even_when_a_cancellation_is_swallowed(monkeypatch):
    """Python 3.11's wait_for may turn a cancellation that meets its timeout into TimeoutError; the
    watch loop suppresses that, and the client must still close (a runner stuck on SIGTERM otherwise)."""
    real_wait_for = asyncio.wait_for

    async def swallowing_wait_for(awaitable, timeout):
        try:
            return await real_wait_for(awaitable, timeout)
        except asyncio.CancelledError:
            raise TimeoutError from None  # what 3.11 does when the two meet

    monkeypatch.setattr("ami.connection.asyncio.wait_for", swallowing_wait_for)

    async def main():
        fake = FakeAmi()
        await fake.start()
        try:
            ami = client(fake.port, ping_interval=0.05)
            await ami.__aenter__()
            await asyncio.sleep(0.2)  # watching, pinging
            await real_wait_for(ami.__aexit__(None, None, None), 5)
            assert ami._supervisor is not None
            assert ami._supervisor.done()  # before the fix it reconnected on and on
        finally:
            await fake.stop()
    asyncio.run(main())
