"""A corpus of spoken greetings for the world to answer with: humans and answering machines.

Answering-machine detection is tuned and measured on what the far end *says*: a
person who answers "Hello? Who is this?" must not be hung up on as a machine,
and a voicemail greeting must not reach an agent. The world's default human
only ever says "hello", so this corpus gives it many ways to greet: short and
three-word hellos, a name, Mandarin, a pause before speaking, with and without
background noise; and voicemail greetings of 3 to 15 s.

Every file is synthesised with espeak-ng and shaped with sox, deterministically
(fixed voices, speeds and pitches; ``sox -R`` for the same noise every run; no
dither), so a corpus is identified by the hash of its specification
(:func:`stamp`). It is built once into the sandbox cache dir
(``<sandbox_cache>/greetings-<stamp>/``) and copied into the world's sounds dir,
where the world's dialplan plays ``greetings/<name>`` when a call carries
``X-Greeting: <name>`` (see :mod:`lab.sandbox.world`).

Levels: speech is normalised to a -6 dBFS peak (RMS about -22 dBFS); each script is also
made ``QUIET_DB`` dB quieter (a quiet line, no noise). Noise is pink noise at a stated
SNR relative to the RMS of the speech (the spoken part, without the lead-in
pause); it starts with the call and goes on after the greeting (a human's
``<name>-after`` file is 3 s of that noise, or of digital silence when clean), as
a room's noise would.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from lab.sandbox.layout import nodes
from lab.sandbox.world import Outcome
from settings import Settings

RATE = 8000
PEAK_DBFS = -6.0
#: Seconds of "silence" a human's greeting is followed by (what the world plays after it).
AFTER_S = 3.0
#: Noise levels of the corpus: None is clean; numbers are SNRs in dB.
NOISE_LEVELS: tuple[int | None, ...] = (None, 20, 10)
#: A quiet line: clean speech this many dB below the corpus level (a level a detector's energy
#: threshold must still call speech).
QUIET_DB = 12
#: Below this SNR, and on quiet lines, a greeting is a *stress* condition: reported on its own,
#: because no fixed energy threshold serves both (see dialplans.render.AmdTuning).
STRESS_BELOW_SNR_DB = 15
#: Bumped when the way files are made changes (the specification alone is hashed otherwise).
RECIPE = 1
TOOLS = {"espeak-ng": "espeak-ng", "sox": "sox"}
SUBDIR = "greetings"


@dataclass(frozen=True)
class Script:
    """What is said and how: one greeting before noise is added."""

    kind: str  # the table row: "hello", "hello-who", "vm-long" ...
    phrases: tuple[str, ...]  # spoken one after the other, ``gap_ms`` apart
    voice: str = "en-us"
    speed: int = 165  # words per minute
    pitch: int = 50
    lead_in_ms: int = 0  # silence before the first word (a person who pauses before speaking)
    gap_ms: int = 300  # between phrases: "Hello?" <gap> "Who is this?"

    @property
    def text(self) -> str:
        return " ".join(self.phrases)


@dataclass(frozen=True)
class Greeting:
    """One corpus file: a script, a role (human or machine) and a noise level."""

    outcome: Outcome  # Outcome.HUMAN or Outcome.MACHINE: what the world does around the greeting
    script: Script
    snr_db: int | None  # None: clean
    quiet_db: int = 0  # speech this many dB below the corpus level (a quiet line), clean only

    @property
    def noise(self) -> str:
        if self.quiet_db:
            return f"quiet{self.quiet_db}"
        return "clean" if self.snr_db is None else f"snr{self.snr_db}"

    @property
    def name(self) -> str:
        """File stem, also the ``X-Greeting`` value: ``h-hello-who-1-snr20`` (letters, digits, dashes)."""
        prefix = "h" if self.outcome is Outcome.HUMAN else "m"
        return f"{prefix}-{self.script.kind}-{self.noise}"

    @property
    def kind(self) -> str:
        return self.script.kind

    @property
    def stress(self) -> bool:
        return self.quiet_db > 0 or (self.snr_db is not None and self.snr_db < STRESS_BELOW_SNR_DB)


#: Mandarin: "Hello? Hi, who is it?" and "The subscriber cannot be reached, please leave a message
#: after the tone." (full-width punctuation, as written).
_WEI = ("\u5582\uff1f", "\u4f60\u597d\uff0c\u54ea\u4f4d\uff1f")
_VM_CMN = ("\u60a8\u597d\uff0c\u60a8\u62e8\u6253\u7684\u7528\u6237\u6682\u65f6\u65e0\u6cd5\u63a5\u901a\uff0c",
           "\u8bf7\u5728\u63d0\u793a\u97f3\u540e\u7559\u8a00\u3002")

HUMANS: tuple[Script, ...] = (
    Script("hello", ("Hello?",), lead_in_ms=400),
    Script("hello-f", ("Hello?",), voice="en-gb+f3", pitch=60, lead_in_ms=600),
    Script("yeah", ("Yeah?",), voice="en-gb", lead_in_ms=500),
    Script("yes-hello", ("Yes,", "hello?"), voice="en-us+m3", gap_ms=150, lead_in_ms=700),
    Script("hello-who", ("Hello?", "Who is this?"), lead_in_ms=400),
    Script("hello-who-f", ("Hello,", "who is this?"), voice="en-gb+f2", speed=175, gap_ms=200,
           lead_in_ms=600),
    Script("this-is-mary", ("Yes,", "this is Mary speaking."), voice="en-us+f3", gap_ms=200, lead_in_ms=500),
    Script("hi-tom", ("Hi,", "this is Tom."), voice="en-us+m3", speed=180, gap_ms=250, lead_in_ms=300),
    Script("hello-hello", ("Hello?", "Hello?"), voice="en-gb", speed=150, gap_ms=1000, lead_in_ms=500),
    Script("mandarin", _WEI, voice="cmn", speed=210, lead_in_ms=600),
    Script("pause-hello", ("Hello?",), lead_in_ms=1500),
    Script("pause-hello-who", ("Hello?", "Who is this?"), voice="en-us+f3", lead_in_ms=2000),
)

MACHINES: tuple[Script, ...] = (
    Script("vm-reached", ("Hi, you've reached John Smith.", "I can't come to the phone right now.",
                          "Please leave a message after the tone.")),
    Script("vm-voicemail-f", ("Hello, you have reached the voicemail of Sarah Jones.",
                              "Please leave your name and number, and I will call you back."),
           voice="en-gb+f3", pitch=60, lead_in_ms=300),
    Script("vm-business", ("Thank you for calling Acme Plumbing.", "Our office is now closed.",
                           "Please leave a message after the beep."), voice="en-us+m3", lead_in_ms=300),
    Script("vm-short", ("Hi, it's Mike.", "I'm not here, leave a message."), voice="en-gb", speed=150,
           lead_in_ms=300),
    Script("vm-carrier", ("The person you are calling is not available.",
                          "Please record your message after the tone.", "When you are finished, hang up."),
           voice="en-us+f2", speed=150, lead_in_ms=300),
    Script("vm-mandarin", _VM_CMN, voice="cmn", speed=150, lead_in_ms=300),
    Script("vm-long", ("Hi, you've reached the Johnson family.",
                       "We're either away from the phone or busy with the kids.",
                       "Please leave your name, your number and a short message,",
                       "and we will get back to you as soon as we can. Thanks!"),
           voice="en-us+f3", lead_in_ms=300),
    Script("vm-number", ("You have reached 2 0 1, 5 5 5, 0 1 2 3.", "Please leave a message."), speed=150,
           lead_in_ms=300),
    Script("vm-pause", ("Hi, this is doctor Lee's office.", "We can't take your call.",
                        "Please leave a message."), voice="en-gb-x-rp", lead_in_ms=1000),
    Script("vm-hello-name", ("Hello, this is Anna.", "Sorry I missed your call, leave me a message."),
           voice="en-us+f2", speed=180, lead_in_ms=300),
)


def corpus(humans: Sequence[Script] = HUMANS, machines: Sequence[Script] = MACHINES,
           noise_levels: Sequence[int | None] = NOISE_LEVELS, quiet_db: int = QUIET_DB) -> list[Greeting]:
    """Every script at every noise level and once quiet (``quiet_db`` > 0), humans first."""
    variants = [(snr, 0) for snr in noise_levels] + ([(None, quiet_db)] if quiet_db else [])
    return [Greeting(outcome, script, snr, quiet)
            for outcome, scripts in ((Outcome.HUMAN, humans), (Outcome.MACHINE, machines))
            for script in scripts for snr, quiet in variants]


def stamp(greetings: Iterable[Greeting]) -> str:
    spec = [{"outcome": g.outcome.value, "snr_db": g.snr_db, "quiet_db": g.quiet_db, **asdict(g.script)}
            for g in greetings]
    text = json.dumps({"recipe": RECIPE, "rate": RATE, "peak": PEAK_DBFS, "after": AFTER_S, "spec": spec},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- making the files -------------------------------------------------------------------------


def require_tools() -> None:
    """espeak-ng and sox on the host: installed with apt-get when missing and we are root."""
    missing = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env, check=False,
                       stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    still = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if still:
        raise click.ClickException(f"the greeting corpus needs {', '.join(still)}: "
                                   f"run `apt-get install {' '.join(still)}`")


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"{cmd[0]} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done


def rms(path: Path) -> float:
    """RMS amplitude of a file (full scale = 1.0), from ``sox -n stat``."""
    stat = _run("sox", str(path), "-n", "stat").stderr
    line = next(line for line in stat.splitlines() if line.startswith("RMS     amplitude"))
    return float(line.split(":")[1])


def duration_s(path: Path) -> float:
    return float(_run("soxi", "-D", str(path)).stdout)


def _speech(script: Script, work: Path) -> Path:
    """The spoken phrases at 8 kHz, each trimmed of espeak's own leading and trailing silence,
    ``gap_ms`` of silence between them, normalised to ``PEAK_DBFS``."""
    trim = ("silence", "1", "0.01", "0.1%")
    parts: list[str] = []
    for index, phrase in enumerate(script.phrases):
        raw, part = work / f"raw{index}.wav", work / f"part{index}.wav"
        _run("espeak-ng", "-v", script.voice, "-s", str(script.speed), "-p", str(script.pitch),
             "-w", str(raw), phrase)
        gap = f"{script.gap_ms / 1000:.3f}" if index else "0"
        _run("sox", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(part),
             *trim, "reverse", *trim, "reverse", "pad", gap, "0")
        parts.append(str(part))
    speech = work / "speech.wav"
    _run("sox", "-D", *parts, str(speech), "gain", "-n", str(PEAK_DBFS))
    return speech


def _noise(seconds: float, level_rms: float, work: Path, name: str) -> Path:
    """Pink noise of ``seconds`` at RMS ``level_rms`` (deterministic: ``sox -R``)."""
    raw, out = work / f"{name}-raw.wav", work / f"{name}.wav"
    _run("sox", "-R", "-D", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(raw),
         "synth", f"{seconds:.3f}", "pinknoise")
    _run("sox", "-D", str(raw), str(out), "vol", f"{level_rms / rms(raw):.6f}")
    return out


def _mix(a: Path, b: Path, out: Path) -> None:
    _run("sox", "-R", "-D", "-m", "-v", "1", str(a), "-v", "1", str(b), "-b", "16", str(out))


def make(greeting: Greeting, directory: Path) -> list[Path]:
    """Write ``<name>.wav`` (and ``<name>-after.wav`` for a human) into ``directory``."""
    with tempfile.TemporaryDirectory(prefix="greeting-") as tmp:
        work = Path(tmp)
        speech = _speech(greeting.script, work)
        padded = work / "padded.wav"
        _run("sox", "-D", str(speech), str(padded), "pad", f"{greeting.script.lead_in_ms / 1000:.3f}", "0",
             "gain", str(-greeting.quiet_db))
        target = directory / f"{greeting.name}.wav"
        after = directory / f"{greeting.name}-after.wav" if greeting.outcome is Outcome.HUMAN else None
        if greeting.snr_db is None:
            shutil.copyfile(padded, target)
            if after is not None:
                _run("sox", "-D", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(after),
                     "trim", "0", f"{AFTER_S}")
        else:
            level = rms(speech) / 10 ** (greeting.snr_db / 20)
            _mix(padded, _noise(duration_s(padded), level, work, "noise"), target)
            if after is not None:
                shutil.copyfile(_noise(AFTER_S, level, work, "after"), after)
    return [p for p in (target, after) if p is not None]


def build(greetings: Sequence[Greeting], directory: Path) -> Path:
    """The corpus in ``directory/greetings-<stamp>`` (built once; a half-built one is never trusted)."""
    final = directory / f"{SUBDIR}-{stamp(greetings)}"
    if (final / ".complete").is_file():
        return final
    require_tools()
    directory.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{SUBDIR}-", dir=directory))
    try:
        for greeting in greetings:
            make(greeting, tmp)
        (tmp / "corpus.json").write_text(json.dumps(describe(greetings), indent=1, ensure_ascii=False))
        (tmp / ".complete").write_text(stamp(greetings) + "\n")
        tmp.chmod(0o755)
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    for older in directory.glob(f"{SUBDIR}-*"):  # corpora of earlier specifications
        if older != final and older.is_dir():
            shutil.rmtree(older)
    return final


def describe(greetings: Iterable[Greeting]) -> list[dict[str, object]]:
    return [{"name": g.name, "outcome": g.outcome.value, "kind": g.kind, "noise": g.noise,
             "text": g.script.text, "voice": g.script.voice, "speed": g.script.speed,
             "lead_in_ms": g.script.lead_in_ms} for g in greetings]


def world_dir(settings: Settings) -> Path:
    """Host path of the world's greetings dir (the world plays ``<its sounds dir>/greetings/<name>``)."""
    return nodes(settings)["world"].host_base / "sounds" / SUBDIR


def world_dir_in_root(settings: Settings) -> str:
    """The same dir as the world's Asterisk sees it (inside the root)."""
    return str(nodes(settings)["world"].base / "sounds" / SUBDIR)


def install(settings: Settings, greetings: Sequence[Greeting] | None = None) -> list[Greeting]:
    """Make sure the world can play every greeting: build the corpus once, copy it into the world.

    Cheap when already done (a stamp file in the world's dir). Returns the greetings.
    """
    greetings = list(greetings) if greetings is not None else corpus()
    built = build(greetings, settings.sandbox_cache.resolve())
    target = world_dir(settings)
    marker = target / f".stamp-{stamp(greetings)}"
    if marker.is_file():
        return greetings
    target.mkdir(parents=True, exist_ok=True)
    for source in built.glob("*.wav"):
        copy = target / source.name
        if not copy.is_file() or copy.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, copy)
    marker.write_text("")
    return greetings


def snr_db(signal: Path, noisy: Path) -> float:
    """The SNR a noisy file actually has against its clean signal (for checks): 20 log10(S/N)."""
    with tempfile.TemporaryDirectory(prefix="snr-") as tmp:
        noise = Path(tmp) / "noise.wav"
        _run("sox", "-D", "-m", "-v", "1", str(noisy), "-v", "-1", str(signal), str(noise))
        return 20 * math.log10(rms(signal) / rms(noise))
