"""The world calling in: a customer on the carrier dials a number of a node (its hotline DID, say),
and presses keys in its IVR menu (:func:`press`).

The live hotline tests and ``switchboard pbx sandbox call-in`` both place their calls here, so
what a visitor of the demo does by hand is what the tests do.
"""

from __future__ import annotations

import asyncio
import re
import uuid

from panoramisk.message import Message

from ami.session import AmiTarget, ami_session, run_actions
from store.enums import PbxKind

#: The world's endpoint towards each node (its trunk to the pbx, to the FreeSWITCH node).
ENDPOINT = {PbxKind.ASTERISK: "pbx", PbxKind.FREESWITCH: "freeswitch"}
#: The world's talking phone: once the call is answered, the caller plays its prompt in a loop.
TALKING_EXTEN = "agent999"
#: A number as a carrier hands it over: digits, an optional leading +. Anything else would be
#: written into an AMI action.
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
#: What a caller's display name may hold (it goes into the CallerID header of the action).
_NAME = re.compile(r"^[\w .'-]{1,40}$")


def call_in(world: AmiTarget, kind: PbxKind, did: str, caller: str, *, name: str = "World caller",
            talk_s: int | None = None) -> str:
    """The world calls ``did`` on the node of ``kind`` from ``caller`` and keeps talking until hung up
    (``hang_up``), or ``talk_s`` seconds after the node answers; returns the world channel's id.

    Raises ValueError on a number or name that is not one, RuntimeError when the world refuses.
    """
    for label, value, pattern in (("number to call", did, _NUMBER), ("caller number", caller, _NUMBER),
                                  ("caller name", name, _NAME)):
        if not pattern.match(value):
            raise ValueError(f"not a valid {label}: {value!r}")
    if talk_s is not None and not 1 <= talk_s <= 3600:
        raise ValueError(f"talk time must be 1-3600 s, not {talk_s}")
    channel = str(uuid.uuid4())
    action = {"Action": "Originate", "Channel": f"PJSIP/{did.lstrip('+')}@{ENDPOINT[kind]}",
              "Context": "world-in", "Exten": TALKING_EXTEN, "Priority": "1", "Async": "true",
              "CallerID": f"{name} <{caller}>", "Timeout": "30000", "ChannelId": channel}
    if talk_s is not None:
        action["Variable"] = f"caller_talk_s={talk_s}"  # the world's dialplan sets the timeout
    reply = asyncio.run(_originate(world, action))
    if reply.get("Response") != "Success":
        raise RuntimeError(f"the world did not place the call: {reply}")
    return channel


async def _originate(world: AmiTarget, action: dict[str, str]) -> Message:
    """An async Originate's reply (its own, not the OriginateResponse event that comes later)."""
    async with ami_session(world) as session:
        reply = await session.action(action, as_list=False)
    assert not isinstance(reply, list)  # as_list=False: one message
    return reply


def hang_up(world: AmiTarget, *channels: str) -> None:
    """The world's callers on ``channels`` hang up (one already gone is no error)."""
    run_actions(world, [{"Action": "Hangup", "Channel": channel} for channel in channels])


#: Keys a caller can press (DTMF).
_DIGITS = re.compile(r"^[0-9*#]{1,20}$")


def answered(world: AmiTarget, channel: str) -> bool:
    """The node answered the world's call on ``channel`` (its state is Up); False while ringing or gone."""
    (reply,) = run_actions(world, [{"Action": "Getvar", "Channel": channel, "Variable": "CHANNEL(state)"}])
    return getattr(reply, "success", True) is not False and reply.get("Value") == "Up"


def press(world: AmiTarget, channel: str, digits: str) -> None:
    """The world's caller on ``channel`` presses ``digits`` (RFC 4733 events towards the node, 250 ms each).

    Raises ValueError on anything but DTMF keys (they go into an AMI action).
    """
    if not _DIGITS.match(digits):
        raise ValueError(f"not DTMF keys: {digits!r}")
    # "Async: false": Asterisk answers "DTMF successfully queued", which panoramisk takes for an async
    # originate's reply and looks the action's Async header up (a KeyError without one).
    run_actions(world, [{"Action": "PlayDTMF", "Channel": channel, "Digit": d, "Duration": "250",
                         "Async": "false"} for d in digits])
