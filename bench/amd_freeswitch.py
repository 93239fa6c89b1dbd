"""FreeSWITCH backend of the answering-machine benchmark: one world number, one verdict.

``classify(settings, number, greeting=...)`` dials the number from the
sandbox's FreeSWITCH node through its ``world`` gateway exactly as the ESL
runner does (the project's renderer for the originate, its ``sb-outbound`` route
running the detection, the project's translator for the events, the core's cadence classifier for
the decision) and returns the verdict with its time after the answer, both
taken from FreeSWITCH's own event timestamps. A beep heard by avmd (the
machine's "leave a message" tone) is reported too, with its own time.

It talks ESL over a plain blocking socket (no gevent, no runner, no
database), so a benchmark can call it from any thread; ``record`` keeps the
raw bytes FreeSWITCH sent, which is how ``tests/esl/fixtures/amd`` was made.

Run one call by hand: ``python -m bench.amd_freeswitch <number> [greeting]``; the world's
humans and machines: ``python -m bench.amd_freeswitch --world 20``; a greeting corpus
(``corpus.json`` + WAVs, e.g. the one ``bench.amd`` builds) over loopback:
``python -m bench.amd_freeswitch --corpus DIR`` (see :func:`corpus_run`), or the same
files through an offline replay of the two detectors: ``--offline DIR``.
"""

from __future__ import annotations

import array
import json
import math
import re
import socket
import sys
import time
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path

from dialplans.render import AmdTuning
from esl.framing import EslEvent, Framer, parse_event
from esl.render import DialConfig, render
from esl.translate import AMD_SIGNAL, SIGNAL_PREFIX, Translator
from lab.campaign import random_area_code
from lab.sandbox import fsnode
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.world import Outcome as World
from lab.sandbox.world import world_number
from orchestrator import commands as c
from orchestrator import events as e
from orchestrator.amd import Cadence, CadenceParams
from orchestrator.dialer import routes
from orchestrator.events import VoiceCue, VoiceDetected
from provisioning.freeswitch import amd_detectors
from settings import Settings, load_settings

ANSWER_TIMEOUT_S = 20
MACHINE_TAIL = "tone_stream://%(500,0,1000)!silence_stream://10000"  # the world's beep, then a recorder
LOOPBACK_NUMBER = "00"  # replaced in the dial string by the loopback far end
LOOPBACK_FAR_END = "loopback/m:^:answer^park/switchboard/inline"
_GREETING = re.compile(r"[a-z0-9-]{1,64}\Z")  # the world's corpus names (X-Greeting header)
_EVENTS = ("event plain CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB "
           f"CUSTOM avmd::beep {SIGNAL_PREFIX}{AMD_SIGNAL}")


@dataclass
class FsAmdResult:
    number: str
    greeting: str
    verdict: str = "NONE"  # HUMAN / MACHINE / NOTSURE, NONE when nothing was decided (no answer...)
    cause: str = ""
    decision_ms: int | None = None  # after the answer, FreeSWITCH's clock
    beep_ms: int | None = None  # avmd's beep after the answer, if one came before we hung up
    cues: list[tuple[str, int]] = field(default_factory=list)  # (cue, ms after answer)
    hangup: str = ""


class _Esl:
    """Just enough ESL: auth, commands with replies in order, events kept for the caller."""

    def __init__(self, host: str, port: int, password: str, timeout: float, record: bytearray | None) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.framer, self.replies, self.events = Framer(), [], []
        self.record = record
        if self._reply().content_type != "auth/request":
            raise ConnectionError("no auth/request from FreeSWITCH")
        if not self.send(f"auth {password}").get("Reply-Text").startswith("+OK"):
            raise PermissionError("ESL password refused")

    def _pump(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("FreeSWITCH closed the connection")
        if self.record is not None:
            self.record.extend(chunk)
        for frame in self.framer.feed(chunk):
            (self.events.append(parse_event(frame)) if frame.is_event else self.replies.append(frame))

    def _reply(self):
        while not self.replies:
            self._pump()
        return self.replies.pop(0)

    def send(self, text: str):
        self.sock.sendall(f"{text}\n\n".encode())
        return self._reply()

    def next_event(self, deadline: float) -> EslEvent | None:
        while not self.events:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                self._pump()
            except TimeoutError:
                return None
        return self.events.pop(0)

    def close(self) -> None:
        try:
            self.sock.sendall(b"exit\n\n")
        finally:
            self.sock.close()


def classify(settings: Settings, number: str, greeting: str = "", *, listen_s: float = 0.0,
             params: CadenceParams | None = None, timeout_s: float = 15.0,
             record: bytearray | None = None, play: str = "") -> FsAmdResult:
    """Dial ``number`` (optionally asking the world for corpus ``greeting``) and classify the answer.

    ``listen_s``: after the verdict, keep listening this long for avmd's beep
    (a HUMAN verdict followed by a beep is a machine the runner would then
    handle late). ``timeout_s`` bounds the analysis after the answer.

    ``play``: instead of the world, call a loopback leg inside FreeSWITCH that
    answers and plays this file string (a corpus greeting the world cannot play
    yet); ``number`` is then only a label. Same route, detectors and classifier,
    no SIP/RTP/PCMU on the way.
    """
    if greeting and not _GREETING.match(greeting):
        raise ValueError(f"bad greeting name {greeting!r}")
    result = FsAmdResult(number, greeting)
    dialed = LOOPBACK_NUMBER if play else number
    channel, job = str(uuid.uuid4()), str(uuid.uuid4())
    dial = DialConfig()
    originate = c.Originate(attempt_id=str(uuid.uuid4()), channel_id=channel, route="sb-outbound",
                            timeout_s=ANSWER_TIMEOUT_S,
                            endpoint=c.Endpoint(c.EndpointKind.TRUNK, fsnode.GATEWAY, dialed),
                            variables={routes.VAR_AMD: "yes"})
    text = render(originate, dial, job_uuid=job).text
    if greeting:  # a SIP header for the world; the core's variable names do not allow '-'
        text = text.replace("{", f"{{sip_h_X-Greeting={greeting},", 1)
    if play:  # the far end answers and parks (inline dialplan, '^' separated); we play into it on answer
        text = text.replace(f"sofia/gateway/{fsnode.GATEWAY}/{dialed}", LOOPBACK_FAR_END, 1)
    translator = Translator()
    translator.state.expect(originate, job)
    esl = _Esl("127.0.0.1", settings.esl_port, freeswitch_secrets(settings).esl_password, 10.0, record)
    try:
        esl.send(_EVENTS)
        if not play:  # a loopback leg reports under a temporary id first: no filter then
            esl.send(f"filter Unique-ID {channel}")
            esl.send(f"filter Job-UUID {job}")
        esl.send(text)
        _follow(esl, translator, channel, result, params or CadenceParams(), timeout_s, listen_s, play)
    finally:
        esl.send(f"api uuid_kill {channel}")
        _drain_hangup(esl, channel)
        esl.close()
    return result


def _follow(esl: _Esl, translator: Translator, channel: str, result: FsAmdResult, params: CadenceParams,
            timeout_s: float, listen_s: float, play: str) -> None:
    deadline = time.monotonic() + ANSWER_TIMEOUT_S + 5
    cadence: Cadence | None = None
    while (ev := esl.next_event(deadline)) is not None:
        for out in translator.translate(ev, time.time()):
            if not isinstance(out, e.CallEvent) or out.channel_id != channel:
                continue
            if isinstance(out, e.Answered):
                cadence = Cadence(out.at, params)  # sb-outbound runs the detection (sb_amd=yes)
                if play:
                    far = esl.send(f"api uuid_getvar {channel} other_loopback_leg_uuid").text().strip()
                    esl.send(f"api uuid_broadcast {far} {play} aleg")
                deadline = time.monotonic() + timeout_s
            elif isinstance(out, e.VoiceDetected) and cadence is not None:
                result.cues.append((out.cue.value, _ms(out.at - cadence.answered_at)))
                decision = cadence.feed(out)
                if decision is not None:
                    result.verdict, result.cause = decision.verdict.value, decision.cause
                    result.decision_ms = _ms(out.at - cadence.answered_at)
                    deadline = min(deadline, time.monotonic() + listen_s)
            elif isinstance(out, e.AmdResult) and cadence is not None and result.beep_ms is None:
                result.beep_ms = _ms(out.at - cadence.answered_at)
                if result.decision_ms is None:
                    result.verdict, result.cause = out.verdict.value, out.cause
                    result.decision_ms = result.beep_ms
                deadline = time.monotonic()
            elif isinstance(out, e.HungUp | e.OriginateFailed):
                result.hangup = out.cause_text if isinstance(out, e.HungUp) else out.reason
                return


def _drain_hangup(esl: _Esl, channel: str) -> None:
    deadline = time.monotonic() + 5
    while (ev := esl.next_event(deadline)) is not None:
        if ev.name == "CHANNEL_HANGUP_COMPLETE" and ev.get("Unique-ID") == channel:
            return


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


@dataclass(frozen=True)
class Summary:
    """Accuracy over a set of calls and the p95 of the human decisions (ms after the answer)."""

    human_pct: float
    machine_pct: float
    human_decision_p95_ms: int | None
    results: tuple[FsAmdResult, ...]

    def line(self) -> str:
        return (f"RESULT amd_freeswitch freeswitch_human_pct={self.human_pct:.1f} "
                f"freeswitch_machine_pct={self.machine_pct:.1f} "
                f"freeswitch_human_decision_p95_ms={self.human_decision_p95_ms}")


def summarize(labelled: list[tuple[bool, FsAmdResult]]) -> Summary:
    """``labelled``: (is a human, its result). A human is right unless classed MACHINE (NOTSURE connects)."""
    humans = [r for human, r in labelled if human]
    machines = [r for human, r in labelled if not human]
    right_h = sum(r.verdict in ("HUMAN", "NOTSURE") for r in humans)
    right_m = sum(r.verdict == "MACHINE" for r in machines)
    times = sorted(r.decision_ms for r in humans if r.verdict == "HUMAN" and r.decision_ms is not None)
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)] if times else None
    return Summary(100.0 * right_h / max(1, len(humans)), 100.0 * right_m / max(1, len(machines)), p95,
                   tuple(r for _, r in labelled))


def world_run(settings: Settings, humans: int, machines: int) -> Summary:
    """The world's own outcomes: "hello" humans and 5.7 s voicemail greetings, one call at a time."""
    area = random_area_code()
    labelled = [(True, classify(settings, world_number(World.HUMAN, 0, i, area_code=area)))
                for i in range(humans)]
    labelled += [(False, classify(settings, world_number(World.MACHINE, 0, 500 + i, area_code=area)))
                 for i in range(machines)]
    return summarize(labelled)


def corpus_run(settings: Settings, corpus_dir: Path) -> dict[str, Summary]:
    """A greeting corpus (``corpus.json``: name, outcome, noise) played over loopback; summaries per noise.

    Caution, measured: over FreeSWITCH's loopback endpoint the same file can
    get different verdicts from run to run (the silence after a greeting is
    sometimes not seen), which calls from the world over SIP never showed;
    likely a loopback reader that is not paced by the player (comfort noise
    fills an empty queue and stretches the greeting in samples).
    Use it to look, not to report; play corpora from the world (``greeting``).

    A human's file is followed by its ``-after`` file (3 s of its background),
    a machine's by a 0.5 s 1000 Hz beep and silence, as the world plays them.
    Key ``all`` covers every file.
    """
    items = json.loads((corpus_dir / "corpus.json").read_text())
    labelled: dict[str, list[tuple[bool, FsAmdResult]]] = {}
    for item in items:
        human = item["outcome"] == "human"
        path = corpus_dir / f"{item['name']}.wav"
        tail = f"{corpus_dir / (item['name'] + '-after.wav')}" if human else MACHINE_TAIL
        r = classify(settings, item["name"], play=f"file_string://{path}!{tail}")
        for key in ("all", item.get("noise", "clean")):
            labelled.setdefault(key, []).append((human, r))
    return {key: summarize(group) for key, group in labelled.items()}


def replay_detectors(levels: list[float], amd: dict[str, int]) -> list[tuple[VoiceCue, int, int]]:
    """``detect_audio`` then ``detect_silence`` (switch_ivr_play_say.c) over 20 ms frame levels, offline.

    ``levels``: each frame's mean absolute sample (FreeSWITCH's score at 8 kHz);
    ``amd``: ``provisioning.freeswitch.amd_detectors``. Returns the cues the route
    would report, as (cue, ms after the first frame, held ms): what sb-outbound
    decides on the audio itself, with no SIP, RTP or codec on the way.
    """
    hits, cues = 0, []
    for i, level in enumerate(levels):
        if i * 20 >= amd["initial_silence_ms"]:
            return [(VoiceCue.NO_SPEECH, i * 20, 0)]
        hits = hits + 1 if level >= amd["threshold"] else 0
        if hits > amd["audio_hits"]:
            break
    else:
        return [(VoiceCue.NO_SPEECH, len(levels) * 20, 0)]
    spoke = (i + 1) * 20
    cues.append((VoiceCue.SPEECH, spoke, amd["audio_held_ms"]))
    hits = 0
    for j, level in enumerate(levels[i + 1:], start=1):
        if j * 20 >= amd["greeting_window_ms"]:
            return [*cues, (VoiceCue.NO_SILENCE, spoke + j * 20, amd["silence_held_ms"])]
        hits = hits + 1 if level <= amd["threshold"] else 0
        if hits > amd["silence_hits"]:
            return [*cues, (VoiceCue.SILENCE, spoke + j * 20, amd["silence_held_ms"])]
    return cues


def _levels(path: Path) -> list[float]:
    with wave.open(str(path)) as w:
        if (w.getframerate(), w.getsampwidth(), w.getnchannels()) != (8000, 2, 1):
            raise ValueError(f"{path}: 8 kHz 16-bit mono expected")
        samples = array.array("h", w.readframes(w.getnframes()))
    return [sum(map(abs, samples[k:k + 160])) / 160 for k in range(0, len(samples) - 159, 160)]


def corpus_offline(corpus_dir: Path, tuning: AmdTuning | None = None) -> dict[str, Summary]:
    """The corpus through :func:`replay_detectors` and the core's classifier; summaries per noise."""
    amd = amd_detectors(tuning or AmdTuning())
    labelled: dict[str, list[tuple[bool, FsAmdResult]]] = {}
    for item in json.loads((corpus_dir / "corpus.json").read_text()):
        human = item["outcome"] == "human"
        levels = _levels(corpus_dir / f"{item['name']}.wav")
        levels += _levels(corpus_dir / f"{item['name']}-after.wav") if human else [4000.0] * 25 + [0.0] * 250
        cadence, r = Cadence(0.0), FsAmdResult(item["name"], "")
        for cue, ms, held in replay_detectors(levels, amd):
            r.cues.append((cue.value, ms))
            decision = cadence.feed(VoiceDetected(ms / 1000, "offline", cue=cue, held_ms=held))
            if decision is not None:
                r.verdict, r.cause, r.decision_ms = decision.verdict.value, decision.cause, ms
        for key in ("all", item.get("noise", "clean")):
            labelled.setdefault(key, []).append((human, r))
    return {key: summarize(group) for key, group in labelled.items()}


def main(argv: list[str]) -> int:
    """``python -m bench.amd_freeswitch --world N``, or one call: ``<number> [greeting]``."""
    settings = load_settings()
    if len(argv) == 2 and argv[0] == "--world":
        summary = world_run(settings, int(argv[1]), int(argv[1]))
        for r in summary.results:
            print(f"{r.number} {r.verdict} {r.cause} decision_ms={r.decision_ms} beep_ms={r.beep_ms}")
        print(summary.line())
        return 0
    if len(argv) == 2 and argv[0] in ("--corpus", "--offline"):
        run = corpus_offline if argv[0] == "--offline" else lambda d: corpus_run(settings, d)
        summaries = run(Path(argv[1]))
        for r in summaries["all"].results:
            print(f"{r.number} {r.verdict} {r.cause} decision_ms={r.decision_ms} beep_ms={r.beep_ms}")
        for key, summary in summaries.items():
            print(f"[{key}] {summary.line()}")
        return 0
    if not argv or len(argv) > 2:
        print("usage: python -m bench.amd_freeswitch --world N | --corpus DIR | --offline DIR"
              " | <number> [greeting]", file=sys.stderr)
        return 2
    print(classify(settings, argv[0], argv[1] if len(argv) > 1 else "", listen_s=8.0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
