"""AMI events -> core events: pure functions over a small per-connection state.

Facts from recorded Asterisk 22 traffic (``tests/ami/recordings``) that shape
this module:

* ``Newchannel`` of an originated channel carries ``ChanVariable:
  sb_attempt_id=`` *empty* (the Originate's variables are set just after);
  later events carry the value. The client therefore tells the state about
  every command it sends (:meth:`TranslationState.expect`), keyed by our
  ``ChannelId`` (= the channel's Uniqueid), and ``ChanVariable`` fills in the
  rest (channels we did not originate, state rebuilt after a reconnect).
* A failed originate reports ``Reason: 0`` for both busy and congestion and
  its ``OriginateResponse`` may come before or after the ``Hangup`` (and before
  any ``HangupRequest``/``DialEnd``). The channel's ``Cause``/``DialStatus`` are
  exact, so they win over the reason code; when none has come yet and the
  channel still exists, ``OriginateFailed`` waits for its ``Hangup``.
* ``MixMonitorStart``/``Stop`` do not name the file, and ``MixMonitorStop``
  does not fire on hangup: the state remembers the file we asked for and a
  hangup ends a running recording.
* A 180 gives ``Newstate`` 5 and ``DialState`` RINGING, a 183 with early media
  only ``DialState`` PROGRESS: either is reported once as ``Ringing``.
* ``TestEvent`` (about 17 per call on Debian's build) is noise.
* A call from the trunk (``inbound_call``) starts as ``Newchannel`` with
  ``ChannelState: 4`` (Ring), ``Linkedid`` = its own ``Uniqueid``, the DID in
  ``Exten`` and the caller in ``CallerIDNum``/``CallerIDName``
  (``<unknown>`` when absent). Originated channels start in state 0 (Down), and
  so do channels a dialplan dials; a ``Local`` channel's ``;2`` half starts in
  Ring but inside its ``;1`` half's call. ``Linkedid`` changes when a bridge
  joins calls, so a leg's call id is taken once, when the leg is first seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from orchestrator import commands as c
from orchestrator import events as e

Headers = Mapping[str, str | Sequence[str]]

#: DialEnd DialStatus -> Q.850 cause.
DIAL_STATUS_CAUSE = {"BUSY": 17, "NOANSWER": 19, "CONGESTION": 34, "CHANUNAVAIL": 20, "CANCEL": 16}
#: OriginateResponse Reason (last control frame seen) -> Q.850 cause, when nothing better is known.
ORIGINATE_REASON_CAUSE = {1: 16, 3: 19, 5: 17, 8: 34}
#: ContactStatus values meaning the seat cannot be reached.
CONTACT_GONE = frozenset({"Removed", "Unreachable"})
#: ``Newchannel`` ChannelState of a channel whose far end called in.
STATE_RING = "4"
#: What Asterisk puts in caller id fields the caller did not send.
UNKNOWN = "<unknown>"

USER_EVENT_PREFIX = "Switchboard"
#: Headers of a UserEvent that describe the channel, not the dialplan's payload.
_SNAPSHOT_HEADERS = frozenset(h.lower() for h in (
    "Event", "Privilege", "Timestamp", "SystemName", "UserEvent", "Channel", "ChannelState",
    "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum", "ConnectedLineName",
    "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid", "ChanVariable",
    "Attempt", "content",
))
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass
class TranslationState:
    """What translation must remember between events of one AMI connection."""

    attempts: dict[str, str] = field(default_factory=dict)  # channel id -> attempt id
    calls: dict[str, str] = field(default_factory=dict)  # channel id -> call id
    originating: set[str] = field(default_factory=set)  # our originates awaiting OriginateResponse
    causes: dict[str, int] = field(default_factory=dict)  # channel id -> last known Q.850 cause
    recording_paths: dict[str, str] = field(default_factory=dict)  # channel id -> requested file
    recording: set[str] = field(default_factory=set)  # channels with a running MixMonitor
    bridges: dict[str, list[str]] = field(default_factory=dict)  # bridge id -> member channel ids
    ended: set[str] = field(default_factory=set)  # hung up, OriginateResponse still to come
    ringing: set[str] = field(default_factory=set)  # Ringing already reported
    created: set[str] = field(default_factory=set)  # our originates whose channel exists
    failures: dict[str, tuple[float, int]] = field(default_factory=dict)  # (at, reason) awaiting a cause

    def expect(self, command: c.Command) -> None:
        """Remember what a command we are sending will make the PBX report."""
        if isinstance(command, c.Originate):
            self.attempts[command.channel_id] = command.attempt_id
            self.calls[command.channel_id] = command.channel_id  # the first leg of a call we place
            self.originating.add(command.channel_id)
        elif isinstance(command, c.StartRecording):
            self.recording_paths[command.channel_id] = command.filename

    def forget_originate(self, channel_id: str) -> None:
        """The Originate was refused or never reached Asterisk: no events will come."""
        self.originating.discard(channel_id)
        self._forget_channel(channel_id)

    def retain(self, live_channel_ids: Iterable[str]) -> None:
        """After a reconnect: drop what belongs to channels that no longer exist."""
        live = set(live_channel_ids)
        self.attempts = {k: v for k, v in self.attempts.items() if k in live}
        self.calls = {k: v for k, v in self.calls.items() if k in live}
        self.originating &= live
        self.causes = {k: v for k, v in self.causes.items() if k in live}
        self.recording_paths = {k: v for k, v in self.recording_paths.items() if k in live}
        self.recording &= live
        self.ringing &= live
        self.created &= live
        self.failures = {k: v for k, v in self.failures.items() if k in live}
        self.bridges = {}
        self.ended = set()

    def _channel_gone(self, channel_id: str) -> None:
        if channel_id in self.originating:  # its OriginateResponse still needs the attempt
            self.ended.add(channel_id)
        else:
            self._forget_channel(channel_id)

    def _forget_channel(self, channel_id: str) -> None:
        self.attempts.pop(channel_id, None)
        self.calls.pop(channel_id, None)
        self.causes.pop(channel_id, None)
        self.recording_paths.pop(channel_id, None)
        self.recording.discard(channel_id)
        self.ringing.discard(channel_id)
        self.created.discard(channel_id)
        self.failures.pop(channel_id, None)
        self.ended.discard(channel_id)


def _one(headers: Headers, name: str) -> str:
    value = headers.get(name, "")
    if isinstance(value, str):
        return value
    return value[-1] if value else ""


def chan_variables(headers: Headers, name: str = "ChanVariable") -> dict[str, str]:
    """``ChanVariable: k=v`` headers (one or many) as a dict."""
    raw = headers.get(name, ())
    items = [raw] if isinstance(raw, str) else raw
    return dict(item.split("=", 1) for item in items if "=" in item)


def _caller_id(headers: Headers, name: str) -> str:
    value = _one(headers, name)
    return "" if value == UNKNOWN else value


def _at(headers: Headers, now: float) -> float:
    try:
        return float(_one(headers, "Timestamp"))
    except ValueError:
        return now


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


class Translator:
    """``translate(headers, now)`` -> core events; owns the connection's :class:`TranslationState`."""

    def __init__(self, state: TranslationState | None = None) -> None:
        self.state = state or TranslationState()
        self._handlers: dict[str, Callable[[Headers, float, str, str | None], list[e.Event]]] = {
            "newchannel": self._newchannel,
            "newstate": self._newstate,
            "hangup": self._hangup,
            "hanguprequest": self._hangup_request,
            "softhanguprequest": self._hangup_request,
            "dialend": self._dial_end,
            "dialstate": self._dial_state,
            "originateresponse": self._originate_response,
            "userevent": self._user_event,
            "dtmfend": self._dtmf,
            "bridgeenter": self._bridge_enter,
            "bridgeleave": self._bridge_leave,
            "mixmonitorstart": self._mixmonitor_start,
            "mixmonitorstop": self._mixmonitor_stop,
        }

    def translate(self, headers: Headers, now: float) -> list[e.Event]:
        name = _one(headers, "Event").lower()
        if name == "contactstatus":
            return self._contact_status(headers, now)
        handler = self._handlers.get(name)
        if handler is None:  # TestEvent, VarSet, Newexten, ...
            return []
        prefix = "Dest" if name in ("dialend", "dialstate") else ""  # about the dialed channel
        channel_id = _one(headers, prefix + "Uniqueid")
        if not channel_id:
            return []
        attempt = self._attempt(headers, channel_id, prefix)
        call = self._call(headers, channel_id, prefix, attempt)
        events = handler(headers, _at(headers, now), channel_id, attempt)
        return e.with_calls(events, channel_id, call, self.state.calls)

    def resync(self, channels: Iterable[Headers]) -> None:
        """After a (re)connect: keep state for the live channels, relearn attempts and bridges.

        ``channels`` are ``CoreShowChannel`` entries (they carry ``ChanVariable`` and ``BridgeId``).
        """
        channels = list(channels)
        self.state.retain(_one(h, "Uniqueid") for h in channels)
        for headers in channels:
            channel_id = _one(headers, "Uniqueid")
            self._call(headers, channel_id, "", self._attempt(headers, channel_id, ""))
            if bridge := _one(headers, "BridgeId"):
                self.state.bridges.setdefault(bridge, []).append(channel_id)

    def _attempt(self, headers: Headers, channel_id: str, prefix: str) -> str | None:
        known = self.state.attempts.get(channel_id)
        if known:
            return known
        seen = chan_variables(headers, prefix + "ChanVariable").get(c.ATTEMPT_VAR)
        if seen:
            self.state.attempts[channel_id] = seen
        return seen or None

    def _call(self, headers: Headers, channel_id: str, prefix: str, attempt: str | None) -> str:
        """The leg's call id: remembered from its first sight (ours: the leg itself; else ``Linkedid``)."""
        known = self.state.calls.get(channel_id)
        if known:
            return known
        call = channel_id if attempt else _one(headers, prefix + "Linkedid") or channel_id
        self.state.calls[channel_id] = call
        return call

    # --- channel lifecycle ---

    def _newchannel(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        ours = ch in self.state.originating
        if ours:
            self.state.created.add(ch)
        created: list[e.Event] = [e.ChannelCreated(at, ch, attempt)]
        arrived = (not ours and attempt is None and _one(h, "ChannelState") == STATE_RING
                   and _one(h, "Linkedid") in ("", ch))
        if arrived:
            created.append(e.CallArrived(
                at, ch, call_id=ch, caller_number=_caller_id(h, "CallerIDNum"),
                caller_name=_caller_id(h, "CallerIDName"), dialed_number=_one(h, "Exten"),
                endpoint=_one(h, "Channel").partition("/")[2].rpartition("-")[0]))
        return created

    def _newstate(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        state = _one(h, "ChannelState")
        if state == "5":
            return self._ringing(at, ch, attempt)
        if state == "6":
            return [e.Answered(at, ch, attempt)]
        return []

    def _dial_state(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        # 183 with early media changes no channel state; DialState says PROGRESS
        if _one(h, "DialStatus") in ("RINGING", "PROGRESS"):
            return self._ringing(at, ch, attempt)
        return []

    def _ringing(self, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        if ch in self.state.ringing:
            return []
        self.state.ringing.add(ch)
        return [e.Ringing(at, ch, attempt)]

    def _hangup_request(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        cause = _int(_one(h, "Cause"))
        if cause:
            self.state.causes[ch] = cause
        return []

    def _dial_end(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        cause = DIAL_STATUS_CAUSE.get(_one(h, "DialStatus"))
        if cause and ch not in self.state.causes:
            self.state.causes[ch] = cause
        return []

    def _hangup(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        cause = _int(_one(h, "Cause")) or self.state.causes.get(ch, 0)
        if cause:
            self.state.causes[ch] = cause
        out: list[e.Event] = []
        if ch in self.state.recording:  # MixMonitorStop never comes for a hangup
            out.append(e.RecordingStopped(at, ch, attempt, path=self.state.recording_paths.get(ch, "")))
        out.extend(self._leave_all_bridges(at, ch, attempt))
        out.append(e.HungUp(at, ch, attempt, cause=cause, cause_text=_one(h, "Cause-txt")))
        if ch in self.state.failures:
            failed_at, reason = self.state.failures.pop(ch)
            out.append(self._failed(failed_at, ch, attempt, reason))
        self.state._channel_gone(ch)
        return out

    def _originate_response(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        self.state.originating.discard(ch)
        out: list[e.Event] = []
        failed = _one(h, "Response") != "Success"
        if failed:
            reason = _int(_one(h, "Reason"))
            if ch in self.state.causes or ch not in self.state.created or ch in self.state.ended:
                out.append(self._failed(at, ch, attempt, reason))
            else:  # the channel's Hangup will tell busy from congestion
                self.state.failures[ch] = (at, reason)
        if ch in self.state.ended or (failed and ch not in self.state.created):  # nothing more will come
            self.state._forget_channel(ch)
        return out

    def _failed(self, at: float, ch: str, attempt: str | None, reason: int) -> e.OriginateFailed:
        """``placed``: Asterisk made the channel; a failure without one (shutting down, our trunk
        unavailable) is the node's refusal, as every customer outcome comes on a channel."""
        cause = self.state.causes.get(ch) or ORIGINATE_REASON_CAUSE.get(reason, 0)
        return e.OriginateFailed(at, ch, attempt, cause=cause, reason=f"reason {reason}",
                                 placed=ch in self.state.created)

    # --- media and dialplan ---

    def _user_event(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        name = _one(h, "UserEvent")
        if not name.startswith(USER_EVENT_PREFIX):
            return []
        attempt = attempt or _one(h, "Attempt") or None
        kind = name[len(USER_EVENT_PREFIX):]
        if kind == "Amd":
            status = _one(h, "Status")
            if status not in e.AmdVerdict.__members__:
                return []  # HANGUP: the caller left during detection; HungUp follows
            return [e.AmdResult(at, ch, attempt, verdict=e.AmdVerdict(status), cause=_one(h, "Cause"))]
        fields = tuple(sorted(
            (k, _one(h, k)) for k in h if k.lower() not in _SNAPSHOT_HEADERS
        ))
        return [e.DialplanSignal(at, ch, attempt, name=_CAMEL.sub("_", kind).lower(), fields=fields)]

    def _dtmf(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        if _one(h, "Direction") != "Received":
            return []
        return [e.Dtmf(at, ch, attempt, digit=_one(h, "Digit"))]

    def _mixmonitor_start(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        self.state.recording.add(ch)
        return [e.RecordingStarted(at, ch, attempt, path=self.state.recording_paths.get(ch, ""))]

    def _mixmonitor_stop(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        if ch not in self.state.recording:
            return []
        self.state.recording.discard(ch)
        return [e.RecordingStopped(at, ch, attempt, path=self.state.recording_paths.get(ch, ""))]

    # --- bridges: pair the members of one BridgeUniqueid ---

    def _bridge_enter(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        members = self.state.bridges.setdefault(_one(h, "BridgeUniqueid"), [])
        out: list[e.Event] = []
        for other in members:
            out.append(e.Bridged(at, ch, attempt, other_channel_id=other))
            out.append(e.Bridged(at, other, self.state.attempts.get(other), other_channel_id=ch))
        if ch not in members:
            members.append(ch)
        return out

    def _bridge_leave(self, h: Headers, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        bridge = _one(h, "BridgeUniqueid")
        return self._leave(bridge, at, ch, attempt)

    def _leave(self, bridge: str, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        members = self.state.bridges.get(bridge, [])
        if ch not in members:
            return []
        members.remove(ch)
        out: list[e.Event] = []
        for other in members:
            out.append(e.Unbridged(at, ch, attempt, other_channel_id=other))
            out.append(e.Unbridged(at, other, self.state.attempts.get(other), other_channel_id=ch))
        if not members:
            del self.state.bridges[bridge]
        return out

    def _leave_all_bridges(self, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        out: list[e.Event] = []
        for bridge in [b for b, members in self.state.bridges.items() if ch in members]:
            out.extend(self._leave(bridge, at, ch, attempt))
        return out

    # --- seats ---

    def _contact_status(self, h: Headers, now: float) -> list[e.Event]:
        seat = _one(h, "EndpointName") or _one(h, "AOR")
        if not seat:
            return []
        status = _one(h, "ContactStatus")
        return [e.SeatRegistration(_at(h, now), seat=seat, registered=status not in CONTACT_GONE,
                                   contact=_one(h, "URI"))]
