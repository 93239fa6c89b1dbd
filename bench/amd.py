"""Answering-machine detection on a corpus of spoken greetings, through the real sandbox.

    .venv/bin/python -m bench.amd [--quick] [--parallel 3] [--route dialplan|app] [--set key=value,...]

The corpus (:mod:`lab.sandbox.greetings`: 36 humans, 30 voicemail greetings,
clean and with pink noise at 20 and 10 dB SNR) is built once with espeak-ng and sox
and installed into the world; each greeting is one call from the pbx to the world,
classified by the PBX's detector (:mod:`lab.amd`). Calls are paced a few
at a time (``--parallel``): the detector listens in real time, and the machine is shared.

Asterisk, ``--route dialplan`` (default): the production route ``sb-outbound`` with the
project's rendered ``amd.conf`` (written to the pbx and reloaded if it differs);
``--route app`` runs ``AMD(<tuning>)`` directly, and ``--set`` tries another tuning that
way without touching the pbx's ``amd.conf`` (``--set maximum_number_of_words=2``
shows the old tuning's failures).

A human is right unless called MACHINE (NOTSURE goes to an agent, as the core does); a
machine only when called MACHINE. Calls with no verdict (a pbx restarted by someone else
on a shared sandbox, the world missing the corpus) are retried and, if still without one,
reported as errors and left out of the percentages. Decision time is answer -> verdict.

The last line is ``RESULT amd asterisk_human_pct=... asterisk_machine_pct=...
asterisk_human_decision_p95_ms=...`` over the clean and 20 dB SNR greetings, then the same
``asterisk_stress_*`` over the stress conditions (10 dB SNR, a line 12 dB quieter), where a
fixed energy threshold breaks one way or the other; a backend is added to ``BACKENDS`` (a function from
the sandbox and the options to a :class:`~lab.amd.Detector`, or None when that
PBX is not running) and its fields appear only when it was measured.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields, replace

from dialplans.render import AmdTuning
from lab.amd import (
    AsteriskDetector,
    Detector,
    Verdict,
    classify_retrying,
    install_corpus,
    install_tuning,
    tuning_in_place,
)
from lab.campaign import Sandbox, sandbox_up
from lab.sandbox.greetings import Greeting
from lab.sandbox.world import Outcome
from settings import load_settings

#: The --quick subset: the three-word and Mandarin humans, a pause, noise; short and long machines.
QUICK = (
    "h-hello-clean", "h-hello-who-clean", "h-this-is-mary-clean", "h-mandarin-clean", "h-pause-hello-clean",
    "h-hello-who-snr20", "h-yes-hello-snr10", "m-vm-short-clean", "m-vm-reached-clean", "m-vm-mandarin-clean",
    "m-vm-long-snr20", "m-vm-pause-clean",
)


def _asterisk(sandbox: Sandbox, options: argparse.Namespace) -> Detector | None:
    if options.route == "dialplan":
        if install_tuning(sandbox):
            print("pbx: amd.conf was not the project's tuning: rendered, written and reloaded")
        return AsteriskDetector(sandbox, route="dialplan")
    return AsteriskDetector(sandbox, route="app", tuning=options.tuning)


BACKENDS: dict[str, Callable[[Sandbox, argparse.Namespace], Detector | None]] = {"asterisk": _asterisk}


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


def _row(label: str, verdicts: Sequence[Verdict]) -> str:
    counted = [v for v in verdicts if not v.error]
    right = sum(v.right for v in counted)
    pct = _pct(verdicts)
    took = sorted(v.decision_ms for v in counted if v.decision_ms is not None)
    wrong = sorted({v.cause.split("-")[0] for v in counted if not v.right})
    errors = len(verdicts) - len(counted)
    return (f"{label:<26} {right:>3}/{len(counted):<3} {'' if pct is None else f'{pct:5.1f} %':>8}"
            f" {statistics.median(took) if took else 0:>7.0f} {_p95(took) or 0:>7.0f}"
            f"  {','.join(wrong)}{f'  ({errors} without verdict)' if errors else ''}")


def report(backend: str, verdicts: Sequence[Verdict]) -> dict[str, float]:
    """Print the tables for one backend; return its RESULT fields."""
    header = f"{'':<26} {'right':>7} {'':>8} {'p50 ms':>7} {'p95 ms':>7}  wrong by (AMDCAUSE)"
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
        if not v.error and not v.right:
            print(f"  wrong: {v.greeting.name}: {v.status} {v.cause} after {v.decision_ms or 0:.0f} ms")
    result: dict[str, float] = {}
    for prefix, stress in (("", False), ("stress_", True)):
        part = [v for v in verdicts if v.greeting.stress is stress]
        humans = [v for v in part if v.greeting.outcome is Outcome.HUMAN]
        machines = [v for v in part if v.greeting.outcome is Outcome.MACHINE]
        took = sorted(v.decision_ms for v in humans if not v.error and v.decision_ms is not None)
        for key, value in (("human_pct", _pct(humans)), ("machine_pct", _pct(machines)),
                           ("human_decision_p95_ms", _p95(took))):
            if value is not None:
                result[f"{backend}_{prefix}{key}"] = value
    return result


def _select(greetings: Sequence[Greeting], quick: bool) -> list[Greeting]:
    return [g for g in greetings if g.name in QUICK] if quick else list(greetings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.amd", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a subset of 12 greetings (under a minute)")
    parser.add_argument("--parallel", type=int, default=3, help="calls at a time (default 3)")
    parser.add_argument("--repeat", type=int, default=1, help="run the corpus this many times")
    parser.add_argument("--route", choices=("dialplan", "app"), default="dialplan")
    parser.add_argument("--set", dest="tuning", type=_tuning, default=None,
                        help="try this AmdTuning (implies --route app), e.g. maximum_number_of_words=2")
    options = parser.parse_args(argv)
    if options.tuning is not None:
        options.route = "app"
    options.tuning = options.tuning or AmdTuning()
    sandbox = sandbox_up(load_settings())
    greetings = _select(install_corpus(sandbox), options.quick)
    print(f"{len(greetings)} greetings x {options.repeat}, {options.parallel} calls at a time, "
          f"route {options.route}"
          + (f", tuning {options.tuning.arguments()}" if options.route == "app" else ""))
    fields_out: dict[str, float] = {}
    for backend, make in BACKENDS.items():
        detector = make(sandbox, options)
        if detector is None:
            continue
        def in_place() -> None:  # on a shared sandbox other runs rewrite the world's dialplan and amd.conf
            install_corpus(sandbox)
            if options.route == "dialplan":
                install_tuning(sandbox)

        verdicts: list[Verdict] = []
        for _ in range(options.repeat):
            verdicts += asyncio.run(classify_retrying(detector, greetings, options.parallel,
                                                      before_round=in_place))
        if backend == "asterisk" and options.route == "dialplan" and not tuning_in_place(sandbox):
            print("warning: the pbx's amd.conf was rewritten during the run (another runner on this "
                  "sandbox?): the figures may mix tunings", file=sys.stderr)
        fields_out.update(report(backend, verdicts))
    line = " ".join(f"{k}={v:.0f}" if k.endswith("_ms") else f"{k}={v:.1f}" for k, v in fields_out.items())
    print(f"RESULT amd {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
