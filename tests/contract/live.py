"""The contract scenarios on the live sandbox: what the world does per leg, the same for both PBXes.

The sandbox's world (an Asterisk instance) is the carrier of the Asterisk pbx
(PJSIP trunk ``world``) and of the FreeSWITCH node (gateway ``world``), so one
table says which world number each leg dials; only the node side (a client,
its dial configuration) differs per adapter, and sits next to each adapter's
replay runner. Legs run through the node's own rendered routes (no lab
contexts, no inline apps), with fresh ids per run.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from lab.campaign import random_area_code
from lab.sandbox.credentials import connection_info
from lab.sandbox.world import Outcome, world_number
from orchestrator.dialer import routes
from settings import load_settings
from tests.ami.record import Session
from tests.contract import scenarios as s

#: Ceiling for one wait on a live PBX (only reached when something is broken): a machine's beep
#: comes ~6 s after the answer, more on a loaded machine.
LIVE_WAIT_S = 30.0


@dataclass(frozen=True)
class WorldCall:
    legs: dict[str, Outcome]  # leg -> what the far end does
    #: The scenario starts AMD: the node's ``sb-outbound`` runs it only when the originate says so.
    amd: bool = False


WORLD_CALLS: dict[str, WorldCall] = {
    "originate_answer_hangup": WorldCall({"primary": Outcome.HUMAN}),
    "originate_busy": WorldCall({"primary": Outcome.BUSY}),
    "originate_no_answer": WorldCall({"primary": Outcome.NO_ANSWER}),  # rings until the 3 s timeout
    "bridge_two_legs": WorldCall({"primary": Outcome.HUMAN, "secondary": Outcome.HUMAN}),
    "dtmf": WorldCall({"primary": Outcome.KEYPAD}),  # presses 1 2 # after answering
    "record_start_stop": WorldCall({"primary": Outcome.HUMAN}),
    "amd_machine_beep": WorldCall({"primary": Outcome.MACHINE}, amd=True),
}

#: The runner's variables for a campaign with AMD that leaves a message (``dialing.py``). With
#: ``message`` Asterisk's route waits for the beep instead of hanging up on the machine itself,
#: so the core's Hangup is what ends the call, on both PBXes.
AMD_ON = {routes.VAR_AMD: "yes", routes.VAR_AMD_ACTION: "message", routes.VAR_MESSAGE_SOUND: "beep"}


def live_ids(name: str, trunk: str) -> s.Ids:
    """Fresh ids for one live run of scenario ``name``, dialed on the node's ``trunk`` to the world.

    A leg that arrives gets a fresh DID and no channel id yet (:func:`scenarios.arrived` finds it).
    """
    if s.BY_NAME[name].arrives:
        return s.Ids(s.Leg("", "", f"1555{random.randint(0, 9999999):07d}"), trunk=trunk)
    call, area = WORLD_CALLS[name], random_area_code()
    legs = {}
    for serial, (leg, outcome) in enumerate(sorted(call.legs.items())):
        channel = str(uuid.uuid4())
        number = world_number(outcome, serial=serial, area_code=area)
        legs[leg] = s.Leg(f"live-{channel[:8]}", channel, number)
    return s.Ids(primary=legs["primary"], secondary=legs.get("secondary"),
                 recording=f"contract-{legs['primary'].channel_id}.wav", trunk=trunk,
                 variables=AMD_ON if call.amd else {})


def world_calls(node_on_world: str, did: str) -> None:
    """The world, as the node's carrier, calls ``did`` on the node (its endpoint ``pbx`` or
    ``freeswitch``) from :data:`scenarios.CALLER_NAME` / ``CALLER_NUMBER`` (``Async``: at once)."""
    world = connection_info(load_settings()).world
    session = Session((world.host, world.port), world.username, world.secret)
    try:
        action_id = session.send({
            "Action": "Originate", "Channel": f"PJSIP/{did}@{node_on_world}",
            "CallerID": f'"{s.CALLER_NAME}" <{s.CALLER_NUMBER}>', "Application": "Wait", "Data": "30",
            "Timeout": str(int(LIVE_WAIT_S * 1000)), "Async": "true"})
        reply = session.wait_for(lambda m: m.get("ActionID") == action_id and "Response" in m)
        assert reply["Response"] == "Success", reply
    finally:
        session.close()


def place_arrivals(scenario: s.Scenario, ids: s.Ids, node_on_world: str) -> None:
    """The world places the scenario's arriving legs into the node."""
    for name in scenario.arrives:
        world_calls(node_on_world, ids.leg(name).number)
