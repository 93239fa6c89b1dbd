"""The contract scenarios through the real AMI client: replayed (fast, exact) and live (``sandbox``).

Each scenario was recorded on the scratch Asterisk lab node by playing the
scenario's own steps (``tests/ami/record.py``, recordings
``tests/ami/recordings/contract_*``); ``tests/ami/contract_lab.py`` says how the
lab runs the scenario's route and which numbers the world dials. Here the real
:class:`ami.connection.AmiClient` plays the steps again against
:class:`tests.ami.replay_server.ReplayAmi`, which also checks that every AMI
action the client sends is the recorded one: the AMI half of "same commands
out". The live test plays the same steps through the sandbox's pbx (its own
rendered routes, trunk ``world``), the sandbox world as the far end
(``live.py``: the numbers and variables, the same as on FreeSWITCH).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from ami.connection import AmiClient, Backoff
from lab.campaign import Sandbox
from lab.sandbox import world
from orchestrator import events as e
from tests.ami.contract_lab import BINDINGS
from tests.ami.recording import CONTRACT_PREFIX, Recording, contract_names
from tests.ami.replay_server import ReplayAmi
from tests.contract import scenarios as s
from tests.contract.live import LIVE_WAIT_S, live_ids, place_arrivals

WAIT_S = 10


async def drive(scenario: s.Scenario, ids: s.Ids, client: AmiClient,
                finished: Callable[[], bool] = lambda: True, wait_s: float = WAIT_S,
                arrive: Callable[[], None] = lambda: None) -> tuple[list[e.Event], s.Ids]:
    """Play ``scenario`` through ``client`` (a replay's or a live PBX's); the core events, and the ids
    with the channels of arriving legs.

    ``finished``: what else must be true before the run ends (a replay: every recorded action sent).
    ``arrive``: places the scenario's arriving legs (live: the world calls), once connected.
    """
    events: list[e.Event] = []
    arrived = asyncio.Condition()

    async def collect() -> None:
        async for event in client.events():
            async with arrived:
                events.append(event)
                arrived.notify_all()

    async def until(pred) -> None:
        async with arrived:
            await asyncio.wait_for(arrived.wait_for(lambda: pred(events)), wait_s)

    async with client:
        collector = asyncio.create_task(collect())
        await until(lambda evs: any(isinstance(x, e.PbxConnected) for x in evs))
        if scenario.arrives:
            await asyncio.to_thread(arrive)
            await until(lambda evs: s.all_arrived(scenario, ids, evs))
            ids = s.arrived(scenario, ids, events)
        for step in scenario.steps:
            if step.after is not None:
                await until(lambda evs, x=step.after: s.seen(x, ids, evs))
            await client.execute(step.build(ids))
        await until(lambda evs: s.settled(scenario, ids, evs) and finished())
    await collector
    return events, ids


async def run_through_ami(
        scenario: s.Scenario, rec: Recording, ids: s.Ids) -> tuple[list[e.Event], ReplayAmi]:
    server = ReplayAmi(rec)
    await server.start()
    client = AmiClient("127.0.0.1", server.port, "switchboard", "scratch-secret", node="ami-contract",
                       routes=BINDINGS[scenario.name].routes, backoff=Backoff(0.01, 0.05))
    try:
        events, _ = await drive(scenario, ids, client, server.finished)
        return events, server
    finally:
        await server.stop()


def test_every_scenario_has_an_ami_recording() -> None:
    assert contract_names() == sorted(CONTRACT_PREFIX + sc.name for sc in s.SCENARIOS)
    assert set(BINDINGS) == {sc.name for sc in s.SCENARIOS}


@pytest.mark.parametrize("name", [sc.name for sc in s.SCENARIOS])
def test_ami_adapter_meets_the_contract(name: str) -> None:
    scenario, rec = s.BY_NAME[name], Recording.load(CONTRACT_PREFIX + name)
    ids = s.Ids.from_json(rec.ids)
    events, server = asyncio.run(run_through_ami(scenario, rec, ids))
    assert server.errors == []
    assert s.differences(scenario, ids, events) == []


@pytest.mark.sandbox
@pytest.mark.parametrize("name", [sc.name for sc in s.SCENARIOS])
def test_ami_adapter_meets_the_contract_live(name: str, live_sandbox: Sandbox) -> None:
    """The same scenario through the sandbox's Asterisk pbx, its own routes, the world as the far end."""
    scenario, ids, pbx = s.BY_NAME[name], live_ids(name, world.TRUNK), live_sandbox.pbx
    client = AmiClient(pbx.host, pbx.port, pbx.username, pbx.secret, node="ami-contract-live",
                       backoff=Backoff(0.05, 0.5))
    events, ids = asyncio.run(drive(scenario, ids, client, wait_s=LIVE_WAIT_S,
                                    arrive=lambda: place_arrivals(scenario, ids, "pbx")))
    assert s.differences(scenario, ids, events) == []


def test_the_replay_notices_a_different_command() -> None:
    """If the client sent other actions than the recorded ones, the run would say so."""
    scenario, rec = s.BY_NAME["originate_busy"], Recording.load(CONTRACT_PREFIX + "originate_busy")
    ids = s.Ids.from_json(rec.ids)
    other = s.Ids(s.Leg(ids.primary.attempt_id, ids.primary.channel_id, "487"))
    server = ReplayAmi(rec)

    async def main() -> None:
        await server.start()
        try:
            async with AmiClient("127.0.0.1", server.port, "switchboard", "scratch-secret",
                                 routes=BINDINGS[scenario.name].routes) as client:
                await client.execute(scenario.steps[0].build(other))
        finally:
            await server.stop()
    asyncio.run(main())
    assert len(server.errors) == 1
    assert "PJSIP/487@carrier" in server.errors[0]
