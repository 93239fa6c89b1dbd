"""Pure pieces of the runner: campaign row -> core config, facts -> pacing observations, rate limit."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from datetime import time as clock

import pytest

import orchestrator
from orchestrator.dialer import facts as f
from orchestrator.dialer.config import DialMode
from orchestrator.dialer.pacing_feed import PacingFeed
from orchestrator.events import AgentState, AmdVerdict
from orchestrator.leads.outcomes import Outcome
from orchestrator.pacing.base import Abandoned, CallResult, Connected, DialOutcome, TalkEnded, WrapEnded
from orchestrator.step import Fact
from runner import commands_in, fact_writers
from runner.campaign_config import ALL_DAY, calling_hours, campaign_config
from runner.node import RateLimit
from store import models as m
from store.enums import CampaignMode, ComplianceProfile, DeskCommand, MachineAction


def test_calling_hours_keep_every_window_of_every_day():
    table = {"mon": [["10:00", "13:00"], ["14:00", "20:00"]], "tue": [["09:00", "19:00"]]}
    hours = calling_hours(table)
    assert hours.days[0] == ((clock(10), clock(13)), (clock(14), clock(20)))
    assert hours.days[1] == ((clock(9), clock(19)),)
    assert hours.weekdays == frozenset({0, 1})
    assert calling_hours({}) == ALL_DAY


def test_campaign_row_becomes_the_core_config():
    row = m.Campaign(id=7, name="c", mode=CampaignMode.PREDICTIVE, compliance_profile=ComplianceProfile.UK,
                     trunk="", caller_id="3312345", amd_enabled=True, amd_action=MachineAction.MESSAGE,
                     record_calls=True, machine_message_file="promo", abandon_message_file=None, wrap_up_s=4,
                     ring_timeout_s=18, abandon_cap=0.03, max_lines=20, amd_false_positive_rate=0.1,
                     max_attempts=3, abandon_no_recall_s=3600, calling_hours={}, retry_rules=[])
    config = campaign_config(row)
    assert config.mode is DialMode.PREDICTIVE
    assert config.trunk == "world"
    assert config.route_handles_machines
    assert (config.message_sound, config.abandon_sound, config.wrap_up_s) == ("promo", "", 4.0)
    assert config.lead_rules.max_attempts == 3
    assert config.compliance.value == "uk"


def test_the_campaigns_trunk_caps_its_lines_and_rewrites_its_caller_id():
    """Through a trunk of 4 channels that shows national numbers, a 20-line campaign holds 4 lines
    and presents +33... as 0...; a trunk with a fixed caller ID always shows that one."""
    row = m.Campaign(id=7, name="c", mode=CampaignMode.PROGRESSIVE, compliance_profile=ComplianceProfile.FR,
                     trunk="carrier", caller_id="+33142685300", amd_enabled=False,
                     amd_action=MachineAction.HANGUP, record_calls=True, wrap_up_s=4, ring_timeout_s=18,
                     abandon_cap=0.03, max_lines=20, amd_false_positive_rate=0, max_attempts=3,
                     abandon_no_recall_s=3600, calling_hours={}, retry_rules=[])
    row.trunk_row = m.Trunk(name="carrier", channel_limit=4, caller_id="", strip_prefix="+33", add_prefix="0")
    config = campaign_config(row)
    assert (config.trunk, config.max_lines, config.caller_id) == ("carrier", 4, "0142685300")
    assert config.trunk_limit == 4  # the node counts every channel on the trunk against it
    row.trunk_row = m.Trunk(name="carrier", channel_limit=0, caller_id="+442071234567", strip_prefix="",
                            add_prefix="")
    config = campaign_config(row)
    assert (config.max_lines, config.trunk_limit, config.caller_id) == (20, 0, "+442071234567")


class Policy:
    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[object] = []

    def lines_to_dial(self, state) -> int:
        return 0

    def observe(self, event: object) -> None:
        self.seen.append(event)


def test_facts_become_the_observations_a_learning_policy_needs():
    policy = Policy()
    feed = PacingFeed(policy, uses_amd=True)
    feed.feed([
        f.AttemptStarted(100.0, "a", 1, 1, "ch-a", "+12015100001"),
        f.AttemptStarted(100.0, "b", 1, 2, "ch-b", "+12015200002"),
        f.AttemptAnswered(103.0, "a"),
        f.AmdDecided(105.0, "a", AmdVerdict.HUMAN),
        f.AttemptBridged(105.0, "a", 9, "1/a.wav", 0.0),
        f.AgentStatus(105.0, 9, AgentState.ON_CALL),
        f.AttemptEnded(106.0, "b", Outcome.BUSY, 17),
        f.AttemptEnded(115.0, "a", Outcome.CONNECTED, 16, talk_s=10.0),
        f.AgentStatus(115.0, 9, AgentState.WRAP_UP),
        f.AttemptAbandoned(116.0, "c", 2.0, "no agent"),
        f.AgentStatus(120.0, 9, AgentState.READY),
    ])
    assert policy.seen == [
        DialOutcome(105.0, CallResult.LIVE, ring_s=3.0, setup_s=5.0),
        Connected(105.0, 0.0),
        DialOutcome(106.0, CallResult.FAILED, ring_s=6.0, setup_s=6.0),
        TalkEnded(115.0, 10.0),
        Abandoned(116.0),
        WrapEnded(120.0, 5.0),
    ]


def test_rate_limit_spaces_originates_after_the_burst():
    now = [0.0]
    limit = RateLimit(rate=50.0, burst=2.0, clock=lambda: now[0])
    for _ in range(7):
        while (delay := limit.wait_s()) > 0:  # a fake clock: sleeping moves it
            now[0] += delay
    assert abs(now[0] - 5 / 50.0) < 1e-9  # 2 at once, then 5 at 50/s


def test_a_row_with_a_huge_retry_delay_cannot_crash_the_runners_date_arithmetic():
    """Rows written before the form bounded durations (or by hand) are clamped by the core."""
    from orchestrator.leads.model import Lead
    from orchestrator.leads.rules import MAX_DELAY_S, after_attempt
    from runner.times import to_dt

    huge = 9_000_000_000_000
    row = m.Campaign(id=7, name="c", mode=CampaignMode.PROGRESSIVE, compliance_profile=ComplianceProfile.UK,
                     trunk="", caller_id="", amd_enabled=False, amd_action=MachineAction.HANGUP,
                     record_calls=False, machine_message_file=None, abandon_message_file=None,
                     wrap_up_s=huge, ring_timeout_s=huge, abandon_cap=0.5, abandon_window_s=10**15,
                     max_lines=5, amd_false_positive_rate=0, max_attempts=5, abandon_no_recall_s=60,
                     calling_hours={},
                     retry_rules=[m.RetryRule(outcome=Outcome.BUSY, delay_s=huge, max_attempts=3)])
    config = campaign_config(row)
    assert config.wrap_up_s == MAX_DELAY_S
    assert config.abandon_cap == 0.03
    assert config.ring_timeout_s == 300
    assert config.abandon_windows == (86400.0, 30 * 86400.0)
    assert config.lead_rules.abandon_no_recall_s == 72 * 3600  # the UK floor
    update = after_attempt(Lead(1, "+442071234567"), Outcome.BUSY, 1_800_000_000.0, config.lead_rules)
    assert to_dt(update.next_attempt_at).year == 2028  # 1.8e9 is January 2027, plus a year at most


def test_every_fact_kind_of_the_core_has_one_registered_writer():
    for module in pkgutil.walk_packages(orchestrator.__path__, "orchestrator."):
        importlib.import_module(module.name)  # every fact kind the core defines, wherever it lives
    kinds, todo = set(), [Fact]
    while todo:
        for kind in todo.pop().__subclasses__():
            todo.append(kind)
            # the class its module names: not a slots dataclass's first draft, nor a test's local one
            if getattr(sys.modules[kind.__module__], kind.__qualname__, None) is kind:
                kinds.add(kind)
    assert f.AttemptStarted in kinds
    assert kinds <= fact_writers.registered()


def test_a_fact_without_a_writer_is_refused_and_a_second_writer_too():
    class Unheard(f.Fact):
        pass

    with pytest.raises(fact_writers.NoWriter, match="Unheard"):
        fact_writers.writer_for(Unheard)
    with pytest.raises(ValueError, match="two writers for AttemptEnded"):
        fact_writers.writes(f.AttemptEnded)(lambda to, s, fact: None)


def test_every_desk_command_the_web_sends_has_one_runner_handler():
    assert commands_in.handled() == set(DeskCommand)
    with pytest.raises(ValueError, match="two handlers for disposition"):
        commands_in.handles(DeskCommand.DISPOSITION)(lambda desk: None)
