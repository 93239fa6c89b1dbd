"""Answering-machine detection on the live sandbox: play corpus greetings, collect each PBX's verdict.

Shared by the AMD benchmark (``bench.amd``) and its live tests. One *detector*
per PBX kind classifies greetings the way production calls are classified
there: :class:`AsteriskDetector` and :class:`FreeSwitchDetector`, both with the
:class:`Detector` shape (a name and ``classify``), both dialing the same world,
which plays the corpus greeting the ``X-Greeting`` header names.

On Asterisk the pbx originates to the world (``PJSIP/<number>@world``) and runs
``AMD()``, in one of two ways:

* ``route="dialplan"`` (what production does): into ``sb-outbound``, whose
  ``AMD()`` reads the pbx's ``amd.conf``; the verdict is the route's
  ``SwitchboardAmd`` UserEvent. :func:`install_tuning` puts the rendered
  ``amd.conf`` in place first.
* ``route="app"``: straight into ``AMD(<the tuning as arguments>)``; the verdict
  is the ``VarSet`` of ``AMDSTATUS``/``AMDCAUSE``. Trying a tuning this way
  leaves the pbx's ``amd.conf`` (shared with every other call on the node) alone.

On FreeSWITCH the node originates to the world through its ``world`` gateway
exactly as the ESL runner does (:func:`freeswitch_call`: the project's renderer
for the originate, its ``sb-outbound`` route running ``detect_audio`` /
``detect_silence`` and avmd, the project's translator for the events, the core's
cadence classifier ``orchestrator.amd`` for the decision). It talks ESL over a
plain blocking socket (no gevent, no runner, no database), one connection per
call in a worker thread.

Decision time is answer -> verdict, both from the PBX's own event timestamps.
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
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from panoramisk.message import Message

from ami.session import ami_session
from dialplans.render import AmdTuning, DialplanParams, render_asterisk, write_atomically
from esl.framing import EslEvent, Framer, parse_event
from esl.render import DialConfig, render
from esl.translate import AMD_SIGNAL, SIGNAL_PREFIX, Translator
from lab.campaign import Sandbox
from lab.sandbox import fsbuild, fsnode, fsrender, process
from lab.sandbox import greetings as corpus
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.greetings import Greeting
from lab.sandbox.layout import nodes, paths
from lab.sandbox.render import dialplan
from lab.sandbox.world import (
    GREETING_HEADER,
    Outcome,
    greeting_name,
    greeting_variable,
    trunk_dial,
    world_number,
)
from orchestrator import commands as c
from orchestrator import events as e
from orchestrator.amd import Cadence, CadenceParams
from orchestrator.dialer import routes
from settings import Settings

#: The world hangs up by itself after this long (a guard: we hang up as soon as the verdict is in).
TALK_S = 30
CALL_TIMEOUT_S = 40.0
VERDICT_USER_EVENT = "SwitchboardAmd"
FS_ANSWER_TIMEOUT_S = 20
_FS_EVENTS = ("event plain CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB "
              f"CUSTOM avmd::beep {SIGNAL_PREFIX}{AMD_SIGNAL}")


@dataclass(frozen=True)
class Verdict:
    greeting: Greeting
    status: str  # HUMAN, MACHINE, NOTSURE; HANGUP or TIMEOUT when the detector gave none
    cause: str
    decision_ms: float | None  # answer -> verdict
    #: the world's greeting end -> verdict: how long a person who stopped talking waits in silence
    #: (None when the verdict came first: a greeting cut short by a MACHINE verdict, a machine)
    after_greeting_ms: float | None = None

    @property
    def error(self) -> bool:
        """No verdict: the call failed, was cut (a pbx restarted), the world did not play the greeting or
        its audio never reached the node."""
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
    greeting_end: dict[str, float] = field(default_factory=dict)  # dialed -> WorldGreetingEnd's timestamp

    def open(self, uniqueid: str, number: str) -> asyncio.Queue[Message]:
        self.numbers[number.lstrip("+")] = uniqueid
        return self.queues.setdefault(uniqueid, asyncio.Queue())

    def close(self, uniqueid: str, number: str) -> None:
        """Forget the call (a long run's world events are not kept for calls long over)."""
        self.queues.pop(uniqueid, None)
        self.numbers.pop(number.lstrip("+"), None)
        self.played.pop(number.lstrip("+"), None)
        self.greeting_end.pop(number.lstrip("+"), None)

    def deliver(self, message: Message) -> None:
        queue = self.queues.get(message.get("Uniqueid", ""))
        if queue is not None:
            queue.put_nowait(message)

    def world(self, message: Message) -> None:
        if message.get("Event") == "UserEvent" and message.get("UserEvent") == "WorldGreetingEnd":
            at = _timestamp(message)
            if message.get("Number") in self.numbers and at is not None:
                self.greeting_end[message["Number"]] = at
            return
        if message.get("Event") != "Newexten":
            return
        world_id = message.get("Uniqueid", "")
        if message.get("Context") == "world-carrier" and message.get("Exten") in self.numbers:
            self.world_channels[world_id] = message["Exten"]
        elif message.get("Application") == "Playback" and world_id in self.world_channels:
            self.played.setdefault(self.world_channels[world_id], []).append(message.get("AppData", ""))

    def world_played(self, number: str, name: str) -> bool:
        return any(data.endswith(f"/{name}") for data in self.played.get(number.lstrip("+"), ()))

    def ended_before(self, number: str, at: float | None) -> bool:
        """The world's greeting on ``number`` had ended by ``at``."""
        end = self.greeting_end.get(number.lstrip("+"))
        return end is not None and at is not None and end <= at

    def after_greeting(self, verdict: Verdict, number: str, decided_at: float | None) -> Verdict:
        """``verdict`` with its time after the world's greeting end (when the greeting had ended)."""
        end = self.greeting_end.get(number.lstrip("+"))
        if end is None or decided_at is None or decided_at < end:
            return verdict
        return replace(verdict, after_greeting_ms=(decided_at - end) * 1000)


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


def _number(greeting: Greeting) -> str:
    """A number of its own (random area code and serial): other tests count the world's calls per number."""
    return world_number(greeting.outcome, TALK_S, serial=random.randrange(1000),
                        area_code=str(random.randrange(200, 1000)))


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
        number = _number(greeting)
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
            verdict, decided_at = await asyncio.wait_for(self._verdict(ami, queue, greeting), CALL_TIMEOUT_S)
            if not calls.world_played(number, greeting.name):  # a world dialplan without the corpus
                return Verdict(greeting, "NOT-PLAYED", verdict.status, None)
            if not _cause_fits(verdict.cause, self.tuning):  # the pbx's amd.conf was another tuning
                return Verdict(greeting, "OTHER-TUNING", verdict.cause, None)
            return calls.after_greeting(verdict, number, decided_at)
        except TimeoutError:
            return Verdict(greeting, "TIMEOUT", "", None)
        finally:
            calls.close(uniqueid, number)

    async def _verdict(self, ami, queue: asyncio.Queue[Message],
                       greeting: Greeting) -> tuple[Verdict, float | None]:
        """The verdict and when it came (the pbx's clock)."""
        answered: float | None = None
        status = ""
        while True:
            message = await queue.get()
            event = message.get("Event")
            if event == "Newstate" and message.get("ChannelStateDesc") == "Up":
                answered = _timestamp(message)
            elif event == "Hangup":
                return Verdict(greeting, status or "HANGUP", f"cause {message.get('Cause')}", None), None
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
                return Verdict(greeting, status or "", cause or "", took), at

    def _is_verdict(self, message: Message) -> bool:
        if self.route == "dialplan":
            return message.get("Event") == "UserEvent" and message.get("UserEvent") == VERDICT_USER_EVENT
        return message.get("Event") == "VarSet" and message.get("Variable") == "AMDCAUSE"


@dataclass
class FsCall:
    """One call from the FreeSWITCH node and what its detection said."""

    number: str
    greeting: str
    verdict: str = "NONE"  # HUMAN / MACHINE / NOTSURE, NONE when nothing was decided (no answer...)
    cause: str = ""
    decision_ms: int | None = None  # after the answer, FreeSWITCH's clock
    decided_at: float | None = None  # the verdict's event time (FreeSWITCH's clock, epoch seconds)
    beep_ms: int | None = None  # avmd's beep, if one came before we hung up
    cues: list[tuple[str, int]] = field(default_factory=list)  # (cue, ms after answer)
    hangup: str = ""


class _Esl:
    """Just enough ESL: auth, commands with replies in order, events kept for the caller."""

    def __init__(self, port: int, password: str, timeout: float) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.framer, self.replies, self.events = Framer(), [], []
        if self._reply().content_type != "auth/request":
            raise ConnectionError("no auth/request from FreeSWITCH")
        if not self.send(f"auth {password}").get("Reply-Text").startswith("+OK"):
            raise PermissionError("ESL password refused")

    def _pump(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("FreeSWITCH closed the connection")
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


def freeswitch_call(settings: Settings, number: str, greeting: str = "", *, listen_s: float = 0.0,
                    params: CadenceParams | None = None, timeout_s: float = 15.0) -> FsCall:
    """Dial ``number`` from the FreeSWITCH node (asking the world for corpus ``greeting`` if given) and
    classify the answer as the runner would.

    ``listen_s``: after the verdict, keep listening this long for avmd's beep (a HUMAN verdict
    followed by a beep is a machine the runner would then handle late). ``timeout_s`` bounds the
    analysis after the answer. ``params``: the classifier's (the route's detectors are the node's).
    """
    result = FsCall(number, greeting)
    channel, job = str(uuid.uuid4()), str(uuid.uuid4())
    originate = c.Originate(attempt_id=str(uuid.uuid4()), channel_id=channel, route="sb-outbound",
                            timeout_s=FS_ANSWER_TIMEOUT_S,
                            endpoint=c.Endpoint(c.EndpointKind.TRUNK, fsnode.GATEWAY, number),
                            variables={routes.VAR_AMD: "yes"})
    text = render(originate, DialConfig(), job_uuid=job).text
    if greeting:  # a SIP header for the world; the core's variable names do not allow '-'
        text = text.replace("{", f"{{sip_h_{GREETING_HEADER}={greeting_name(greeting)},", 1)
    translator = Translator()
    translator.state.expect(originate, job)
    esl = _Esl(settings.esl_port, freeswitch_secrets(settings).esl_password, 10.0)
    try:
        esl.send(_FS_EVENTS)
        esl.send(f"filter Unique-ID {channel}")
        esl.send(f"filter Job-UUID {job}")
        esl.send(text)
        _follow(esl, translator, channel, result, params or CadenceParams(), timeout_s, listen_s)
    finally:
        esl.send(f"api uuid_kill {channel}")
        _drain_hangup(esl, channel)
        esl.close()
    return result


def _follow(esl: _Esl, translator: Translator, channel: str, result: FsCall, params: CadenceParams,
            timeout_s: float, listen_s: float) -> None:
    deadline = time.monotonic() + FS_ANSWER_TIMEOUT_S + 5
    cadence: Cadence | None = None
    while (ev := esl.next_event(deadline)) is not None:
        for out in translator.translate(ev, time.time()):
            if not isinstance(out, e.CallEvent) or out.channel_id != channel:
                continue
            if isinstance(out, e.Answered):
                cadence = Cadence(out.at, params)  # sb-outbound runs the detection (sb_amd=yes)
                deadline = time.monotonic() + timeout_s
            elif isinstance(out, e.VoiceDetected) and cadence is not None:
                result.cues.append((out.cue.value, _ms(out.at - cadence.answered_at)))
                decision = cadence.feed(out)
                if decision is not None:
                    result.verdict, result.cause = decision.verdict.value, decision.cause
                    result.decision_ms = _ms(out.at - cadence.answered_at)
                    result.decided_at = out.at
                    deadline = min(deadline, time.monotonic() + listen_s)
            elif isinstance(out, e.AmdResult) and cadence is not None and result.beep_ms is None:
                result.beep_ms = _ms(out.at - cadence.answered_at)
                if result.decision_ms is None:
                    result.verdict, result.cause = out.verdict.value, out.cause
                    result.decision_ms, result.decided_at = result.beep_ms, out.at
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


def _cadence(tuning: AmdTuning) -> CadenceParams:
    """The classifier's parameters for an ``amd.conf`` tuning (the route's detectors take the rest)."""
    return CadenceParams(initial_silence_ms=tuning.initial_silence, greeting_ms=tuning.greeting,
                         after_greeting_silence_ms=tuning.after_greeting_silence,
                         total_analysis_ms=tuning.total_analysis_time, min_word_ms=tuning.min_word_length)


@dataclass
class FreeSwitchDetector:
    """``sb-outbound`` on the sandbox's FreeSWITCH node, decided by the core's cadence classifier.

    ``tuning``: what the node's route should hold (:func:`install_freeswitch_tuning` puts it there)
    and the classifier's parameters. Calls run in worker threads, ``parallel`` at a time; the
    world's AMI tells whether it played the greeting.
    """

    sandbox: Sandbox
    tuning: AmdTuning = field(default_factory=AmdTuning)
    name: str = "freeswitch"

    async def classify(self, greetings: Sequence[Greeting], parallel: int = 3) -> list[Verdict]:
        calls = _Calls()
        slots = asyncio.Semaphore(parallel)
        async with ami_session(self.sandbox.world) as world:
            async def watch_world() -> None:
                while True:
                    calls.world(await world.events.get())

            pump = asyncio.create_task(watch_world())
            try:
                async def one(greeting: Greeting) -> Verdict:
                    async with slots:
                        return await self._call(calls, greeting)

                return list(await asyncio.gather(*(one(g) for g in greetings)))
            finally:
                pump.cancel()

    async def _call(self, calls: _Calls, greeting: Greeting) -> Verdict:
        number = _number(greeting)
        calls.open(number, number)
        try:
            done = await asyncio.to_thread(freeswitch_call, self.sandbox.settings, number, greeting.name,
                                           params=_cadence(self.tuning))
            if done.verdict == "NONE":
                return Verdict(greeting, "HANGUP" if done.hangup else "TIMEOUT", done.hangup, None)
            if not calls.world_played(number, greeting.name):  # a world dialplan without the corpus
                return Verdict(greeting, "NOT-PLAYED", done.verdict, None)
            if done.cause.startswith("INITIALSILENCE") and calls.ended_before(number, done.decided_at):
                # The world's whole greeting was over before the route heard any audio: its media never
                # reached the node (seen twice on a loaded sandbox). No verdict: the call is tried again,
                # so a detector that really misses the greeting still fails every round.
                return Verdict(greeting, "NO-MEDIA", done.cause, None)
            verdict = Verdict(greeting, done.verdict, done.cause, done.decision_ms)
            return calls.after_greeting(verdict, number, done.decided_at)
        finally:
            calls.close(number, number)


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


def install_freeswitch_tuning(sandbox: Sandbox, tuning: AmdTuning | None = None) -> bool:
    """``sb-outbound`` with ``tuning``'s detectors (default: the project's) in the node's ``freeswitch.xml``,
    reloaded when it changed; True if it did. The node serves these routes whenever the web app
    (mod_xml_curl) does not answer for them, as in the sandbox when no web app runs."""
    settings = sandbox.settings
    fs = fsnode.node(settings, fsbuild.prefix_dir(settings.sandbox_cache.resolve()))
    text = fsrender.render(fs, settings, DialplanParams(amd=tuning or AmdTuning()))
    if write_atomically(fs.dir("conf"), {"freeswitch.xml": text}):
        (fs.dir("conf") / "freeswitch.xml").chmod(0o600)  # it holds the node's secrets
        fsnode.esl_api(settings, "reloadxml")
        return True
    return False


def tuning_in_place(sandbox: Sandbox) -> bool:
    """Whether the pbx's ``amd.conf`` is still the rendered one (other runs on a shared sandbox may
    rewrite it)."""
    current = paths(sandbox.settings).pbx_config_dir / "amd.conf"
    return current.is_file() and current.read_text() == render_asterisk()["amd.conf"]
