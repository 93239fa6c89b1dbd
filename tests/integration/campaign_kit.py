"""The campaign tests' acceptance checks; running and watching a campaign is :mod:`lab.campaign`.

The lab's names are re-exported here, so the tests keep importing them from one place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import subprocess
import tempfile
import time
import uuid
import wave
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ami.session import run_actions
from dialplans.render import DialplanParams
from esl.framing import EslEvent
from esl.translate import cause_number
from lab.campaign import (
    AmiWatcher,
    Kit,
    Sandbox,
    fs_bridge_of,
    fs_time,
    mixed_leads,
    overlapping,
    verdict_to_bridge,
    world_dials,
)
from lab.sandbox import cli as sandbox_cli
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.layout import nodes, provisioning_settings
from lab.sandbox.world import Outcome as World
from orchestrator.dialer import routes
from provisioning import freeswitch
from runner.node import AGENT_LEG_VAR
from store import models as m
from store.enums import AmdVerdict, LeadStatus, Outcome, PbxKind, RecordingStatus, UserRole
from store.types import utcnow
from tests.integration.eslevents import EventSocket
from tests.web.conftest import Client
from web.app import create_app
from web.calls.services import SETTLE, check_ended_recordings

__all__ = ["BOTH_PBXES", "AmiWatcher", "Kit", "PbxEvidence", "check_campaign", "kit_on", "mixed_leads",
           "pbx_evidence", "run_to_end"]

#: (lead status, attempt outcome) a world outcome must end in after one dial.
EXPECTED = {
    World.HUMAN: (LeadStatus.DONE, Outcome.CONNECTED),
    World.BUSY: (LeadStatus.PENDING, Outcome.BUSY),
    World.CONGESTION: (LeadStatus.PENDING, Outcome.CONGESTION),
    World.NO_ANSWER: (LeadStatus.PENDING, Outcome.NO_ANSWER),
    World.MACHINE: (LeadStatus.PENDING, Outcome.MACHINE),
    World.UNALLOCATED: (LeadStatus.INVALID, Outcome.INVALID_NUMBER),
}
#: What AMD should say for an answered world outcome.
TRUE_VERDICT = {World.HUMAN: {AmdVerdict.HUMAN, AmdVerdict.NOTSURE}, World.MACHINE: {AmdVerdict.MACHINE}}


WEB_PASSWORD = "live recordings"
_RMS = re.compile(r"RMS\s+amplitude:\s+([0-9.]+)")


def rms_amplitude(wav: Path) -> float:
    """sox's RMS amplitude of the whole file (0 = digital silence)."""
    done = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, check=True)
    found = _RMS.search(done.stderr)
    assert found, done.stderr
    return float(found.group(1))


def wait_for_file(path: Path, timeout: float = 15.0) -> None:
    """MixMonitor closes the file a moment after the hangup: wait until its size holds still."""
    wait_for_files([path], timeout)


def wait_for_files(paths: Iterable[Path], timeout: float = 15.0) -> None:
    """:func:`wait_for_file` for many files at once: each must hold a size over 0.2 s, and the files
    are watched together (a campaign's few dozen recordings take one 0.2 s look, not one each)."""
    deadline, last = time.monotonic() + timeout, dict.fromkeys(paths, -1)
    while True:
        sizes = {path: path.stat().st_size if path.exists() else -1 for path in last}
        growing = [path for path, size in sizes.items() if size <= 44 or size != last[path]]
        if not growing:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"recordings missing or still growing: {growing}")
        last = sizes
        time.sleep(0.2)


def world_heard(kit: Kit, channels: dict[str, str], seconds: float) -> dict[str, float]:
    """RMS of what each of ``channels`` (name -> world channel) hears for ``seconds``: a MixMonitor
    ``r()`` file of the world channel is the audio the PBX under test sends to that line."""
    node = nodes(kit.sandbox.settings)["world"]
    files = {}
    for name, channel in channels.items():
        inner = node.base / "spool" / "monitor" / f"heard-{uuid.uuid4().hex[:8]}"
        files[name] = inner
        run_actions(kit.sandbox.world, [{"Action": "MixMonitor", "Channel": channel,
                                         "File": f"{inner}-mix.wav", "Options": f"r({inner}-heard.wav)"}])
    time.sleep(seconds)  # the stretch being measured, not a wait for something to happen
    for channel in channels.values():
        run_actions(kit.sandbox.world, [{"Action": "StopMixMonitor", "Channel": channel}])
    out = {}
    for name, inner in files.items():
        path = node.host(f"{inner}-heard.wav")
        wait_for_file(path)
        out[name] = rms_amplitude(path)
        for suffix in ("heard", "mix"):  # the world's spool is shared: leave nothing behind
            node.host(f"{inner}-{suffix}.wav").unlink()
    return out


#: Parametrises a live test over both PBXes of the sandbox (the test takes ``kind``).
BOTH_PBXES = pytest.mark.parametrize("kind", [PbxKind.ASTERISK, PbxKind.FREESWITCH], ids=str)


def kit_on(sandbox: Sandbox, tmp_path: Path, kind: PbxKind, **options: object) -> Kit:
    """A kit on the sandbox's PBX of ``kind``, bringing the FreeSWITCH node up first (the session's
    ``sandbox`` fixture starts the Asterisk pair only)."""
    if kind is PbxKind.FREESWITCH:
        sandbox_cli.up(sandbox.settings, "freeswitch")
    return Kit(sandbox, tmp_path, kind=kind, **options)  # type: ignore[arg-type]


class PbxEvidence(Protocol):
    """What the PBX under test did, seen on its own event stream (never taken from the runner)."""

    def abandon_heard(self, channel_id: str) -> bool: ...

    def message_left(self, attempt_id: str, channel_id: str) -> bool: ...

    def verdict_to_bridge(self, attempt_id: str, channel_id: str) -> float | None: ...

    def agent_legs(self, mark: str) -> set[str]:
        """The channel ids of the legs the runner rang to seats with ``AGENT_LEG_VAR`` = ``mark``."""
        ...

    def recording_started(self, channel_id: str) -> bool:
        """The PBX started recording the channel (MixMonitor / ``uuid_record``)."""

    def agent_confirmed(self) -> set[str]:
        """The agent legs whose phone pressed 1 to accept, as the hold route reported them."""
        ...

    def position_told(self, caller: str, position: int) -> bool:
        """The inbound caller from ``caller`` heard the PBX say their place in the queue, ``position``."""
        ...

    def wait_told(self, caller: str, minutes: int) -> bool:
        """The inbound caller from ``caller`` heard the PBX say their estimated wait, ``minutes``."""
        ...

    def prompt_played(self, name: str) -> bool:
        """The PBX played the uploaded prompt ``name`` (a file of the node's prompts directory) to someone."""
        ...

    def bridges(self) -> int:
        """How many two-party bridges the PBX has made so far (a customer put through to an agent)."""
        ...

    def arrival_to_bridge(self, caller: str) -> float | None:
        """Seconds (PBX clock) from the inbound call of ``caller`` reaching the PBX to that channel
        entering a bridge; None until both happened."""
        ...

    def hangup_cause(self, caller: str) -> int | None:
        """The Q.850 cause with which the PBX ended the inbound channel of ``caller``; None while it lives."""
        ...


@dataclass
class AsteriskEvidence:
    pbx: AmiWatcher

    def abandon_heard(self, channel_id: str) -> bool:
        return bool(self.pbx.matching(
            lambda e: (
                e.get("Event") == "Newexten"
                and e.get("Uniqueid") == channel_id
                and e.get("Context") == "sb-abandon"
                and e.get("Application") == "Playback"
            )
        ))

    def message_left(self, attempt_id: str, channel_id: str) -> bool:
        return bool(self.pbx.matching(
            lambda e: e.get("UserEvent") == "SwitchboardMessageLeft" and e.get("Attempt") == attempt_id))

    def verdict_to_bridge(self, attempt_id: str, channel_id: str) -> float | None:
        return verdict_to_bridge(self.pbx, attempt_id, channel_id)

    def agent_legs(self, mark: str) -> set[str]:
        return {e["Uniqueid"] for e in self.pbx.matching(
            lambda e: e.get("Event") == "VarSet" and e.get("Variable") == AGENT_LEG_VAR
            and e.get("Value") == mark)}

    def recording_started(self, channel_id: str) -> bool:
        return bool(self.pbx.matching(
            lambda e: e.get("Event") == "MixMonitorStart" and e.get("Uniqueid") == channel_id))

    def agent_confirmed(self) -> set[str]:
        return {e["Uniqueid"] for e in self.pbx.matching(
            lambda e: e.get("UserEvent") == "SwitchboardAgentConfirmed")}

    def position_told(self, caller: str, position: int) -> bool:
        """``SayNumber(<position>)`` in the announce route (the first in line hears a prompt instead)."""
        first = DialplanParams().position_first_sound
        said = ("SayNumber", str(position)) if position > 1 else ("Playback", first)
        return bool(self.pbx.matching(
            lambda e: e.get("Event") == "Newexten" and e.get("Context") == routes.QUEUE_ANNOUNCE
            and e.get("CallerIDNum") == caller and (e.get("Application"), e.get("AppData")) == said))

    def wait_told(self, caller: str, minutes: int) -> bool:
        """The hold-time prompt, then ``SayNumber(<minutes>)`` right after it, in the announce route."""
        said = [(e.get("Application"), e.get("AppData")) for e in self.pbx.matching(
            lambda e: e.get("Event") == "Newexten" and e.get("Context") == routes.QUEUE_ANNOUNCE
            and e.get("CallerIDNum") == caller)]
        prompt = ("Playback", DialplanParams().wait_before_sound)
        return any(said[i:i + 2] == [prompt, ("SayNumber", str(minutes))] for i in range(len(said)))

    def bridges(self) -> int:
        """The second channel entering a bridge completes it."""
        return len(self.pbx.matching(
            lambda e: e.get("Event") == "BridgeEnter" and e.get("BridgeNumChannels") == "2"))

    def prompt_played(self, name: str) -> bool:
        """An application of the dialplan (``Read``, ``Background``) was given the prompt's path."""
        return bool(self.pbx.matching(
            lambda e: e.get("Event") == "Newexten" and f"/{name}," in f"{e.get('AppData', '')},"))

    def _inbound(self, caller: str) -> dict[str, str] | None:
        """The ``Newchannel`` of the call from ``caller`` reaching the PBX (state Ring: called in)."""
        found = self.pbx.matching(lambda e: e.get("Event") == "Newchannel" and e.get("CallerIDNum") == caller
                                  and e.get("ChannelState") == "4")
        return found[0] if found else None

    def _after(self, caller: str, event: str) -> dict[str, str] | None:
        """The first ``event`` of the inbound channel of ``caller``."""
        arrived = self._inbound(caller)
        found = [] if arrived is None else self.pbx.matching(
            lambda e: e.get("Event") == event and e.get("Uniqueid") == arrived["Uniqueid"])
        return found[0] if found else None

    def arrival_to_bridge(self, caller: str) -> float | None:
        arrived, bridged = self._inbound(caller), self._after(caller, "BridgeEnter")
        if arrived is None or bridged is None:
            return None
        return float(bridged["Timestamp"]) - float(arrived["Timestamp"])

    def hangup_cause(self, caller: str) -> int | None:
        ended = self._after(caller, "Hangup")
        return None if ended is None else int(ended["Cause"])


#: The FreeSWITCH events the evidence needs (a whole campaign under ``event plain ALL`` is a flood).
FS_EVENTS = ("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE "
             "PLAYBACK_START RECORD_START "
             "CUSTOM switchboard::abandon switchboard::message_left switchboard::agent_confirmed")


@dataclass
class FreeswitchEvidence:
    events: EventSocket

    def _seen(self, channel_id: str, name: str, subclass: str = "") -> bool:
        return bool(self.events.events(
            lambda e: e.get("Unique-ID") == channel_id and e.name == name and e.subclass == subclass))

    def abandon_heard(self, channel_id: str) -> bool:
        return (self._seen(channel_id, "CUSTOM", "switchboard::abandon")
                and self._seen(channel_id, "PLAYBACK_START"))

    def message_left(self, attempt_id: str, channel_id: str) -> bool:
        return self._seen(channel_id, "CUSTOM", "switchboard::message_left")

    def verdict_to_bridge(self, attempt_id: str, channel_id: str) -> float | None:
        return None  # the verdict is the runner's (avmd timeout), not a PBX event

    def agent_legs(self, mark: str) -> set[str]:
        return {e.get("Unique-ID") for e in self.events.events(
            lambda e: e.get(f"variable_{AGENT_LEG_VAR}") == mark)}

    def recording_started(self, channel_id: str) -> bool:
        return self._seen(channel_id, "RECORD_START")

    def wait_told(self, caller: str, minutes: int) -> bool:
        """The wait prompt, then mod_say_en's ``digits/<minutes>.wav`` right after it, then "minutes"."""
        played = [e.get("Playback-File-Path") or "" for e in self.events.events(
            lambda e: e.name == "PLAYBACK_START" and e.get("Caller-Caller-ID-Number") == caller)]
        unit = freeswitch.WAIT_MINUTE_SOUND if minutes == 1 else freeswitch.WAIT_MINUTES_SOUND
        sounds = (freeswitch.WAIT_BEFORE_SOUND, f"digits/{minutes}.wav", unit)
        return any(all(p.endswith(s) for p, s in zip(played[i:i + 3], sounds, strict=False))
                   and len(played[i:i + 3]) == 3 for i in range(len(played)))

    def agent_confirmed(self) -> set[str]:
        return {e.get("Unique-ID") for e in self.events.events(
            lambda e: e.name == "CUSTOM" and e.subclass == "switchboard::agent_confirmed")}

    def position_told(self, caller: str, position: int) -> bool:
        """mod_say_en played ``digits/<position>.wav`` (the first in line hears a prompt instead)."""
        sound = f"digits/{position}.wav" if position > 1 else freeswitch.POSITION_FIRST_SOUND
        return bool(self.events.events(
            lambda e: e.name == "PLAYBACK_START" and e.get("Caller-Caller-ID-Number") == caller
            and (e.get("Playback-File-Path") or "").endswith(sound)))

    def bridges(self) -> int:
        return len(self.events.events(lambda e: e.name == "CHANNEL_BRIDGE"))

    def prompt_played(self, name: str) -> bool:
        played = f"/{name}.wav"
        return bool(self.events.events(
            lambda e: e.name == "PLAYBACK_START" and (e.get("Playback-File-Path") or "").endswith(played)))

    def _inbound(self, caller: str) -> EslEvent | None:
        """The ``CHANNEL_CREATE`` of the call from ``caller`` reaching the node (not a loopback leg)."""
        found = self.events.events(
            lambda e: e.name == "CHANNEL_CREATE" and e.get("Call-Direction") == "inbound"
            and e.get("Caller-Caller-ID-Number") == caller
            and not (e.get("Channel-Name") or "").startswith("loopback/"))
        return found[0] if found else None

    def _after(self, caller: str, pred: Callable[[EslEvent, str], bool]) -> EslEvent | None:
        """The first event of the inbound channel of ``caller`` that ``pred`` (event, channel id) takes."""
        arrived = self._inbound(caller)
        found = [] if arrived is None else self.events.events(lambda e: pred(e, arrived.get("Unique-ID")))
        return found[0] if found else None

    def arrival_to_bridge(self, caller: str) -> float | None:
        arrived, bridged = self._inbound(caller), self._after(caller, fs_bridge_of)
        if arrived is None or bridged is None:
            return None
        return fs_time(bridged) - fs_time(arrived)

    def hangup_cause(self, caller: str) -> int | None:
        ended = self._after(caller, lambda e, channel: e.name == "CHANNEL_HANGUP_COMPLETE"
                            and e.get("Unique-ID") == channel)
        if ended is None:
            return None
        return cause_number(ended.get("Hangup-Cause"), ended.get("variable_hangup_cause_q850"))


@contextlib.contextmanager
def pbx_evidence(kit: Kit) -> Iterator[PbxEvidence]:
    """An independent watcher on the kit's PBX, open for the block."""
    if kit.kind is PbxKind.FREESWITCH:
        settings = kit.sandbox.settings
        with EventSocket("127.0.0.1", settings.esl_port, freeswitch_secrets(settings).esl_password) as sock:
            assert sock.send(FS_EVENTS).get("Reply-Text").startswith("+OK")
            yield FreeswitchEvidence(sock)
    else:
        with AmiWatcher(kit.sandbox.pbx) as pbx:
            yield AsteriskEvidence(pbx)


@dataclass
class Report:
    """What a campaign did, for the assertions and for the log (-s shows it)."""

    attempts: int = 0
    placed: int = 0  # attempts less the node's refusals (never placed, not charged: the lead goes again)
    outcomes: Counter[str] = field(default_factory=Counter)
    amd_right: int = 0
    amd_judged: int = 0
    bridge_after_verdict_ms: list[float] = field(default_factory=list)
    answer_to_bridge_s: list[float] = field(default_factory=list)
    abandons: int = 0
    recordings_rms: list[float] = field(default_factory=list)

    def summary(self) -> str:
        def med(xs: list[float]) -> str:
            return f"{sorted(xs)[len(xs) // 2]:.3f}" if xs else "-"

        return (
            f"attempts={self.attempts} outcomes={dict(self.outcomes)} amd={self.amd_right}/{self.amd_judged} "
            f"verdict->bridge median={med(self.bridge_after_verdict_ms)} ms "
            f"max={max(self.bridge_after_verdict_ms, default=0):.1f} ms "
            f"answer->bridge median={med(self.answer_to_bridge_s)} s abandons={self.abandons} "
            f"recordings={len(self.recordings_rms)} min_rms={min(self.recordings_rms, default=0):.4f}"
        )


def check_campaign(
    kit: Kit,
    campaign_id: int,
    leads: dict[str, World],
    pbx: PbxEvidence | AmiWatcher,
    world: AmiWatcher,
    *,
    restarted: bool = False,
    cut: frozenset[uuid.UUID] = frozenset(),
) -> Report:
    """The acceptance checks shared by every campaign test (see the module docstring).

    ``cut``: calls in flight at a crash: each bridged one still has its recording row, but the
    PBX may have stopped before its file held any audio (or any file), and one the crash kept
    waiting for its verdict may have been bridged a moment before its customer hung up.
    """
    if isinstance(pbx, AmiWatcher):
        pbx = AsteriskEvidence(pbx)
    report = Report()
    attempts = kit.attempts(campaign_id)
    rows = kit.leads(campaign_id)
    by_lead: dict[int, list[m.Attempt]] = {}
    for a in attempts:
        by_lead.setdefault(a.lead_id, []).append(a)
    report.attempts = len(attempts)
    report.placed = sum(a.outcome is not Outcome.REFUSED for a in attempts)
    report.outcomes = Counter(a.outcome.value for a in attempts if a.outcome is not None)

    # No lead dialed twice at once; every call the world received is an attempt we recorded.
    assert overlapping(attempts) == []
    dials = world_dials(world, set(leads))
    recorded = Counter(a.phone for a in attempts)
    assert not dials - recorded, f"the world got calls no attempt accounts for: {dials - recorded}"
    if not restarted:  # a restart may cut an originate before it reached the world
        assert dials == recorded, f"the world never got these attempts' calls: {recorded - dials}"

    # Every lead ends in the right state (a LOST attempt -- a call cut by a restart -- is retried later).
    for phone, outcome in leads.items():
        lead = rows[phone]
        assert lead.status is not LeadStatus.DIALING, phone
        assert lead.claimed_by is None, phone
        last = max(by_lead[lead.id], key=lambda a: a.originated_at)
        status, expected = EXPECTED[outcome]
        allowed = {expected}
        if outcome is World.HUMAN:
            allowed |= {Outcome.ABANDONED, Outcome.MACHINE}  # abandoned (predictive), or AMD got it wrong
        if outcome is World.MACHINE:
            allowed.add(Outcome.CONNECTED)  # AMD got it wrong
        if restarted:
            # LOST: its channel vanished unseen; FAILED: "Asterisk is shutting down" refused the originate
            allowed |= {Outcome.LOST, Outcome.EARLY_HANGUP, Outcome.FAILED}
        assert last.outcome in allowed, (phone, outcome, last.outcome, last.hangup_cause)
        if last.outcome is expected:
            assert lead.status is status, (phone, lead.status)
        # a call the node refused (never placed, or cut unrung by its shutdown) is not charged to the lead
        charged = [a for a in by_lead[lead.id] if a.outcome is not Outcome.REFUSED]
        history = [(a.outcome, a.hangup_cause) for a in by_lead[lead.id]]
        assert lead.attempts == len(charged), (phone, lead.attempts, history)

    # AMD: every answered call that lived long enough got a verdict; accuracy over those.
    for a in attempts:
        outcome = leads[a.phone]
        if outcome in TRUE_VERDICT and a.amd_verdict is not None:
            report.amd_judged += 1
            report.amd_right += a.amd_verdict in TRUE_VERDICT[outcome]
        if a.outcome in (Outcome.CONNECTED, Outcome.MACHINE, Outcome.ABANDONED) and not restarted:
            assert a.amd_verdict is not None, (a.phone, a.outcome)
        if a.bridged_at is not None:
            took = pbx.verdict_to_bridge(str(a.id), a.channel_id)
            if took is not None:
                report.bridge_after_verdict_ms.append(took * 1000)
        if a.bridged_at is not None and a.answered_at is not None:
            report.answer_to_bridge_s.append((a.bridged_at - a.answered_at).total_seconds())
    assert report.amd_judged, report.summary()
    assert report.amd_right / report.amd_judged >= 0.9, report.summary()

    # Abandons: counted, and each heard the message (seen on the pbx, not taken from the runner).
    abandoned = [a for a in attempts if a.abandoned]
    report.abandons = len(abandoned)
    for a in abandoned:
        assert pbx.abandon_heard(a.channel_id), f"abandoned attempt {a.id} never reached the abandon message"
    with kit.sessions() as s:
        counted = s.scalar(
            select(func.coalesce(func.sum(m.AbandonBucket.abandons), 0)).where(
                m.AbandonBucket.campaign_id == campaign_id
            )
        )
    assert counted == len(abandoned)

    # Recordings: every bridged call was recorded, and the file is not silent.
    recordings = kit.recordings(campaign_id)
    wavs = []
    for a in attempts:
        if a.bridged_at is None or a.outcome is Outcome.LOST:
            continue
        assert a.id in recordings, f"bridged attempt {a.id} has no recording"
        if a.id in cut:  # the PBX may have stopped before it recorded anything
            continue
        wavs.append(kit.recording_file(recordings[a.id].path))
    wait_for_files(wavs)
    report.recordings_rms.extend(rms_amplitude(wav) for wav in wavs)
    assert all(rms > 0.01 for rms in report.recordings_rms), report.recordings_rms
    return report


@contextlib.contextmanager
def run_to_end(kit: Kit, campaign_id: int, leads: dict[str, World]) -> Iterator[tuple[Report, PbxEvidence]]:
    """Run the campaign under a real runner until every lead is dialed and ended, then check it.

    Yields the report and the PBX's evidence, still open, for a test's own checks
    on the PBX's events.
    """
    runner = kit.runner()
    with pbx_evidence(kit) as pbx, AmiWatcher(kit.sandbox.world) as world:
        runner.start()
        try:
            kit.wait_for("every lead dialed and ended", kit.finished(campaign_id), runner)
            kit.stop_campaign(campaign_id, runner)
        finally:
            assert runner.stop() == 0, runner.tail()
        yield check_campaign(kit, campaign_id, leads, pbx, world), pbx


def web_client(kit: Kit, tmp_path: Path, role: UserRole = UserRole.QA, *, provisions: bool = False) -> Client:
    """The real web app on the kit's database, logged in (as a browser) as a new user of ``role``;
    ``provisions``: it writes the sandbox nodes' files (their seats, prompts), as the demo's web does."""
    username = f"{role.value}-live"
    with kit.sessions.begin() as s:
        s.add(m.User(username=username, password_hash=generate_password_hash(WEB_PASSWORD), role=role,
                     display_name=username))
    base = provisioning_settings(kit.sandbox.settings) if provisions else kit.sandbox.settings
    settings = dataclasses.replace(base, database_url=kit.url, instance_dir=tmp_path / "web",
                                   secret_key="live-test", secrets_key=kit.secrets_key,
                                   recordings_dir=tmp_path / "no-default-root")
    client = Client(create_app(settings, TESTING=True).test_client())
    response = client.login(username, WEB_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def sweep_recordings(kit: Kit) -> dict[uuid.UUID, m.Recording]:
    """The scheduler's ``check-recordings`` job over the kit's database, as it runs once the calls'
    files have settled (its ``SETTLE`` after their end: the job run that late, not a wait); returns
    every recording of the kit by attempt, as the job left it."""
    with kit.sessions.begin() as s:
        check_ended_recordings(s, Path("/nonexistent-default-root"), utcnow() + SETTLE + timedelta(seconds=1))
    with kit.sessions() as s:
        return {r.attempt_id: r for r in s.scalars(select(m.Recording))}


def check_played(web: Client, recording: m.Recording) -> float:
    """The recording fetched through the page's player URL is a WAV of real audio: its RMS amplitude."""
    response = web.get(f"/recordings/{recording.id}")
    assert response.status_code == 200, (recording.path, response.status_code)
    assert response.mimetype == "audio/wav"
    body = response.get_data()
    assert len(body) == recording.size_bytes > 44
    with wave.open(io.BytesIO(body)) as w:  # the header's sizes agree with the audio sent
        frames = w.getnframes()
        assert frames > 0
        assert len(w.readframes(frames)) == frames * w.getsampwidth() * w.getnchannels()
    with tempfile.NamedTemporaryFile(suffix=".wav") as fh:
        fh.write(body)
        fh.flush()
        return rms_amplitude(Path(fh.name))


def check_crash_recordings(kit: Kit, tmp_path: Path, campaign_id: int, in_flight: frozenset[uuid.UUID],
                           never_started: frozenset[uuid.UUID], *, pbx_stopped: bool) -> Counter:
    """After a crash, each bridged call's recording is finalised or marked: the job leaves none
    unchecked, and a finalised one plays through the web as a whole WAV (of real audio, unless its
    call was in flight at the crash: it may have been bridged just before its customer hung up).
    ``pbx_stopped``: the PBX itself went down, so a call in flight may instead be marked empty,
    damaged or missing, and is then never offered as playable. Returns the count of each status.

    ``never_started``: calls whose recording the PBX's own events never show starting. A runner
    killed between storing a bridge and sending its commands (the facts go first) leaves such a
    call in flight: its recording is rightly marked missing, never a file that looks fine."""
    recordings = sweep_recordings(kit)
    web = web_client(kit, tmp_path)
    statuses: Counter[str] = Counter()
    for a in kit.attempts(campaign_id):
        if a.id not in recordings:
            continue
        recording = recordings[a.id]
        assert recording.status is not None, recording.path
        statuses[recording.status.value] += 1
        if recording.status is RecordingStatus.OK:
            rms = check_played(web, recording)
            assert a.id in in_flight or rms > 0.01, (recording.path, rms)
        else:
            why = (recording.path, recording.status, recording.status_reason)
            assert a.id in in_flight, why
            assert pbx_stopped or (a.id in never_started and recording.status is RecordingStatus.MISSING), why
            assert web.get(f"/recordings/{recording.id}").status_code == 410
    return statuses
