"""The campaign tests' acceptance checks; running and watching a campaign is :mod:`lab.campaign`.

The lab's names are re-exported here, so the tests keep importing them from one place.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select

from lab.campaign import (
    AmiWatcher,
    Kit,
    mixed_leads,
    overlapping,
    verdict_to_bridge,
    world_dials,
)
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.world import Outcome as World
from store import models as m
from store.enums import AmdVerdict, LeadStatus, Outcome, PbxKind
from tests.integration.eslevents import EventSocket

__all__ = ["AmiWatcher", "Kit", "PbxEvidence", "check_campaign", "mixed_leads", "run_to_end"]

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


_RMS = re.compile(r"RMS\s+amplitude:\s+([0-9.]+)")


def rms_amplitude(wav: Path) -> float:
    """sox's RMS amplitude of the whole file (0 = digital silence)."""
    done = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, check=True)
    found = _RMS.search(done.stderr)
    assert found, done.stderr
    return float(found.group(1))


def wait_for_file(path: Path, timeout: float = 15.0) -> None:
    """MixMonitor closes the file a moment after the hangup: wait until its size holds still."""
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        size = path.stat().st_size if path.exists() else -1
        if size > 44 and size == last:
            return
        last = size
        time.sleep(0.2)
    raise AssertionError(f"recording {path} missing or still growing")


class PbxEvidence(Protocol):
    """What the PBX under test did, seen on its own event stream (never taken from the runner)."""

    def abandon_heard(self, channel_id: str) -> bool: ...

    def message_left(self, attempt_id: str, channel_id: str) -> bool: ...

    def verdict_to_bridge(self, attempt_id: str, channel_id: str) -> float | None: ...


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


#: The FreeSWITCH events the evidence needs (a whole campaign under ``event plain ALL`` is a flood).
FS_EVENTS = "event plain CHANNEL_BRIDGE PLAYBACK_START CUSTOM switchboard::abandon switchboard::message_left"


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

    ``cut``: calls in flight when the PBX itself went down (a restart): each bridged one still has
    its recording row, but the PBX may have stopped before its file held any audio (or any file).
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
        assert lead.status is not LeadStatus.DIALING and lead.claimed_by is None, phone
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
        assert lead.attempts == len(by_lead[lead.id]), phone

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
    assert report.amd_judged and report.amd_right / report.amd_judged >= 0.9, report.summary()

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
    for a in attempts:
        if a.bridged_at is None or a.outcome is Outcome.LOST:
            continue
        assert a.id in recordings, f"bridged attempt {a.id} has no recording"
        if a.id in cut:  # the PBX may have stopped before MixMonitor wrote anything
            continue
        wav = kit.recording_file(recordings[a.id].path)
        wait_for_file(wav)
        report.recordings_rms.append(rms_amplitude(wav))
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
