"""The contract scenarios through the real AMI client, against a fake Asterisk replaying real traffic.

Each scenario was recorded on the scratch Asterisk lab node by playing the
scenario's own steps (``tests/ami/record.py``, recordings
``tests/ami/recordings/contract_*``); ``tests/ami/contract_lab.py`` says how the
lab runs the scenario's route and which numbers the world dials. Here the real
:class:`ami.connection.AmiClient` plays the steps again against
:class:`tests.ami.replay_server.ReplayAmi`, which also checks that every AMI
action the client sends is the recorded one: the AMI half of "same commands
out". ``dtmf`` is not a contract scenario (see ``test_esl_contract``); the AMI
adapter's DTMF is checked in ``tests/ami``.
"""

from __future__ import annotations

import asyncio

import pytest

from ami.connection import AmiClient, Backoff
from orchestrator import events as e
from tests.ami.contract_lab import BINDINGS, ids_from_json
from tests.ami.recording import CONTRACT_PREFIX, Recording, contract_names
from tests.ami.replay_server import ReplayAmi
from tests.contract import scenarios as s

WAIT_S = 10


async def run_through_ami(
        scenario: s.Scenario, rec: Recording, ids: s.Ids) -> tuple[list[e.Event], ReplayAmi]:
    server = ReplayAmi(rec)
    await server.start()
    events: list[e.Event] = []
    arrived = asyncio.Condition()

    async def collect(client: AmiClient) -> None:
        async for event in client.events():
            async with arrived:
                events.append(event)
                arrived.notify_all()

    async def until(pred) -> None:
        async with arrived:
            await asyncio.wait_for(arrived.wait_for(lambda: pred(events)), WAIT_S)

    client = AmiClient("127.0.0.1", server.port, "switchboard", "scratch-secret", node="ami-contract",
                       routes=BINDINGS[scenario.name].routes, backoff=Backoff(0.01, 0.05))
    try:
        async with client:
            collector = asyncio.create_task(collect(client))
            await until(lambda evs: any(isinstance(x, e.PbxConnected) for x in evs))
            for step in scenario.steps:
                if step.after is not None:
                    await until(lambda evs, x=step.after: s.seen(x, ids, evs))
                await client.execute(step.build(ids))
            await until(lambda evs: s.settled(scenario, ids, evs) and server.finished())
        await collector
        return events, server
    finally:
        await server.stop()


def test_every_scenario_has_an_ami_recording() -> None:
    assert contract_names() == sorted(CONTRACT_PREFIX + sc.name for sc in s.SCENARIOS)
    assert set(BINDINGS) == {sc.name for sc in s.SCENARIOS}


@pytest.mark.parametrize("name", [sc.name for sc in s.SCENARIOS])
def test_ami_adapter_meets_the_contract(name: str) -> None:
    scenario, rec = s.BY_NAME[name], Recording.load(CONTRACT_PREFIX + name)
    ids = ids_from_json(rec.ids)
    events, server = asyncio.run(run_through_ami(scenario, rec, ids))
    assert server.errors == []
    assert s.differences(scenario, ids, events) == []


def test_the_replay_notices_a_different_command() -> None:
    """If the client sent other actions than the recorded ones, the run would say so."""
    scenario, rec = s.BY_NAME["originate_busy"], Recording.load(CONTRACT_PREFIX + "originate_busy")
    ids = ids_from_json(rec.ids)
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
    assert len(server.errors) == 1 and "PJSIP/487@carrier" in server.errors[0]
