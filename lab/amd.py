"""Answering-machine detection on the live sandbox: play corpus greetings, collect each PBX's verdict.

Shared by the AMD benchmark (``bench.amd``) and its live test. One *detector*
per PBX kind classifies greetings the way production calls are classified
there; Asterisk's is :class:`AsteriskDetector`. A FreeSWITCH detector is another
class with the same :class:`Detector` shape (a name and ``classify``), dialing
the same world with the same ``X-Greeting`` header.

On Asterisk the pbx originates to the world (``PJSIP/<number>@world``) and runs
``AMD()``, in one of two ways:

* ``route="dialplan"`` (what production does): into ``sb-outbound``, whose
  ``AMD()`` reads the pbx's ``amd.conf``; the verdict is the route's
  ``SwitchboardAmd`` UserEvent. :func:`install_tuning` puts the rendered
  ``amd.conf`` in place first.
* ``route="app"``: straight into ``AMD(<the tuning as arguments>)``; the verdict
  is the ``VarSet`` of ``AMDSTATUS``/``AMDCAUSE``. Trying a tuning this way
  leaves the pbx's ``amd.conf`` (shared with every other call on the node) alone.

Decision time is answer -> verdict, both from the pbx's event timestamps.
A human is classified right when the verdict is not MACHINE (NOTSURE reaches an
agent, as the core treats it); a machine only when it is MACHINE.

Why a wrong MACHINE matters beyond the person hung up on: the compliance
profiles count it differently (``orchestrator.compliance``). Every MACHINE
verdict adds to the campaign's ``machines``; the UK profile adds
``machines x amd_false_positive_rate`` (a figure the admin enters, 0 by default)
to both abandons and live answers, the US profile ignores machines entirely. So
a person hung up on is counted only in the UK, and only as the entered estimate:
measuring the false-positive share here is what that estimate should come from.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from panoramisk.message import Message

from dialplans.render import AmdTuning, render_asterisk, write_atomically
from lab.ami_session import ami_session
from lab.campaign import Sandbox
from lab.sandbox import greetings as corpus
from lab.sandbox import process
from lab.sandbox.greetings import Greeting
from lab.sandbox.layout import nodes, paths
from lab.sandbox.render import dialplan
from lab.sandbox.world import Outcome, greeting_variable, trunk_dial, world_number

#: The world hangs up by itself after this long (a guard: we hang up as soon as the verdict is in).
TALK_S = 30
CALL_TIMEOUT_S = 40.0
VERDICT_USER_EVENT = "SwitchboardAmd"


@dataclass(frozen=True)
class Verdict:
    greeting: Greeting
    status: str  # HUMAN, MACHINE, NOTSURE; HANGUP or TIMEOUT when the detector gave none
    cause: str
    decision_ms: float | None  # answer -> verdict

    @property
    def error(self) -> bool:
        """No verdict: the call failed, was cut (a pbx restarted) or the world did not play the greeting."""
        return self.status not in ("HUMAN", "MACHINE", "NOTSURE")

    @property
    def right(self) -> bool:
        if self.greeting.outcome is Outcome.HUMAN:
            return self.status in ("HUMAN", "NOTSURE")
        return self.status == "MACHINE"


class Detector(Protocol):
    """One PBX's answering-machine detection, run on greetings played by the world."""

    name: str

    async def classify(self, greetings: Sequence[Greeting], parallel: int) -> list[Verdict]: ...


@dataclass
class _Calls:
    """Routes the pbx's events to the call (our ChannelId = its Uniqueid) that waits for them, and
    notes what the world played on each dialed number (its channel: Newexten in ``world-carrier``)."""

    queues: dict[str, asyncio.Queue[Message]] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)  # dialed (no "+") -> our uniqueid
    world_channels: dict[str, str] = field(default_factory=dict)  # world uniqueid -> dialed
    played: dict[str, list[str]] = field(default_factory=dict)  # dialed -> what the world played

    def open(self, uniqueid: str, number: str) -> asyncio.Queue[Message]:
        self.numbers[number.lstrip("+")] = uniqueid
        return self.queues.setdefault(uniqueid, asyncio.Queue())

    def close(self, uniqueid: str, number: str) -> None:
        self.queues.pop(uniqueid, None)
        self.numbers.pop(number.lstrip("+"), None)

    def deliver(self, message: Message) -> None:
        queue = self.queues.get(message.get("Uniqueid", ""))
        if queue is not None:
            queue.put_nowait(message)

    def world(self, message: Message) -> None:
        if message.get("Event") != "Newexten":
            return
        world_id = message.get("Uniqueid", "")
        if message.get("Context") == "world-carrier" and message.get("Exten") in self.numbers:
            self.world_channels[world_id] = message["Exten"]
        elif message.get("Application") == "Playback" and world_id in self.world_channels:
            self.played.setdefault(self.world_channels[world_id], []).append(message.get("AppData", ""))

    def world_played(self, number: str, name: str) -> bool:
        return any(data.endswith(f"/{name}") for data in self.played.get(number.lstrip("+"), ()))


def _timestamp(message: Message) -> float | None:
    try:
        return float(message["Timestamp"])
    except (KeyError, ValueError):
        return None


def _cause_fits(cause: str, tuning: AmdTuning) -> bool:
    """Whether an AMDCAUSE could come from ``tuning``: MAXWORDS-<n>-<max>, LONGGREETING-<n>-<greeting>
    and HUMAN-<n>-<after_greeting_silence> name the limit that was in force."""
    limits = {"MAXWORDS": tuning.maximum_number_of_words, "LONGGREETING": tuning.greeting,
              "HUMAN": tuning.after_greeting_silence, "INITIALSILENCE": tuning.initial_silence}
    kind, *numbers = cause.split("-")
    return kind not in limits or not numbers or numbers[-1] == str(limits[kind])


@dataclass
class AsteriskDetector:
    """``AMD()`` on the sandbox pbx (see the module docstring for the two routes)."""

    sandbox: Sandbox
    route: str = "dialplan"
    #: route="app": the arguments given to AMD(); route="dialplan": what the pbx's amd.conf should hold
    tuning: AmdTuning = field(default_factory=AmdTuning)
    name: str = "asterisk"

    async def classify(self, greetings: Sequence[Greeting], parallel: int = 3) -> list[Verdict]:
        if self.route not in ("dialplan", "app"):
            raise ValueError(f"route must be 'dialplan' or 'app', not {self.route!r}")
        calls = _Calls()
        slots = asyncio.Semaphore(parallel)
        async with ami_session(self.sandbox.pbx) as ami, ami_session(self.sandbox.world) as world:
            async def pump() -> None:
                while True:
                    calls.deliver(await ami.events.get())

            async def watch_world() -> None:
                while True:
                    calls.world(await world.events.get())

            pumps = [asyncio.create_task(pump()), asyncio.create_task(watch_world())]
            try:
                async def one(greeting: Greeting) -> Verdict:
                    async with slots:
                        return await self._call(ami, calls, greeting)

                return list(await asyncio.gather(*(one(g) for g in greetings)))
            finally:
                for task in pumps:
                    task.cancel()

    async def _call(self, ami, calls: _Calls, greeting: Greeting) -> Verdict:
        uniqueid = str(uuid.uuid4())
        # A number of its own (random area code and serial): other tests count the world's calls per number.
        number = world_number(greeting.outcome, TALK_S, serial=random.randrange(1000),
                              area_code=str(random.randrange(200, 1000)))
        action = {"Action": "Originate", "Channel": trunk_dial(number), "Async": "true",
                  "ChannelId": uniqueid, "Timeout": "20000", "Variable": [greeting_variable(greeting.name)]}
        if self.route == "dialplan":
            action.update({"Context": "sb-outbound", "Exten": "s", "Priority": "1"})
            action["Variable"] += [f"sb_attempt_id=amdlab-{uniqueid[:13]}", "sb_amd=yes",
                                   "sb_amd_action=hangup"]
        else:
            action.update({"Application": "AMD", "Data": self.tuning.arguments()})
        queue = calls.open(uniqueid, number)
        try:
            reply = await ami.action(action, as_list=False)
            if not reply.success:
                return Verdict(greeting, "FAILED", str(reply.get("Message", "")), None)
            verdict = await asyncio.wait_for(self._verdict(ami, queue, greeting), CALL_TIMEOUT_S)
        except TimeoutError:
            return Verdict(greeting, "TIMEOUT", "", None)
        finally:
            calls.close(uniqueid, number)
        if not calls.world_played(number, greeting.name):  # a world dialplan without the corpus
            return Verdict(greeting, "NOT-PLAYED", verdict.status, None)
        if not _cause_fits(verdict.cause, self.tuning):  # the pbx's amd.conf was another tuning
            return Verdict(greeting, "OTHER-TUNING", verdict.cause, None)
        return verdict

    async def _verdict(self, ami, queue: asyncio.Queue[Message], greeting: Greeting) -> Verdict:
        answered: float | None = None
        status = ""
        while True:
            message = await queue.get()
            event = message.get("Event")
            if event == "Newstate" and message.get("ChannelStateDesc") == "Up":
                answered = _timestamp(message)
            elif event == "Hangup":
                return Verdict(greeting, status or "HANGUP", f"cause {message.get('Cause')}", None)
            elif event == "VarSet" and message.get("Variable") == "AMDSTATUS":
                status = message.get("Value", "")
            elif self._is_verdict(message):
                cause = message.get("Cause") if event == "UserEvent" else message.get("Value", "")
                status = message.get("Status") if event == "UserEvent" else status
                at = _timestamp(message)
                took = (at - answered) * 1000 if at is not None and answered is not None else None
                if self.route == "dialplan":  # AMD() alone ends the call itself when it returns
                    await ami.action({"Action": "Hangup", "Channel": message["Channel"]})
                while message.get("Event") != "Hangup":  # the line is free again before the next call
                    message = await queue.get()
                return Verdict(greeting, status or "", cause or "", took)

    def _is_verdict(self, message: Message) -> bool:
        if self.route == "dialplan":
            return message.get("Event") == "UserEvent" and message.get("UserEvent") == VERDICT_USER_EVENT
        return message.get("Event") == "VarSet" and message.get("Variable") == "AMDCAUSE"


async def classify_retrying(detector: Detector, greetings: Sequence[Greeting], parallel: int,
                            rounds: int = 4, pause_s: float = 5.0,
                            before_round: Callable[[], object] | None = None) -> list[Verdict]:
    """``detector.classify`` again for the calls that got no verdict (on a shared sandbox a pbx
    restarted by someone else cuts calls, another run rewrites the world's dialplan or the pbx's
    amd.conf); ``before_round`` puts things back in place; whatever still has no verdict after
    ``rounds`` stays an error."""
    verdicts: dict[Greeting, Verdict] = {}
    pending = list(greetings)
    for attempt in range(rounds):
        if attempt:
            await asyncio.sleep(pause_s)
        if before_round is not None:
            before_round()
        try:
            got = await detector.classify(pending, parallel)
        except (OSError, TimeoutError, ConnectionError) as exc:  # AMI not reachable (pbx restarting)
            got = [Verdict(g, "FAILED", str(exc), None) for g in pending]
        verdicts.update({v.greeting: v for v in got})
        pending = [v.greeting for v in got if v.error]
        if not pending:
            break
    return [verdicts[g] for g in greetings]


def install_corpus(sandbox: Sandbox, greetings: Sequence[Greeting] | None = None) -> list[Greeting]:
    """The corpus in the world's sounds dir, and a world dialplan that plays it (reloaded if it was older)."""
    installed = corpus.install(sandbox.settings, greetings)
    world = nodes(sandbox.settings)["world"]
    shown = process.cli(world, "dialplan show human@world-outcome")
    if corpus.world_dir_in_root(sandbox.settings) not in shown:
        text = dialplan(world, sandbox.settings)
        if write_atomically(world.host_base / "etc", {"extensions.conf": text}):
            process.cli(world, "dialplan reload")
    return installed


def install_tuning(sandbox: Sandbox) -> bool:
    """The project's rendered ``amd.conf`` on the pbx (reloaded when it changed); True if it did."""
    amd = {"amd.conf": render_asterisk()["amd.conf"]}
    if write_atomically(paths(sandbox.settings).pbx_config_dir, amd):
        process.cli(nodes(sandbox.settings)["pbx"], "module reload app_amd.so")
        return True
    return False


def tuning_in_place(sandbox: Sandbox) -> bool:
    """Whether the pbx's ``amd.conf`` is still the rendered one (other runs on a shared sandbox may
    rewrite it)."""
    current = paths(sandbox.settings).pbx_config_dir / "amd.conf"
    return current.is_file() and current.read_text() == render_asterisk()["amd.conf"]
