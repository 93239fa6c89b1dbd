"""What the PBX tells the core, in PBX-neutral words.

Both adapters translate their wire messages (AMI events, ESL events) into
these frozen dataclasses with pure functions; the contract suite checks that
the same call produces the same sequence of events through either adapter.

Every call-related event names its leg (``channel_id``, the PBX's unique id
of the channel) and the call the leg belongs to (``call_id``), for every
channel on the node, ours or not. A call's id is the unique id of its first
leg: for a call we place, the channel id our Originate chose (both PBXs take
it as the channel's unique id); for a call that reaches us, the first leg as
the PBX names it (Asterisk's ``Linkedid``, FreeSWITCH's ``Channel-Call-UUID``),
so the legs a dialplan adds to a call share its id. An outbound attempt is a
call plus a lead: events of the leg we originated for it also carry
``attempt_id`` (our ``sb_attempt_id`` channel variable), so the core never
has to guess an attempt from a PBX unique id. ``at`` is seconds since the
epoch as reported by the PBX (or receipt time when the PBX gives none).

Hangup causes are Q.850 numbers on both PBXs (FreeSWITCH cause names are
mapped by the ESL adapter): 16 normal, 17 busy, 18/19 no answer, 21 rejected,
34 congestion, 1 unallocated number.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class AmdVerdict(StrEnum):
    HUMAN = "HUMAN"
    MACHINE = "MACHINE"
    NOTSURE = "NOTSURE"


class VoiceCue(StrEnum):
    """What a PBX's energy detector reports after the answer (greeting cadence, see ``orchestrator.amd``)."""

    SPEECH = "speech"  # voice began (after the minimum word length)
    SILENCE = "silence"  # voice, then the after-greeting silence
    NO_SPEECH = "no_speech"  # no voice within the initial silence
    NO_SILENCE = "no_silence"  # the voice went on past the longest greeting (plus its silence)


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    RESERVED = "reserved"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Event:
    at: float


@dataclass(frozen=True, slots=True)
class CallEvent(Event):
    channel_id: str
    attempt_id: str | None = None
    #: The call this leg belongs to (see the module docstring); adapters always set it.
    call_id: str = field(default="", kw_only=True)


@dataclass(frozen=True, slots=True)
class ChannelCreated(CallEvent):
    """The PBX created a channel: one of our originates, a call reaching us, or a leg a dialplan added."""


@dataclass(frozen=True, slots=True)
class CallArrived(CallEvent):
    """A call entered the node from outside (a trunk, or a phone calling in): the core may take it.

    Reported once, for the call's first leg, right after its ``ChannelCreated``;
    ``call_id`` is that leg's channel id. Numbers are as the PBX received them;
    an empty ``caller_name`` means the caller sent none. ``endpoint`` is where
    it came in: the Asterisk PJSIP endpoint; on FreeSWITCH the gateway, or the
    address list (ACL) that admitted a carrier, or else the SIP profile.
    """

    caller_number: str = ""
    caller_name: str = ""
    dialed_number: str = ""
    endpoint: str = ""


@dataclass(frozen=True, slots=True)
class Ringing(CallEvent):
    """The far end is alerting (180/183)."""


@dataclass(frozen=True, slots=True)
class Answered(CallEvent):
    """The far end answered (200 OK); AMD has not decided yet."""


@dataclass(frozen=True, slots=True)
class AmdResult(CallEvent):
    verdict: AmdVerdict = AmdVerdict.NOTSURE
    cause: str = ""


@dataclass(frozen=True, slots=True)
class VoiceDetected(CallEvent):
    """One cadence cue; ``held_ms``: how long the condition had held when it was reported."""

    cue: VoiceCue = VoiceCue.SPEECH
    held_ms: int = 0


@dataclass(frozen=True, slots=True)
class Dtmf(CallEvent):
    digit: str = ""


@dataclass(frozen=True, slots=True)
class Bridged(CallEvent):
    other_channel_id: str = ""


@dataclass(frozen=True, slots=True)
class Unbridged(CallEvent):
    other_channel_id: str = ""


@dataclass(frozen=True, slots=True)
class RecordingStarted(CallEvent):
    path: str = ""


@dataclass(frozen=True, slots=True)
class RecordingStopped(CallEvent):
    path: str = ""


@dataclass(frozen=True, slots=True)
class HungUp(CallEvent):
    cause: int = 16
    cause_text: str = ""


@dataclass(frozen=True, slots=True)
class OriginateFailed(CallEvent):
    """The originate ended without an answered channel (busy, no answer, unreachable).

    ``placed=False``: the PBX refused the originate itself and made no channel (an
    originate action error, Asterisk shutting down): the core counts it as a node refusal.
    """

    cause: int = 0
    reason: str = ""
    placed: bool = True


@dataclass(frozen=True, slots=True)
class DialplanSignal(CallEvent):
    """A named milestone our dialplan reports (e.g. ``abandon`` after the message)."""

    name: str = ""
    fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class SeatRegistration(Event):
    seat: str
    registered: bool
    contact: str = ""


@dataclass(frozen=True, slots=True)
class AgentStateChanged(Event):
    agent_id: int
    state: AgentState
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PbxConnected(Event):
    """The adapter (re)connected; the core should resync from the live channel list."""

    node: str
    live_channel_ids: frozenset[str] = frozenset()
    #: Originates whose fate is unknown: the connection dropped before the PBX
    #: acknowledged them. Adapters never re-send them; one absent from
    #: ``live_channel_ids`` may still have been dialed (and ended) meanwhile.
    uncertain_channel_ids: frozenset[str] = frozenset()
    #: The live channels that are in a bridge; None: the adapter did not ask. A call the store
    #: shows bridged whose channel is live but in no bridge never got its bridge: the runner
    #: that decided it died between storing the decision and sending the command.
    bridged_channel_ids: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class PbxDisconnected(Event):
    node: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Tick(Event):
    """Time passes: pacing decisions and timeouts are driven by this."""


def with_calls(events: Iterable[Event], channel_id: str, call_id: str,
               calls: Mapping[str, str]) -> list[Event]:
    """``events`` translated from one PBX message about ``channel_id``, each with its leg's call id.

    An adapter's handlers build events without one; a message may also yield
    events about another leg (the far side of a bridge), whose call the
    adapter's ``calls`` (channel id -> call id) knows.
    """
    out: list[Event] = []
    for event in events:
        if isinstance(event, CallEvent) and not event.call_id:
            other = event.channel_id != channel_id
            call = calls.get(event.channel_id, event.channel_id) if other else call_id
            event = dataclasses.replace(event, call_id=call)
        out.append(event)
    return out
