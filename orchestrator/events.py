"""What the PBX tells the core, in PBX-neutral words.

Both adapters translate their wire messages (AMI events, ESL events) into
these frozen dataclasses with pure functions; the contract suite checks that
the same call produces the same sequence of events through either adapter.

Every call-related event carries ``attempt_id`` when the PBX message carried
our ``sb_attempt_id`` channel variable, so the core never has to guess an
attempt from a PBX unique id. ``at`` is seconds since the epoch as reported
by the PBX (or receipt time when the PBX gives none).

Hangup causes are Q.850 numbers on both PBXs (FreeSWITCH cause names are
mapped by the ESL adapter): 16 normal, 17 busy, 18/19 no answer, 21 rejected,
34 congestion, 1 unallocated number.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class ChannelCreated(CallEvent):
    """The PBX created a channel for one of our originates (or an inbound call)."""


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


@dataclass(frozen=True, slots=True)
class PbxDisconnected(Event):
    node: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Tick(Event):
    """Time passes: pacing decisions and timeouts are driven by this."""
