"""FreeSWITCH ESL events -> core events: pure functions over a small per-connection state.

Facts from the real FreeSWITCH 1.10.12 captures (``tests/esl/fixtures``) that
shape this module:

* ``origination_uuid`` becomes the channel's ``Unique-ID``, but ``null/`` and
  ``loopback/`` channels first show a temporary UUID, then ``CHANNEL_UUID``
  with ``Old-Unique-ID``: :attr:`TranslationState.aliases` maps the old id.
* ``variable_sb_attempt_id`` is only on events with full channel data (not on
  DTMF, CHANNEL_STATE, the bare avmd copy), so the attempt is remembered per
  channel. A loopback pair's *b*-leg inherits our variables although it is the
  far end (``Call-Direction: inbound``, ``variable_origination_uuid`` = the
  a-leg): only the leg we originated is attributed to the attempt, otherwise
  the b-leg's hangup would end the attempt.
* A ``bgapi`` originate's ``+OK`` is not an answer (early media gives ``+OK``
  too); only ``-ERR <CAUSE>`` in BACKGROUND_JOB matters, as OriginateFailed.
  BACKGROUND_JOB may come before or after the channel's hangup events.
* CHANNEL_HANGUP and CHANNEL_HANGUP_COMPLETE both carry the cause; HungUp is
  reported once, on whichever comes first (a server-closed ``myevents``
  session delivered only CHANNEL_HANGUP). CHANNEL_UNBRIDGE arrives *after* the
  hangup, so a hangup ends the bridge first (the order the AMI adapter has).
* mod_avmd sends every event twice with the same ``Event-Sequence``.
* CHANNEL_BRIDGE is one event naming both legs; the core gets one Bridged per leg.
* ``Channel-Call-UUID`` names the first leg of the leg's call: the leg itself
  for every leg in the captures (a loopback b-leg is a call of its own). A call
  from the gateway (``inbound_call``) starts as CHANNEL_CREATE with
  ``Call-Direction: inbound``, ``Channel-Call-UUID`` = its own ``Unique-ID``,
  the DID in ``Caller-Destination-Number``, the caller in
  ``Caller-Caller-ID-Number``/``-Name`` and, for a carrier admitted by an
  address list (no password), the list's name in ``variable_sip_acl_authed_by``;
  a loopback b-leg is inbound too, and its own call, but made by our
  originate. ``ring_ready`` on an inbound leg gives CHANNEL_PROGRESS: that is
  us alerting the caller, not a far end ringing, so it is no ``Ringing``
  (Asterisk's ``Ringing()`` changes no channel state).
* Stopping (SIGTERM), FreeSWITCH first fires ``SHUTDOWN``, then hangs up every
  channel (``SYSTEM_SHUTDOWN``, whose ``hangup_cause_q850`` is 16) and refuses
  the originates still arriving: ``-ERR SYSTEM_SHUTDOWN``, then for a moment
  ``-ERR DESTINATION_OUT_OF_ORDER`` (sofia cannot send the INVITE any more: 27,
  which would read as the customer's line out of order), then
  ``CHAN_NOT_IMPLEMENTED`` once sofia is unloaded (capture
  ``tests/esl/fixtures/shutdown_with_originates.server.txt``). After
  ``SHUTDOWN`` a call that never rang ends with ``SYSTEM_SHUTDOWN`` (701), a
  node cause: the core gives its lead back uncharged, as it does for an
  Asterisk that refuses an originate because it is shutting down.

Our own convention (not in the captures; for the FreeSWITCH dialplan that
provisioning will render): a dialplan milestone is the ``event`` application
firing ``Event-Name=CUSTOM,Event-Subclass=switchboard::<name>`` on the channel,
payload headers prefixed ``SB-``. It becomes ``DialplanSignal(<name>, fields)``,
like the AMI adapter's ``UserEvent(Switchboard<Name>)``. One is not a
milestone but a measurement: ``switchboard::amd`` (``sb-outbound``'s
greeting-cadence reports) becomes ``VoiceDetected``, which the core's
``orchestrator.amd`` classifier turns into a verdict.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from esl.framing import EslEvent
from orchestrator import commands as c
from orchestrator import events as e
from orchestrator import fax
from orchestrator.dialer import routes
from orchestrator.inbound import hold, ivr
from orchestrator.quality import survey

#: FreeSWITCH cause names (switch_types.h ``switch_call_cause_t``) -> Q.850 numbers.
#: Names above 127 are FreeSWITCH's own (ORIGINATOR_CANCEL is SIP's 487 there).
CAUSES: dict[str, int] = {
    "UNSPECIFIED": 0, "UNALLOCATED_NUMBER": 1, "NO_ROUTE_TRANSIT_NET": 2, "NO_ROUTE_DESTINATION": 3,
    "CHANNEL_UNACCEPTABLE": 6, "CALL_AWARDED_DELIVERED": 7, "NORMAL_CLEARING": 16, "USER_BUSY": 17,
    "NO_USER_RESPONSE": 18, "NO_ANSWER": 19, "SUBSCRIBER_ABSENT": 20, "CALL_REJECTED": 21,
    "NUMBER_CHANGED": 22, "REDIRECTION_TO_NEW_DESTINATION": 23, "EXCHANGE_ROUTING_ERROR": 25,
    "DESTINATION_OUT_OF_ORDER": 27, "INVALID_NUMBER_FORMAT": 28, "FACILITY_REJECTED": 29,
    "RESPONSE_TO_STATUS_ENQUIRY": 30, "NORMAL_UNSPECIFIED": 31, "NORMAL_CIRCUIT_CONGESTION": 34,
    "NETWORK_OUT_OF_ORDER": 38, "NORMAL_TEMPORARY_FAILURE": 41, "SWITCH_CONGESTION": 42,
    "ACCESS_INFO_DISCARDED": 43, "REQUESTED_CHAN_UNAVAIL": 44, "PRE_EMPTED": 45,
    "FACILITY_NOT_SUBSCRIBED": 50, "OUTGOING_CALL_BARRED": 52, "INCOMING_CALL_BARRED": 54,
    "BEARERCAPABILITY_NOTAUTH": 57, "BEARERCAPABILITY_NOTAVAIL": 58, "SERVICE_UNAVAILABLE": 63,
    "BEARERCAPABILITY_NOTIMPL": 65, "CHAN_NOT_IMPLEMENTED": 66, "FACILITY_NOT_IMPLEMENTED": 69,
    "SERVICE_NOT_IMPLEMENTED": 79, "INVALID_CALL_REFERENCE": 81, "INCOMPATIBLE_DESTINATION": 88,
    "INVALID_MSG_UNSPECIFIED": 95, "MANDATORY_IE_MISSING": 96, "MESSAGE_TYPE_NONEXIST": 97,
    "WRONG_MESSAGE": 98, "IE_NONEXIST": 99, "INVALID_IE_CONTENTS": 100, "WRONG_CALL_STATE": 101,
    "RECOVERY_ON_TIMER_EXPIRE": 102, "MANDATORY_IE_LENGTH_ERROR": 103, "PROTOCOL_ERROR": 111,
    "INTERWORKING": 127, "ORIGINATOR_CANCEL": 487,
    # FreeSWITCH's own, about our side of the call (switch_types.h, 1.10): the core's NODE_CAUSES.
    "USER_NOT_REGISTERED": 606, "INVALID_GATEWAY": 608, "GATEWAY_DOWN": 609, "INVALID_PROFILE": 611,
    "SYSTEM_SHUTDOWN": 701,
}
SHUTDOWN_CAUSE = CAUSES["SYSTEM_SHUTDOWN"]
CAUSE_NAMES: dict[int, str] = {number: name for name, number in CAUSES.items() if number}


def cause_number(name: str, q850: str = "") -> int:
    """Q.850 number for a hangup: FreeSWITCH's own ``hangup_cause_q850`` wins; unknown -> 0."""
    if q850.isdigit():
        return int(q850)
    return CAUSES.get(name.strip(), 0)


#: Loopback channels: a pair our originate made; the b-leg is "inbound" but never from outside.
_LOOPBACK = "loopback/"
_AVMD_BEEP = "avmd::beep"
SIGNAL_PREFIX = "switchboard::"
#: ``sb-outbound``'s cadence reports (see :func:`voice_cue`).
AMD_SIGNAL = "amd"
#: Dialplan milestones the core knows (``orchestrator.dialer``, ``.fax``, ``.quality``, ``.inbound``),
#: subscribed one by one: one missing here never reaches the runner.
SIGNALS = ("abandon", "waiting", "message_left", "agent_leg", routes.SIGNAL_CONFIRMED, AMD_SIGNAL,
           fax.SIGNAL_INCOMING, fax.SIGNAL_BUSY, survey.SIGNAL, *ivr.SIGNALS, hold.SIGNAL)
#: mod_spandsp's results of ``txfax`` / ``rxfax``: the same ``fax`` signal as Asterisk's dialplan reports.
FAX_RESULTS = {"spandsp::txfaxresult": "out", "spandsp::rxfaxresult": "in"}
#: (``SB-Step``, ``SB-Timeout``) of an ``amd`` report -> the neutral cue.
_CUES = {("audio", "false"): e.VoiceCue.SPEECH, ("audio", "true"): e.VoiceCue.NO_SPEECH,
         ("silence", "false"): e.VoiceCue.SILENCE, ("silence", "true"): e.VoiceCue.NO_SILENCE}
_PAYLOAD_PREFIX = "SB-"
_DEDUP_WINDOW = 1024  # avmd copies arrive back to back; a small window is plenty


@dataclass
class TranslationState:
    """What translation must remember between events of one ESL session (and across reconnects)."""

    aliases: dict[str, str] = field(default_factory=dict)  # temporary Unique-ID -> final Unique-ID
    attempts: dict[str, str] = field(default_factory=dict)  # channel id -> attempt id
    calls: dict[str, str] = field(default_factory=dict)  # channel id -> call id
    jobs: dict[str, tuple[str, str]] = field(default_factory=dict)  # Job-UUID -> (channel, attempt)
    recording_paths: dict[str, str] = field(default_factory=dict)  # channel id -> requested file
    created: set[str] = field(default_factory=set)  # channels FreeSWITCH reported, until DESTROY
    ringing: set[str] = field(default_factory=set)
    hung_up: set[str] = field(default_factory=set)
    bridged: dict[str, str] = field(default_factory=dict)  # channel id -> the other leg
    seen_avmd: OrderedDict[tuple[str, str, str], None] = field(default_factory=OrderedDict)
    sequence: int = 0  # counts expect() calls, so a resync can tell older channels from newer ones
    expected_at: dict[str, int] = field(default_factory=dict)  # channel id -> sequence of its expect()
    shutting_down: bool = False  # FreeSWITCH said SHUTDOWN: every call that has not rung ends as ours

    def expect(self, command: c.Command, job_uuid: str = "") -> None:
        """Remember what a command we are sending will make FreeSWITCH report."""
        self.sequence += 1
        channel_id = getattr(command, "channel_id", "")
        if channel_id:
            self.expected_at[channel_id] = self.sequence
        if isinstance(command, c.Originate):
            self.attempts[command.channel_id] = command.attempt_id
            self.calls[command.channel_id] = command.channel_id  # the first leg of a call we place
            if job_uuid:
                self.jobs[job_uuid] = (command.channel_id, command.attempt_id)
        elif isinstance(command, c.StartRecording):
            self.recording_paths[command.channel_id] = command.filename

    def forget_originate(self, channel_id: str, job_uuid: str) -> None:
        """The originate was never sent: no events will come for it."""
        self.jobs.pop(job_uuid, None)
        self.attempts.pop(channel_id, None)
        self.calls.pop(channel_id, None)

    def retain(self, live_channel_ids: Iterable[str], since: int | None = None) -> None:
        """After a reconnect: forget channels that no longer exist.

        ``since`` is :attr:`sequence` when the live list was taken: channels the
        client expected after that (commands sent once the session was up) are
        newer than the list and kept.

        Jobs of originates whose channel is not live are dropped too: the core
        reconciles those attempts from the same live list, so a late job result
        must not contradict it. Jobs of live channels are kept (FreeSWITCH fires
        BACKGROUND_JOB as an ordinary event, which a new session subscribed to it
        should receive; not observed in the captures).
        """
        live = set(live_channel_ids)
        if since is not None:
            live |= {ch for ch, seq in self.expected_at.items() if seq > since}
        self.expected_at = {k: v for k, v in self.expected_at.items() if k in live}
        self.jobs = {job: v for job, v in self.jobs.items() if v[0] in live}
        self.attempts = {k: v for k, v in self.attempts.items() if k in live}
        self.calls = {k: v for k, v in self.calls.items() if k in live}
        self.recording_paths = {k: v for k, v in self.recording_paths.items() if k in live}
        self.created &= live
        self.ringing &= live
        self.hung_up &= live
        self.bridged = {k: v for k, v in self.bridged.items() if k in live and v in live}
        self.shutting_down = False  # a session that answers again is a node that runs
        self.aliases = {}

    def forget(self, channel_id: str) -> None:
        for table in (self.attempts, self.calls, self.recording_paths, self.bridged, self.expected_at):
            table.pop(channel_id, None)
        self.created.discard(channel_id)
        self.ringing.discard(channel_id)
        self.hung_up.discard(channel_id)
        self.aliases = {old: new for old, new in self.aliases.items() if new != channel_id}

    def first_avmd(self, key: tuple[str, str, str]) -> bool:
        if key in self.seen_avmd:
            return False
        self.seen_avmd[key] = None
        while len(self.seen_avmd) > _DEDUP_WINDOW:
            self.seen_avmd.popitem(last=False)
        return True


def event_time(event: EslEvent, now: float) -> float:
    """``Event-Date-Timestamp`` is microseconds since the epoch."""
    stamp = event.get("Event-Date-Timestamp")
    return int(stamp) / 1_000_000 if stamp.isdigit() else now


_Handler = Callable[[EslEvent, float, str, "str | None"], list[e.Event]]


class Translator:
    """``translate(event, now)`` -> core events; owns the session's :class:`TranslationState`."""

    def __init__(self, state: TranslationState | None = None) -> None:
        self.state = state or TranslationState()
        self._handlers: dict[str, _Handler] = {
            "CHANNEL_CREATE": self._created,
            "CHANNEL_PROGRESS": self._progress,
            "CHANNEL_PROGRESS_MEDIA": self._progress,
            "CHANNEL_ANSWER": self._answer,
            "CHANNEL_BRIDGE": self._bridge,
            "CHANNEL_UNBRIDGE": self._unbridge,
            "CHANNEL_HANGUP": self._hangup,
            "CHANNEL_HANGUP_COMPLETE": self._hangup,
            "CHANNEL_DESTROY": self._destroy,
            "DTMF": self._dtmf,
            "RECORD_START": self._record_start,
            "RECORD_STOP": self._record_stop,
            "CUSTOM": self._custom,
        }

    def translate(self, event: EslEvent, now: float) -> list[e.Event]:
        name = event.name
        if name == "BACKGROUND_JOB":
            return self._background_job(event, event_time(event, now))
        if name == "CHANNEL_UUID":
            self.state.aliases[event.get("Old-Unique-ID")] = event.get("Unique-ID")
            return []
        if name == "SHUTDOWN":
            self.state.shutting_down = True
            return []
        handler = self._handlers.get(name)
        raw_id = event.get("Unique-ID")
        if handler is None or not raw_id:
            return []
        channel_id = self.state.aliases.get(raw_id, raw_id)
        call = self._call(event, channel_id)
        events = handler(event, event_time(event, now), channel_id, self._attempt(event, channel_id))
        return e.with_calls(events, channel_id, call, self.state.calls)

    def _call(self, event: EslEvent, channel_id: str) -> str:
        """The leg's call id, remembered from the first event that names it."""
        known = self.state.calls.get(channel_id)
        if known:
            return known
        named = event.get("Channel-Call-UUID")
        if not named:  # not every event carries channel data: ask again on the next one
            return channel_id
        call = self.state.calls[channel_id] = self.state.aliases.get(named, named)
        return call

    def _attempt(self, event: EslEvent, channel_id: str) -> str | None:
        known = self.state.attempts.get(channel_id)
        if known:
            return known
        seen = event.get("variable_" + c.ATTEMPT_VAR)
        if not seen or not _originated_leg(event, channel_id):
            return None
        self.state.attempts[channel_id] = seen
        return seen

    # --- channel lifecycle ---

    def _created(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        self.state.created.add(ch)
        created: list[e.Event] = [e.ChannelCreated(at, ch, attempt)]
        arrived = (ev.get("Call-Direction") == "inbound" and ev.get("Channel-Call-UUID") in ("", ch)
                   and not ev.get("Channel-Name").startswith(_LOOPBACK))
        if arrived:
            created.append(e.CallArrived(
                at, ch, call_id=ch, caller_number=ev.get("Caller-Caller-ID-Number"),
                caller_name=ev.get("Caller-Caller-ID-Name"),
                dialed_number=ev.get("Caller-Destination-Number"),
                endpoint=_arrived_on(ev)))
        return created

    def _progress(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        if ev.get("Call-Direction") == "inbound":  # we told the caller it rings: nobody else is alerting
            return []
        if ch in self.state.ringing:  # PROGRESS then PROGRESS_MEDIA: one Ringing
            return []
        self.state.ringing.add(ch)
        return [e.Ringing(at, ch, attempt)]

    def _answer(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        return [e.Answered(at, ch, attempt)]

    def _hangup(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        if ch in self.state.hung_up:
            return []
        self.state.hung_up.add(ch)
        name = ev.get("Hangup-Cause") or ev.get("variable_hangup_cause")
        out = self._leave_bridge(at, ch, attempt)
        cause = self._node_cause(ch, cause_number(name, ev.get("variable_hangup_cause_q850")))
        out.append(e.HungUp(at, ch, attempt, cause=cause, cause_text=name))
        return out

    def _destroy(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        out = self._hangup(ev, at, ch, attempt)  # no-op unless both hangup events were missed
        self.state.forget(ch)
        return out

    def _background_job(self, ev: EslEvent, at: float) -> list[e.Event]:
        job = self.state.jobs.pop(ev.get("Job-UUID"), None)
        result = ev.body.strip()
        if job is None or not result.startswith("-ERR"):
            return []  # +OK <uuid> is not an answer: CHANNEL_ANSWER says that
        channel_id, attempt_id = job
        if channel_id not in self.state.created | self.state.hung_up:  # error/...: no channel, no DESTROY
            self.state.forget(channel_id)
        cause_name = result.removeprefix("-ERR").strip()
        cause = self._node_cause(channel_id, cause_number(cause_name))
        return [e.OriginateFailed(at, channel_id, attempt_id, call_id=channel_id, cause=cause, reason=result)]

    def _node_cause(self, channel_id: str, cause: int) -> int:
        """A call that had not rung when FreeSWITCH began shutting down was ended by our node."""
        if self.state.shutting_down and channel_id not in self.state.ringing:
            return SHUTDOWN_CAUSE
        return cause

    # --- bridges ---

    def _bridge(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        a = self._alias(ev.get("Bridge-A-Unique-ID") or ch)
        b = self._alias(ev.get("Bridge-B-Unique-ID") or ev.get("Other-Leg-Unique-ID"))
        if not b or self.state.bridged.get(a) == b:
            return []
        self.state.bridged[a], self.state.bridged[b] = b, a
        return [e.Bridged(at, a, self._attempt_of(a, ch, attempt), other_channel_id=b),
                e.Bridged(at, b, self._attempt_of(b, ch, attempt), other_channel_id=a)]

    def _unbridge(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        return self._leave_bridge(at, ch, attempt)

    def _leave_bridge(self, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        other = self.state.bridged.pop(ch, None)
        if other is None:
            return []
        self.state.bridged.pop(other, None)
        return [e.Unbridged(at, ch, attempt, other_channel_id=other),
                e.Unbridged(at, other, self.state.attempts.get(other), other_channel_id=ch)]

    def _alias(self, channel_id: str) -> str:
        return self.state.aliases.get(channel_id, channel_id)

    def _attempt_of(self, channel_id: str, event_channel: str, event_attempt: str | None) -> str | None:
        return event_attempt if channel_id == event_channel else self.state.attempts.get(channel_id)

    # --- media ---

    def _dtmf(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        digit = ev.get("DTMF-Digit")
        return [e.Dtmf(at, ch, attempt, digit=digit)] if digit else []

    def _record_start(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        return [e.RecordingStarted(at, ch, attempt, path=self._recording_path(ev, ch))]

    def _record_stop(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        return [e.RecordingStopped(at, ch, attempt, path=self._recording_path(ev, ch))]

    def _recording_path(self, ev: EslEvent, ch: str) -> str:
        """The file name we asked for (relative, as the core knows it), else FreeSWITCH's path."""
        return self.state.recording_paths.get(ch) or ev.get("Record-File-Path")

    def _custom(self, ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
        if ev.subclass in FAX_RESULTS:
            return [fax_result(ev, at, ch, attempt)]
        if ev.subclass == SIGNAL_PREFIX + AMD_SIGNAL:
            return voice_cue(ev, at, ch, attempt)
        if ev.subclass.startswith(SIGNAL_PREFIX):
            fields = tuple(sorted((k[len(_PAYLOAD_PREFIX):], v) for k, v in ev.headers
                                  if k.startswith(_PAYLOAD_PREFIX)))
            return [e.DialplanSignal(at, ch, attempt, name=ev.subclass[len(SIGNAL_PREFIX):], fields=fields)]
        if ev.subclass != _AVMD_BEEP or ev.get("Beep-Status") != "DETECTED":
            return []
        if not self.state.first_avmd((ev.get("Event-Sequence"), ev.subclass, ch)):
            return []
        return [e.AmdResult(at, ch, attempt, verdict=e.AmdVerdict.MACHINE, cause="beep")]


def fax_result(ev: EslEvent, at: float, ch: str, attempt: str | None) -> e.DialplanSignal:
    """mod_spandsp's ``txfaxresult`` / ``rxfaxresult`` as the ``fax`` signal Asterisk's dialplan sends
    (``SwitchboardFax``: Direction, Status SUCCESS/FAILED, Pages, Station, Error, Caller, Called, File)."""
    ok = ev.get("fax-success") == "1"
    fields = {"Direction": FAX_RESULTS[ev.subclass], "Status": "SUCCESS" if ok else "FAILED",
              "Pages": ev.get("fax-document-transferred-pages"), "Station": ev.get("fax-remote-station-id"),
              "Error": "" if ok else ev.get("fax-result-text") or ev.get("fax-result-code"),
              "Caller": ev.get("Caller-Caller-ID-Number"), "Called": ev.get("variable_sb_fax_called"),
              "File": ev.get("variable_sb_fax_file")}
    return e.DialplanSignal(at, ch, attempt, name=fax.SIGNAL_RESULT, fields=tuple(sorted(fields.items())))


def voice_cue(ev: EslEvent, at: float, ch: str, attempt: str | None) -> list[e.Event]:
    """``sb-outbound``'s report after ``detect_audio`` / ``detect_silence`` -> ``VoiceDetected``.

    The dialplan fires ``switchboard::amd`` with ``SB-Step`` (``audio`` or
    ``silence``: which detector just returned), ``SB-Timeout`` (the detector's
    own ``detect_audio_timeout`` / ``detect_silence_timeout`` channel variable,
    ``true`` when it gave up) and ``SB-Held-Ms`` (how long the level had to hold
    before the detector returned: its hit count in 20 ms frames). A report with
    an unknown step or an unset variable (the app ended because the channel
    went away) is dropped: the hangup says what happened.
    """
    cue = _CUES.get((ev.get("SB-Step"), ev.get("SB-Timeout")))
    held = ev.get("SB-Held-Ms")
    if cue is None:
        return []
    return [e.VoiceDetected(at, ch, attempt, cue=cue, held_ms=int(held) if held.isdigit() else 0)]


def _arrived_on(event: EslEvent) -> str:
    """Where a call came in: the gateway when FreeSWITCH matched one, else the ACL list that let it in
    without a password (a carrier admitted by address), else the SIP profile (e.g. a phone's call)."""
    return (event.get("variable_sip_gateway_name") or event.get("variable_sip_acl_authed_by")
            or event.get("variable_sofia_profile_name"))


def _originated_leg(event: EslEvent, channel_id: str) -> bool:
    """Is this the channel our originate created, not a leg that inherited its variables?"""
    origination_uuid = event.get("variable_origination_uuid")
    if origination_uuid:
        return origination_uuid == channel_id
    return event.get("Call-Direction") == "outbound"
