"""The AMI client against a real Asterisk 22: the scratch PBX + world pair, and (``any_pbx``) the sandbox."""

from __future__ import annotations

import asyncio
import collections
import uuid

import pytest
from panoramisk import Manager

from ami.connection import AmiActionFailed, AmiClient, Backoff, OriginateUncertain
from ami.render import render
from lab.sandbox.world import TRUNK
from orchestrator import commands as c
from orchestrator import events as e
from tests.ami import scratch_asterisk as scratch
from tests.ami.proxy import CuttableProxy

pytestmark = pytest.mark.sandbox

FAST = Backoff(initial=0.05, maximum=0.5)
WAIT = 30  # seconds: generous ceiling for events that normally take milliseconds


class Collector:
    """Consumes a client's events in the background; tests wait on conditions, never on time."""

    def __init__(self, client: AmiClient) -> None:
        self.events: list[e.Event] = []
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._consume(client))

    async def _consume(self, client: AmiClient) -> None:
        async for event in client.events():
            async with self._changed:
                self.events.append(event)
                self._changed.notify_all()

    async def wait(self, pred, timeout: float = WAIT):
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: pred(self.events)), timeout)

    def of(self, kind, channel_id=None):
        return [ev for ev in self.events
                if isinstance(ev, kind) and (channel_id is None or ev.channel_id == channel_id)]


def originate(pbx, number: str, route: str = "sb-outbound", **variables: str) -> c.Originate:
    channel_id = str(uuid.uuid4())
    return c.Originate(attempt_id="t-" + channel_id[:8], channel_id=channel_id,
                       endpoint=c.Endpoint(c.EndpointKind.TRUNK, TRUNK, number),
                       route=route, caller_id="3312345", timeout_s=10, variables=variables)


def client(pbx, port: int | None = None, host: str | None = None) -> AmiClient:
    return AmiClient(host or pbx.host, port or pbx.port, pbx.username, pbx.secret, node="scratch",
                     backoff=FAST, reply_timeout=10)


def test_login_status_and_resync(pbx):
    async def main():
        async with client(pbx) as ami:
            seen = Collector(ami)
            await seen.wait(lambda evs: any(isinstance(x, e.PbxConnected) for x in evs))
            assert isinstance(seen.events[0], e.PbxConnected)
            assert seen.events[0].node == "scratch"
            status = await ami.query({"Action": "CoreStatus"})
            assert status["Response"] == "Success"
            assert int(status["CoreCurrentCalls"]) >= 0
    asyncio.run(main())


def test_originate_answer_hangup_through_the_real_pbx(any_pbx):
    pbx = any_pbx

    async def main():
        async with client(pbx) as ami:
            seen = Collector(ami)
            cmd = originate(pbx, scratch.HELLO_THEN_HANGUP, sb_amd="no")
            await ami.execute(cmd)
            await seen.wait(lambda evs: any(isinstance(x, e.HungUp) and x.channel_id == cmd.channel_id
                                            for x in evs))
            mine = [ev for ev in seen.events
                    if isinstance(ev, e.CallEvent) and ev.channel_id == cmd.channel_id]
            assert [type(ev).__name__ for ev in mine] == [
                "ChannelCreated", "Answered", "DialplanSignal", "HungUp"]
            assert {ev.attempt_id for ev in mine} == {cmd.attempt_id}
            assert mine[-1].cause == 16
    asyncio.run(main())


def test_busy_originate_reports_failure_with_q850_cause(any_pbx):
    pbx = any_pbx

    async def main():
        async with client(pbx) as ami:
            seen = Collector(ami)
            cmd = originate(pbx, scratch.BUSY)
            await ami.execute(cmd)
            await seen.wait(lambda evs: seen.of(e.OriginateFailed, cmd.channel_id)
                            and seen.of(e.HungUp, cmd.channel_id))
            assert seen.of(e.OriginateFailed, cmd.channel_id)[0].cause == 17
    asyncio.run(main())


def test_refused_originate_raises(pbx):
    async def main():
        async with client(pbx) as ami:
            with pytest.raises(AmiActionFailed, match="Extension does not exist"):
                await ami.execute(originate(pbx, scratch.HELLO_THEN_HANGUP, route="no-such-route"))
    asyncio.run(main())


def test_no_originate_is_sent_twice_when_the_connection_is_cut_mid_burst(any_pbx):
    """A burst of originates; the link freezes once Asterisk got some of them (their replies
    are lost, the rest never arrive), then is cut. After the reconnect every ChannelId
    exists at most once -- panoramisk's Manager would send the unanswered ones again."""
    burst, reach, pbx = 12, 5, any_pbx

    async def main():
        proxy = CuttableProxy(pbx.host, pbx.port)
        await proxy.start()
        try:
            async with client(pbx) as observer, client(pbx, port=proxy.port, host="127.0.0.1") as ami:
                watch, seen = Collector(observer), Collector(ami)
                await seen.wait(lambda evs: seen.of(e.PbxConnected))
                proxy.freeze_after = reach
                commands = [originate(pbx, scratch.BUSY) for _ in range(burst)]
                reached = {x.channel_id for x in commands[:reach]}  # sends go out in order

                async def cut_once_asterisk_has_dialed_them():
                    await proxy.frozen.wait()
                    await watch.wait(lambda evs: {x.channel_id for x in watch.of(e.HungUp)} >= reached)
                    proxy.cut()

                cutter = asyncio.create_task(cut_once_asterisk_has_dialed_them())
                results = await asyncio.gather(*(ami.execute(x) for x in commands), return_exceptions=True)
                await cutter
                assert set(proxy.forwarded_originates) == reached
                # the freezing originate and every later one never got a reply: uncertain, not retried
                assert all(isinstance(r, OriginateUncertain) for r in results[reach - 1:]), results
                uncertain = {r.channel_id for r in results if isinstance(r, OriginateUncertain)}

                await seen.wait(lambda evs: len(seen.of(e.PbxConnected)) == 2)
                assert seen.of(e.PbxDisconnected)
                assert seen.of(e.PbxConnected)[-1].uncertain_channel_ids == uncertain
                await _fence(pbx, ami, watch)

                created = collections.Counter(x.channel_id for x in watch.of(e.ChannelCreated))
                for cmd in commands:
                    assert created[cmd.channel_id] == (1 if cmd.channel_id in reached else 0), cmd
                assert uncertain & reached  # the dangerous case (dialed, unacknowledged) happened
                assert proxy.connections == 2
        finally:
            await proxy.stop()

    asyncio.run(main())


async def _fence(pbx, ami: AmiClient, watch: Collector) -> None:
    """One more originate on the new connection, after anything a re-send would have sent."""
    fence = originate(pbx, scratch.BUSY)
    await ami.execute(fence)
    await watch.wait(lambda evs: watch.of(e.HungUp, fence.channel_id))


def test_the_same_cut_makes_plain_panoramisk_dial_twice(pbx):
    """Control for the test above: it does detect duplicates, with panoramisk's own Manager."""
    burst, reach = 6, 3

    async def main():
        proxy = CuttableProxy(pbx.host, pbx.port)
        await proxy.start()
        logged_in = asyncio.Event()
        manager = Manager(loop=asyncio.get_running_loop(), host="127.0.0.1", port=proxy.port,
                          username=pbx.username, secret=pbx.secret, reconnect_timeout=1,
                          ping_delay=3600, on_login=lambda m: logged_in.set())
        try:
            async with client(pbx) as observer:
                watch = Collector(observer)
                manager.connect()
                await asyncio.wait_for(logged_in.wait(), WAIT)
                proxy.freeze_after = reach
                commands = [originate(pbx, scratch.BUSY) for _ in range(burst)]
                for cmd in commands:
                    manager.send_action(render(cmd)[0])  # resolves only at OriginateResponse: not awaited
                reached = {x.channel_id for x in commands[:reach]}
                await proxy.frozen.wait()
                await watch.wait(lambda evs: {x.channel_id for x in watch.of(e.HungUp)} >= reached)
                proxy.cut()

                def dialed_twice(evs):
                    created = collections.Counter(x.channel_id for x in watch.of(e.ChannelCreated))
                    return any(created[ch] == 2 for ch in reached)
                await watch.wait(dialed_twice)
        finally:
            manager.close()
            await proxy.stop()

    asyncio.run(main())


def test_commands_on_live_calls_bridge_record_hangup_and_resync(pbx):
    """Two answered legs: record, bridge, drop the AMI link, resync, hang up."""
    async def main():
        async with client(pbx) as ami:
            seen = Collector(ami)
            a, b = (originate(pbx, scratch.TALKS_20S, route="sbtest-park"),
                    originate(pbx, scratch.TALKS_20S, route="sbtest-park"))
            for leg in (a, b):
                await ami.execute(leg)
            await seen.wait(lambda evs: all(seen.of(e.Answered, x.channel_id) for x in (a, b)))

            await ami.execute(c.StartRecording(a.channel_id, f"sbtest/{a.channel_id}.wav"))
            await ami.execute(c.Bridge(a.channel_id, b.channel_id))
            await seen.wait(lambda evs: seen.of(e.Bridged, a.channel_id) and seen.of(e.RecordingStarted))
            assert seen.of(e.Bridged, a.channel_id)[0].other_channel_id == b.channel_id
            assert seen.of(e.RecordingStarted)[0].path == f"sbtest/{a.channel_id}.wav"
            await ami.execute(c.StopRecording(a.channel_id))
            await seen.wait(lambda evs: seen.of(e.RecordingStopped, a.channel_id))

            ami.drop_connection()
            await seen.wait(lambda evs: len(seen.of(e.PbxConnected)) == 2)
            resynced = seen.of(e.PbxConnected)[-1]
            assert {a.channel_id, b.channel_id} <= resynced.live_channel_ids
            assert {a.channel_id, b.channel_id} <= (resynced.bridged_channel_ids or set())  # in a bridge

            await ami.execute(c.Hangup(a.channel_id, cause=16))
            await seen.wait(lambda evs: seen.of(e.HungUp, a.channel_id) and seen.of(e.HungUp, b.channel_id))
            # the bridge was relearnt from CoreShowChannels' BridgeId after the reconnect
            assert seen.of(e.Unbridged, b.channel_id)[0].other_channel_id == a.channel_id
            hung = seen.of(e.HungUp, b.channel_id)[0]
            assert (hung.attempt_id, hung.cause) == (b.attempt_id, 16)
            await ami.execute(c.Reload("pbx_config"))
    asyncio.run(main())


def test_dtmf_arrives_with_the_default_event_mask(pbx):
    """The client asks only for system,call,user,dtmf,agent events: DTMF still comes."""
    async def main():
        async with client(pbx) as ami:
            seen = Collector(ami)
            cmd = originate(pbx, scratch.SENDS_DTMF, route="sbtest-park")
            await ami.execute(cmd)
            await seen.wait(lambda evs: len(seen.of(e.Dtmf, cmd.channel_id)) == 3)
            assert [x.digit for x in seen.of(e.Dtmf, cmd.channel_id)] == ["1", "2", "#"]
            await ami.execute(c.Hangup(cmd.channel_id))
            await seen.wait(lambda evs: seen.of(e.HungUp, cmd.channel_id))
    asyncio.run(main())
