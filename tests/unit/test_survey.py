"""The post-call survey in the core: who goes to it, what is recorded, what a low score is."""

from __future__ import annotations

import pytest
from dialer_harness import T0, Harness, customer_originates, ny_leads, of_type

from orchestrator.commands import Bridge, Endpoint, EndpointKind, Hangup, Redirect, SetVariables
from orchestrator.dialer.facts import AttemptEnded
from orchestrator.dialer.inputs import AgentLogin, EndCall
from orchestrator.events import AgentState, Answered, CallArrived, DialplanSignal, HungUp
from orchestrator.inbound.queue import CallerEnded, InboundQueue, QueueConfig
from orchestrator.leads.outcomes import Outcome
from orchestrator.quality import survey
from orchestrator.quality.survey import SurveyAnswered, SurveyConfig, SurveyOffered
from orchestrator.safe import UnsafeValue

HOTLINE = "14005550400"


def _signal(at: float, channel: str, score: str, second: str = "") -> DialplanSignal:
    return DialplanSignal(at, channel, name=survey.SIGNAL, fields=(("Score", score), ("Second", second)))


def _connected(h: Harness) -> tuple[str, str, str]:
    """Agent 1 on a connected call of campaign 7: (their leg, the customer's channel, the attempt)."""
    leg = h.login(1)
    (line,) = customer_originates(h.tick(T0 + 1).commands)
    h.feed(Answered(T0 + 3, line.channel_id, line.attempt_id))
    assert Bridge(line.channel_id, leg) in h.commands
    return leg, line.channel_id, line.attempt_id


def test_a_campaign_customer_goes_to_the_survey_when_the_agent_ends_the_call_and_a_low_score_is_flagged():
    h = Harness(leads=ny_leads(2), amd=False, record_calls=False, wrap_up_s=60,
                survey=SurveyConfig(question="custom/rate-us", low_below=3))
    _leg, channel, attempt = _connected(h)
    step = h.feed(EndCall(T0 + 20, 1))
    assert step.commands == (SetVariables(channel, {survey.VAR_SOUND: "custom/rate-us"}),
                             Redirect(channel, survey.ROUTE))
    # The call ends for the campaign now: its talk time, the agent's wrap-up; the survey holds nobody.
    assert AttemptEnded(T0 + 20, attempt, Outcome.CONNECTED, 16, 17.0) in step.facts
    assert SurveyOffered(T0 + 20, channel, attempt, 1, campaign_id=7) in step.facts
    assert h.host.pool.get(1).state is AgentState.WRAP_UP
    step = h.feed(_signal(T0 + 26, channel, "2"))
    assert step.facts == (SurveyAnswered(T0 + 26, channel, attempt, 1, 2, None, True),)
    step = h.feed(HungUp(T0 + 28, channel, attempt))
    assert not of_type(step.facts, AttemptEnded)  # ended once, when the agent ended it


def test_without_a_survey_the_agent_ending_the_call_hangs_the_customer_up():
    h = Harness(leads=ny_leads(2), amd=False, record_calls=False)
    _leg, channel, _attempt = _connected(h)
    assert h.feed(EndCall(T0 + 20, 1)).commands == (Hangup(channel),)


def test_the_agent_phone_hanging_up_sends_the_customer_to_the_survey_too():
    h = Harness(leads=ny_leads(2), amd=False, record_calls=False, survey=SurveyConfig())
    leg, channel, _attempt = _connected(h)
    step = h.feed(HungUp(T0 + 20, leg))
    assert Redirect(channel, survey.ROUTE) in step.commands
    assert not of_type(step.commands, SetVariables)  # the route's own prompt: nothing to set
    assert of_type(step.facts, SurveyOffered)


def test_no_key_or_one_off_the_scale_is_no_answer_and_the_second_question_is_kept():
    h = Harness(leads=ny_leads(2), amd=False, record_calls=False, survey=SurveyConfig(second="custom/again"))
    _leg, channel, attempt = _connected(h)
    h.feed(EndCall(T0 + 20, 1))
    assert not h.feed(_signal(T0 + 30, channel, "")).facts  # they pressed nothing
    assert not h.feed(_signal(T0 + 31, channel, "9")).facts
    step = h.feed(_signal(T0 + 32, channel, "4", "5"))
    assert step.facts == (SurveyAnswered(T0 + 32, channel, attempt, 1, 4, 5, False),)


def _queue(survey_config: SurveyConfig | None) -> tuple[Harness, InboundQueue, str, str]:
    h = Harness(leads=[], amd=False, record_calls=False)
    queue = InboundQueue(QueueConfig(1, frozenset({HOTLINE}), hotline=frozenset({10}), survey=survey_config),
                         h.host.pool, ids=iter([f"q{i}" for i in range(100)]).__next__)
    h.host.add(queue)
    step = h.feed(AgentLogin(T0, None, 10, Endpoint(EndpointKind.SEAT, "seat10"), queues=(1,)))
    (leg,) = [c.channel_id for c in step.commands if hasattr(c, "endpoint")]
    h.feed(Answered(T0, leg))
    h.feed(CallArrived(T0 + 1, "in1", call_id="in1", caller_number="2125550100", dialed_number=HOTLINE))
    assert Bridge("in1", leg) in h.commands
    return h, queue, leg, "in1"


def test_an_inbound_caller_goes_to_the_survey_when_the_agent_ends_the_call():
    h, queue, _leg, channel = _queue(SurveyConfig(low_below=2))
    step = h.feed(EndCall(T0 + 11, 10))
    assert Redirect(channel, survey.ROUTE) in step.commands
    assert CallerEnded(T0 + 11, 1, channel, 10, 10.0) in step.facts
    assert SurveyOffered(T0 + 11, channel, channel, 10, queue_id=1) in step.facts
    assert h.host.pool.get(10).state is AgentState.WRAP_UP
    step = h.feed(_signal(T0 + 15, channel, "2"))
    assert step.facts == (SurveyAnswered(T0 + 15, channel, channel, 10, 2, None, False),)  # 2 is not below 2
    assert not h.feed(HungUp(T0 + 17, channel)).facts
    assert not queue.surveys.open


def test_an_inbound_caller_is_hung_up_without_a_survey():
    h, _queue_unit, _leg, channel = _queue(None)
    assert Hangup(channel) in h.feed(EndCall(T0 + 11, 10)).commands


@pytest.mark.parametrize("bad", [{"question": "a b"}, {"second": "x;y"}, {"question": "../etc/x"},
                                 {"low_below": 0}, {"low_below": 7}, {"prompt": "../../etc/passwd"},
                                 {"prompt": "survey-campaign-1-3"}, {"second_prompt": "menu-1"}])
def test_a_survey_that_could_not_run_is_refused(bad):
    with pytest.raises((UnsafeValue, ValueError)):
        SurveyConfig(**bad)


def test_set_variables_refuses_an_injection():
    with pytest.raises(UnsafeValue):
        SetVariables("ch-1", {"sb_survey_sound": "x\r\nAction: Originate"})


def test_a_customer_of_a_campaign_with_a_survey_is_marked_to_outlive_the_agent_as_they_are_bridged():
    """The PBX would end the customer's call with their agent's phone: the mark comes before the bridge."""
    h = Harness(leads=ny_leads(2), amd=False, record_calls=False, survey=SurveyConfig())
    leg, channel, _attempt = _connected(h)
    marked = h.commands.index(SetVariables(channel, {survey.VAR_AFTER_BRIDGE: survey.WAIT}))
    assert marked == h.commands.index(Bridge(channel, leg)) - 1


def test_without_a_survey_nobody_is_marked():
    h = Harness(leads=ny_leads(2), amd=False, record_calls=False)
    _connected(h)
    assert not of_type(h.commands, SetVariables)


def test_a_customer_who_hangs_up_themselves_is_not_asked_and_their_agent_is_not_lost():
    h = Harness(leads=ny_leads(2), amd=False, record_calls=False, survey=SurveyConfig())
    _leg, channel, attempt = _connected(h)
    step = h.feed(HungUp(T0 + 20, channel, attempt))
    assert not of_type(step.facts, SurveyOffered)
    assert not of_type(step.commands, Redirect)
    assert h.host.pool.get(1).state is AgentState.WRAP_UP


def test_the_agent_phone_hanging_up_ends_the_call_once_and_the_agent_is_gone():
    """Which side ended: the leg's hang-up is the agent's; the customer's call ends with its talk time
    (connected), the customer is asked, and the agent is logged out (their phone is gone)."""
    h = Harness(leads=ny_leads(2), amd=False, record_calls=False, survey=SurveyConfig())
    leg, channel, attempt = _connected(h)
    step = h.feed(HungUp(T0 + 20, leg))
    assert of_type(step.facts, AttemptEnded) == [AttemptEnded(T0 + 20, attempt, Outcome.CONNECTED, 16, 17.0)]
    assert SurveyOffered(T0 + 20, channel, attempt, 1, campaign_id=7) in step.facts
    assert h.host.pool.get(1).state is not AgentState.ON_CALL
    answered = SurveyAnswered(T0 + 25, channel, attempt, 1, 5, None, False)
    assert h.feed(_signal(T0 + 25, channel, "5")).facts == (answered,)


def test_an_inbound_caller_is_marked_and_goes_to_the_survey_when_the_agent_phone_hangs_up():
    h, queue, leg, channel = _queue(SurveyConfig())
    assert SetVariables(channel, {survey.VAR_AFTER_BRIDGE: survey.WAIT}) in h.commands
    step = h.feed(HungUp(T0 + 11, leg))
    assert Redirect(channel, survey.ROUTE) in step.commands
    assert CallerEnded(T0 + 11, 1, channel, 10, 10.0) in step.facts
    assert SurveyOffered(T0 + 11, channel, channel, 10, queue_id=1) in step.facts
    assert channel in queue.surveys.open


def test_uploaded_prompts_are_named_by_the_row_and_passed_on_the_call():
    config = SurveyConfig(prompt=survey.prompt_name("campaign", 12),
                          second_prompt=survey.prompt_name("route", 3, second=True))
    assert config.variables() == {survey.VAR_PROMPT: "survey-campaign-12-1",
                                  survey.VAR_SECOND_PROMPT: "survey-route-3-2"}
