"""Answering-machine detection on a corpus of spoken greetings, through both real PBXes of the sandbox.

    .venv/bin/python -m bench.amd [--quick] [--pbx both|asterisk|freeswitch] [--noise clean,snr20,...]
                                  [--parallel 3] [--route dialplan|app] [--set key=value,...]

The corpus (:mod:`lab.sandbox.greetings`: 48 human and 40 voicemail greetings,
clean, with pink noise at 20 and 10 dB SNR, and 12 dB quieter) is built once with espeak-ng
and sox and installed into the world; each greeting is one call from a PBX to the world, which
answers with the greeting the call's ``X-Greeting`` header names, classified by that PBX's
detector as production calls are (:mod:`lab.amd`). The same files go through both
PBXes, one after the other. Calls are paced a few at a time (``--parallel``): the detectors
listen in real time, and the machine is shared, so decision times carry the load's noise.

Asterisk, ``--route dialplan`` (default): the production route ``sb-outbound`` with the
project's rendered ``amd.conf`` (written to the pbx and reloaded if it differs);
``--route app`` runs ``AMD(<tuning>)`` directly, and ``--set`` tries another tuning that
way without touching the pbx's ``amd.conf`` (``--set maximum_number_of_words=2``
shows the old tuning's failures).

FreeSWITCH: the node's ``sb-outbound`` (``detect_audio`` / ``detect_silence`` with the
tuning's threshold and times, avmd for beeps) reporting to the core's cadence classifier
(``orchestrator.amd``), as the ESL runner does. The route is rendered into the node's
``freeswitch.xml`` and reloaded if it differs; ``--set`` renders that tuning there for the run
(and the classifier takes its times), then the shipped route is put back.

A human is right unless called MACHINE (NOTSURE goes to an agent, as the core does); a
machine only when called MACHINE. Calls with no verdict (a PBX restarted by someone else
on a shared sandbox, the world missing the corpus) are retried and, if still without one,
reported as errors and left out of the percentages. Decision time is answer -> verdict;
*wait* is the world's greeting end -> verdict (the silence a person who stopped talking hears
before anything happens; the decision time also holds the pick-up pause and the greeting).

The last line is ``RESULT amd asterisk_human_pct=... asterisk_machine_pct=...
freeswitch_human_pct=... freeswitch_machine_pct=... freeswitch_human_decision_p95_ms=...`` with
each backend's ``*_human_decision_p95_ms`` and ``*_human_wait_p95_ms`` over the clean and
20 dB SNR greetings, then the same ``*_stress_*`` over the stress conditions (10 dB SNR, a
line 12 dB quieter), where a fixed energy threshold breaks one way or the other. A backend's
fields appear only when it was measured (``--pbx``), and only the conditions run (``--noise``).

Where it breaks (measured; the README's AMD section has the figures): both detectors decide on
one fixed energy threshold (512, the mean absolute sample of a 20 ms frame). Pink noise at 10 dB
SNR sits at ~600 (frames up to ~1470), so a greeting never ends (LONGGREETING: a person hung up
on); speech on a line 12 dB quieter sits at ~370, so it is never heard (INITIALSILENCE). Raising
the threshold trades one for the other; a threshold that follows the line's noise floor serves
both (offline), but neither PBX's stock detector has one. The human decision p95 is set by the
corpus's long greetings (a 2 s pause, then "Hello? Who is this?" is decided at ~4.8 s): the rule
needs the greeting's end plus 800 ms of silence; the wait after the greeting is the tuning's part.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

from dialplans.render import AmdTuning
from lab.amd import (
    AsteriskDetector,
    Detector,
    FreeSwitchDetector,
    Verdict,
    classify_retrying,
    install_corpus,
    install_freeswitch_tuning,
    install_tuning,
    tuning_in_place,
)
from lab.campaign import Sandbox, sandbox_up
from lab.sandbox import fscli, fsnode
from lab.sandbox.greetings import Greeting
from lab.sandbox.world import Outcome
from settings import load_settings

#: The --quick subset: the three-word and Mandarin humans, a pause, noise; short and long machines.
QUICK = (
    "h-hello-clean", "h-hello-who-clean", "h-this-is-mary-clean", "h-mandarin-clean", "h-pause-hello-clean",
    "h-hello-who-snr20", "h-yes-hello-snr10", "m-vm-short-clean", "m-vm-reached-clean", "m-vm-mandarin-clean",
    "m-vm-long-snr20", "m-vm-pause-clean",
)
#: --pbx -> the sandbox kind to bring up
PBX_KINDS = {"both": "all", "asterisk": "asterisk", "freeswitch": "freeswitch"}


@dataclass
class Backend:
    """One PBX's detector and what keeps its side of the shared sandbox as the run needs it."""

    detector: Detector
    #: before every round: corpus, world dialplan, tuning back in place (other runs rewrite them)
    in_place: Callable[[], object]
    #: after the run: a warning when the figures may mix tunings, or None; puts shipped routes back
    finish: Callable[[], str | None]


def _asterisk(sandbox: Sandbox, options: argparse.Namespace) -> Backend:
    if options.route == "dialplan":
        if install_tuning(sandbox):
            print("pbx: amd.conf was not the project's tuning: rendered, written and reloaded")

        def finish() -> str | None:
            if tuning_in_place(sandbox):
                return None
            return ("the pbx's amd.conf was rewritten during the run (another runner?): "
                    "the figures may mix tunings")

        return Backend(AsteriskDetector(sandbox, route="dialplan"),
                       lambda: (install_corpus(sandbox), install_tuning(sandbox)), finish)
    return Backend(AsteriskDetector(sandbox, route="app", tuning=options.tuning),
                   lambda: install_corpus(sandbox), lambda: None)


def _freeswitch(sandbox: Sandbox, options: argparse.Namespace) -> Backend | None:
    if not fsnode.configured(sandbox.settings) or fscli.pid(sandbox.settings) is None:
        return None
    if install_freeswitch_tuning(sandbox, options.tuning):
        print("freeswitch: sb-outbound was not this tuning: rendered into freeswitch.xml and reloaded")

    def finish() -> str | None:
        install_freeswitch_tuning(sandbox)  # the shipped route again
        return None

    def in_place() -> None:
        install_corpus(sandbox)
        install_freeswitch_tuning(sandbox, options.tuning)

    return Backend(FreeSwitchDetector(sandbox, tuning=options.tuning), in_place, finish)


BACKENDS: dict[str, Callable[[Sandbox, argparse.Namespace], Backend | None]] = {
    "asterisk": _asterisk, "freeswitch": _freeswitch}


def _tuning(text: str) -> AmdTuning:
    names = {f.name for f in fields(AmdTuning)}
    values: dict[str, int] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        if key not in names or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(f"{item!r}: expected one of {sorted(names)} = a whole number")
        values[key] = int(value)
    return replace(AmdTuning(), **values)


def _p95(values: Sequence[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _pct(verdicts: Sequence[Verdict]) -> float | None:
    counted = [v for v in verdicts if not v.error]
    return 100.0 * sum(v.right for v in counted) / len(counted) if counted else None


def _times(verdicts: Sequence[Verdict], attribute: str) -> list[float]:
    return sorted(t for v in verdicts if not v.error and (t := getattr(v, attribute)) is not None)


def _row(label: str, verdicts: Sequence[Verdict]) -> str:
    counted = [v for v in verdicts if not v.error]
    right = sum(v.right for v in counted)
    pct = _pct(verdicts)
    took, wait = _times(verdicts, "decision_ms"), _times(verdicts, "after_greeting_ms")
    wrong = sorted({v.cause.split("-")[0] for v in counted if not v.right})
    errors = len(verdicts) - len(counted)
    return (f"{label:<26} {right:>3}/{len(counted):<3} {'' if pct is None else f'{pct:5.1f} %':>8}"
            f" {statistics.median(took) if took else 0:>7.0f} {_p95(took) or 0:>7.0f}"
            f" {_p95(wait) or 0:>7.0f}"
            f"  {','.join(wrong)}{f'  ({errors} without verdict)' if errors else ''}")


def report(backend: str, verdicts: Sequence[Verdict]) -> dict[str, float]:
    """Print the tables for one backend; return its RESULT fields."""
    header = (f"{'':<26} {'right':>7} {'':>8} {'p50 ms':>7} {'p95 ms':>7} {'wait95':>7}"
              "  wrong by (AMDCAUSE)")
    for outcome in (Outcome.HUMAN, Outcome.MACHINE):
        mine = [v for v in verdicts if v.greeting.outcome is outcome]
        print(f"\n{backend}: {outcome.value}s, by greeting\n{header}")
        for kind in dict.fromkeys(v.greeting.kind for v in mine):
            print(_row(kind, [v for v in mine if v.greeting.kind == kind]))
        print(f"{outcome.value}s, by noise")
        for noise in dict.fromkeys(v.greeting.noise for v in mine):
            print(_row(noise, [v for v in mine if v.greeting.noise == noise]))
        print(_row(f"all {outcome.value}s", mine))
    for v in verdicts:
        if v.error:
            print(f"  no verdict: {v.greeting.name}: {v.status} {v.cause}")
        elif not v.right:
            print(f"  wrong: {v.greeting.name}: {v.status} {v.cause} after {v.decision_ms or 0:.0f} ms")
    slow = sorted((v for v in verdicts if v.greeting.outcome is Outcome.HUMAN and v.decision_ms is not None
                   and not v.error), key=lambda v: -(v.decision_ms or 0))[:5]
    print("slowest human decisions: " + ", ".join(
        f"{v.greeting.name} {v.decision_ms:.0f} ms (wait {v.after_greeting_ms or 0:.0f})" for v in slow))
    result: dict[str, float] = {}
    for prefix, stress in (("", False), ("stress_", True)):
        part = [v for v in verdicts if v.greeting.stress is stress]
        humans = [v for v in part if v.greeting.outcome is Outcome.HUMAN]
        machines = [v for v in part if v.greeting.outcome is Outcome.MACHINE]
        for key, value in (("human_pct", _pct(humans)), ("machine_pct", _pct(machines)),
                           ("human_decision_p95_ms", _p95(_times(humans, "decision_ms"))),
                           ("human_wait_p95_ms", _p95(_times(humans, "after_greeting_ms")))):
            if value is not None:
                result[f"{backend}_{prefix}{key}"] = value
    return result


def _select(greetings: Sequence[Greeting], quick: bool, noise: set[str] | None) -> list[Greeting]:
    return [g for g in greetings if (not quick or g.name in QUICK) and (noise is None or g.noise in noise)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.amd", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a subset of 12 greetings (under a minute)")
    parser.add_argument("--pbx", choices=tuple(PBX_KINDS), default="both", help="which PBXes (default both)")
    parser.add_argument("--noise", type=lambda text: set(text.split(",")), default=None,
                        help="only these conditions, e.g. clean,snr20 or snr10,quiet12 (to run in pieces)")
    parser.add_argument("--parallel", type=int, default=3, help="calls at a time (default 3)")
    parser.add_argument("--repeat", type=int, default=1, help="run the corpus this many times")
    parser.add_argument("--route", choices=("dialplan", "app"), default="dialplan")
    parser.add_argument("--set", dest="tuning", type=_tuning, default=None,
                        help="try this AmdTuning (Asterisk: implies --route app), "
                             "e.g. maximum_number_of_words=2")
    options = parser.parse_args(argv)
    if options.tuning is not None:
        options.route = "app"
    options.tuning = options.tuning or AmdTuning()
    sandbox = sandbox_up(load_settings(), PBX_KINDS[options.pbx])
    greetings = _select(install_corpus(sandbox), options.quick, options.noise)
    print(f"{len(greetings)} greetings x {options.repeat}, {options.parallel} calls at a time, "
          f"route {options.route}"
          + (f", tuning {options.tuning.arguments()}" if options.route == "app" else ""))
    fields_out: dict[str, float] = {}
    for name, make in BACKENDS.items():
        backend = make(sandbox, options) if options.pbx in ("both", name) else None
        if backend is None:
            continue
        verdicts: list[Verdict] = []
        started = time.monotonic()
        try:
            for _ in range(options.repeat):
                verdicts += asyncio.run(classify_retrying(backend.detector, greetings, options.parallel,
                                                          before_round=backend.in_place))
        finally:
            warning = backend.finish()
        if warning:
            print(f"warning: {name}: {warning}", file=sys.stderr)
        fields_out.update(report(name, verdicts))
        print(f"{name}: {len(verdicts)} calls in {time.monotonic() - started:.0f} s")
    line = " ".join(f"{k}={v:.0f}" if k.endswith("_ms") else f"{k}={v:.1f}" for k, v in fields_out.items())
    print(f"RESULT amd {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
