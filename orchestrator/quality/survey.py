"""The post-call satisfaction survey: the customer stays on the line after their agent ends the call.

A campaign or an inbound route that asks one has a :class:`SurveyConfig`. When the agent's side of
a connected call ends (the agent ends it from the panel, or their phone hangs up) the unit that
handled the call hands its customer to :class:`Surveys` instead of hanging up: the customer's
channel is sent to the ``sb-survey`` route with the prompts as channel variables, where the PBX asks
"rate us 1 to 5" (and an optional second question) by DTMF and reports the digits back
(``DialplanSignal("survey")``: ``Score``, ``Second``). The call itself ends for the unit at that
moment (the talk time, the agent's wrap-up), so the survey never holds an agent.

What is recorded: the offer (so the survey rate is answered / offered) and the answers; a first
answer below ``low_below`` is a low score, which the store turns into a complaint ticket.

Two ways there, on both PBXes: the panel's End call (the customer is moved out of the bridge while
it is up), and the agent's phone hanging up mid-call, which is what most agents do. For the second
the PBX must not end the customer's call with the agent's, as it does by default: so a customer of a
call that asks a survey is bridged with :func:`bridge`, which first marks their channel
(``sb_after_bridge=wait``). When the agent's side of the bridge ends, the route keeps a marked
customer on the line, silent in ``sb-after-bridge`` (``orchestrator.dialer.routes``), and the unit
decides: its agent's leg is gone (``HungUp`` of the leg, not of the customer) and the call was
connected, so the customer goes to the survey; a customer who hung up themselves is not asked.
The customers in the survey live in the unit's memory: a runner restarted meanwhile keeps their
offer but not their answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestrator import safe
from orchestrator.commands import Bridge, Command, Redirect, SetVariables
from orchestrator.events import CallEvent, DialplanSignal, HungUp
from orchestrator.step import Fact, Outbox

#: The answers a question takes: one key of 1 to 5.
SCALE = range(1, 6)
#: The route that asks the survey (``orchestrator.dialer.routes`` says what it does), the
#: ``DialplanSignal`` it reports, and the channel variables it reads.
ROUTE = "sb-survey"
SIGNAL = "survey"
VAR_SOUND = "sb_survey_sound"  # the question, when the campaign or route names one
VAR_SECOND = "sb_survey_second"  # the second question's prompt; unset: no second question
#: An uploaded recording for the question (the second question): its file name, without extension, in
#: the node's prompts directory, where the route finds it (and plays it instead of the sound above).
VAR_PROMPT = "sb_survey_prompt"
VAR_SECOND_PROMPT = "sb_survey_second_prompt"
#: Set on a customer's channel as it is bridged to their agent (``WAIT``): kept on the line when the
#: agent's side of the bridge ends (``sb-after-bridge``) instead of being hung up with it.
VAR_AFTER_BRIDGE = "sb_after_bridge"
WAIT = "wait"


_PROMPT_NAME = re.compile(r"survey-[a-z]{1,20}-[0-9]{1,12}-[12]\Z")


def prompt_name(owner: str, owner_id: int, second: bool = False) -> str:
    """The file name (no extension) of an uploaded question's prompt on every node: ``owner`` is the
    kind of row that asks the survey ("campaign", "route"), ``second`` the second question's."""
    name = f"survey-{owner}-{int(owner_id)}-{2 if second else 1}"
    if not _PROMPT_NAME.match(name):
        raise ValueError(f"not a survey prompt name: {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class SurveyConfig:
    """``question``/``second``: sounds the PBX plays ("" for ``question``: the route's own prompt;
    "" for ``second``: no second question); ``prompt``/``second_prompt``: uploaded recordings
    (:func:`prompt_name`) played instead, a second prompt asking the second question too; a first
    answer below ``low_below`` opens a complaint."""

    question: str = ""
    second: str = ""
    low_below: int = 3
    prompt: str = ""
    second_prompt: str = ""

    def __post_init__(self) -> None:
        for sound, what in ((self.question, "survey question"), (self.second, "second survey question")):
            if sound:
                safe.check_sound(sound, what)
                safe.check_variable_value(sound)
        for name in (self.prompt, self.second_prompt):
            if name and not _PROMPT_NAME.match(name):
                raise safe.UnsafeValue(f"not a survey prompt name: {name!r}")
        if not 1 <= self.low_below <= 6:
            raise ValueError("the low-score threshold is 1 to 6 (1: never a complaint, 6: every answer)")

    def variables(self) -> dict[str, str]:
        """The channel variables the ``sb-survey`` route reads."""
        pairs = ((VAR_SOUND, self.question), (VAR_SECOND, self.second), (VAR_PROMPT, self.prompt),
                 (VAR_SECOND_PROMPT, self.second_prompt))
        return {name: value for name, value in pairs if value}


def bridge(config: SurveyConfig | None, customer: str, agent_leg: str) -> tuple[Command, ...]:
    """The commands that bridge ``customer`` to their agent's held-open leg: with a survey to ask,
    the customer is first marked to outlive the agent's side of the bridge, so their agent's phone
    hanging up sends them to the survey rather than ending their call (the unit decides, on the
    leg's ``HungUp``). One definition for the campaigns' and the queues' bridges."""
    if config is None:
        return (Bridge(customer, agent_leg),)
    return SetVariables(customer, {VAR_AFTER_BRIDGE: WAIT}), Bridge(customer, agent_leg)


@dataclass(frozen=True, slots=True)
class SurveyOffered(Fact):
    """The customer on ``channel_id`` was sent to the survey after the call ``call_ref`` (an outbound
    attempt id, or an inbound call's PBX call id) with ``agent_id``."""

    channel_id: str
    call_ref: str
    agent_id: int
    campaign_id: int | None = None
    queue_id: int | None = None


@dataclass(frozen=True, slots=True)
class SurveyAnswered(Fact):
    """The customer's keys: ``score`` 1-5, ``second`` 1-5 or None (not asked or not answered);
    ``low``: below the threshold, a complaint is opened."""

    channel_id: str
    call_ref: str
    agent_id: int
    score: int
    second: int | None
    low: bool


def answer(text: str) -> int | None:
    """A key pressed as the dialplan reports it, if it is on the scale (none, ``*`` or 9: no answer)."""
    text = text.strip()
    return int(text) if text.isdigit() and int(text) in SCALE else None


@dataclass(slots=True)
class _Open:
    call_ref: str
    agent_id: int
    config: SurveyConfig


@dataclass
class Surveys:
    """The customers of one unit (campaign or queue) in the survey, by channel."""

    open: dict[str, _Open] = field(default_factory=dict)

    def offer(self, channel_id: str, call_ref: str, agent_id: int, config: SurveyConfig, now: float,
              out: Outbox, *, campaign_id: int | None = None, queue_id: int | None = None) -> None:
        """Send the customer to the survey (their agent has left the call)."""
        variables = config.variables()
        if variables:
            out.send(SetVariables(channel_id, variables))
        out.send(Redirect(channel_id, ROUTE))
        self.open[channel_id] = _Open(call_ref, agent_id, config)
        out.record(SurveyOffered(now, channel_id, call_ref, agent_id, campaign_id, queue_id))

    def on_event(self, event: CallEvent, out: Outbox) -> bool:
        """Take ``event`` if it is about a customer in the survey (True: nobody else needs it)."""
        taken = self.open.get(event.channel_id)
        if taken is None:
            return False
        if isinstance(event, HungUp):
            del self.open[event.channel_id]
        elif isinstance(event, DialplanSignal) and event.name == SIGNAL:
            fields = dict(event.fields)
            score = answer(fields.get("Score", ""))
            if score is not None:
                del self.open[event.channel_id]
                out.record(SurveyAnswered(event.at, event.channel_id, taken.call_ref, taken.agent_id, score,
                                          answer(fields.get("Second", "")), score < taken.config.low_below))
        return True

    def forget(self, live: frozenset[str]) -> None:
        """After a reconnect: customers no longer on the node finished (or left) their survey unseen."""
        for channel_id in set(self.open) - live:
            del self.open[channel_id]
