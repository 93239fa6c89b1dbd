"""Claiming leads: which leads, in what order, and giving back the claims of a dead runner."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from store import dnc, migrate
from store.db import make_engine, session_factory
from store.enums import CampaignMode, ComplianceProfile, LeadStatus, Outcome, PbxKind, UserRole
from store.leads import (
    LOST_CALL_AFTER,
    PREVIEW_CLAIM_TTL,
    PREVIEW_CLAIMER,
    RUNNER_CLAIM_TTL,
    claim_leads,
    claim_statement,
    dial_history,
    open_attempts,
    outcome_counts,
    release_claims,
    release_stale_claims,
    sweep_stale_claims,
)
from store.models import Agent, Attempt, Campaign, DncEntry, Lead, LeadList, PbxNode, Team, User
from tests.db.builders import campaign_with_leads

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@dataclass
class World:
    campaign: int
    other_campaign: int
    active_list: int
    inactive_list: int
    other_list: int
    agent: int
    other_agent: int
    node: int


@pytest.fixture
def world(sessions) -> World:
    with sessions.begin() as s:
        campaigns = [
            Campaign(name=name, mode=CampaignMode.PREDICTIVE, compliance_profile=ComplianceProfile.US)
            for name in ("A", "B")
        ]
        lists = [
            LeadList(name="A-active", campaign=campaigns[0]),
            LeadList(name="A-paused", campaign=campaigns[0], active=False),
            LeadList(name="B", campaign=campaigns[1]),
        ]
        agents = [Agent(user=User(username=n, password_hash="x", role=UserRole.AGENT)) for n in ("al", "bo")]
        node = PbxNode(name="pbx1", kind=PbxKind.ASTERISK, host="127.0.0.2", port=5038)
        s.add_all([*campaigns, *lists, *agents, node])
        s.flush()
        return World(*(c.id for c in campaigns), *(x.id for x in lists), *(a.id for a in agents), node.id)


def _add(sessions, list_id: int, **leads: dict) -> dict[str, int]:
    """Add leads named by keyword (the name is also their phone suffix); return name -> id."""
    with sessions.begin() as s:
        rows = {
            name: Lead(list_id=list_id, phone=f"+1202555{i:04d}", **{"next_call_at": NOW - H, **kw})
            for i, (name, kw) in enumerate(leads.items())
        }
        s.add_all(rows.values())
        s.flush()
        return {name: lead.id for name, lead in rows.items()}


def _claim(sessions, campaign: int, limit: int = 100, now: datetime = NOW, **kw) -> list[int]:
    with sessions.begin() as s:
        return [lead.id for lead in claim_leads(s, campaign, limit, now, **kw)]


def _status(sessions, lead_id: int) -> LeadStatus:
    with sessions() as s:
        return s.get(Lead, lead_id).status


def test_claims_only_due_dialable_leads_of_the_campaign_best_first(sessions, world):
    ids = _add(
        sessions,
        world.active_list,
        old_new={"next_call_at": NOW - 3 * H},
        urgent={"priority": 1},
        retry={"status": LeadStatus.PENDING, "next_call_at": NOW - 10 * M},
        callback_any_agent={"status": LeadStatus.CALLBACK, "next_call_at": NOW - 5 * M},
        quiet_period_over={"next_call_at": NOW - 2 * H, "no_recall_until": NOW - M},
        due_exactly_now={"status": LeadStatus.PENDING, "next_call_at": NOW},
        later={"status": LeadStatus.PENDING, "next_call_at": NOW + M},
        in_quiet_period={"no_recall_until": NOW + H},
        promised_to_al={"status": LeadStatus.CALLBACK, "callback_agent_id": world.agent},
        done={"status": LeadStatus.DONE},
        dnc={"status": LeadStatus.DNC},
        invalid={"status": LeadStatus.INVALID},
        in_flight={"status": LeadStatus.DIALING},
    )
    excluded = {
        **_add(sessions, world.inactive_list, paused_list={}),
        **_add(sessions, world.other_list, other_campaign={}),
    }

    claimed = _claim(sessions, world.campaign, claimed_by="runner-a")

    expected = ["urgent", "old_new", "quiet_period_over", "retry", "callback_any_agent", "due_exactly_now"]
    assert claimed == [ids[name] for name in expected]
    with sessions() as s:
        for lead in s.scalars(select(Lead).where(Lead.id.in_(claimed))):
            assert (lead.status, lead.claimed_by, lead.claimed_at) == (LeadStatus.DIALING, "runner-a", NOW)
        assert s.get(Lead, ids["later"]).status is LeadStatus.PENDING
        assert all(s.get(Lead, i).status is LeadStatus.NEW for i in excluded.values())
    assert _claim(sessions, world.campaign) == []  # nothing else is due
    assert _claim(sessions, world.campaign, now=NOW + M) == [ids["later"]]


def test_successive_claims_partition_the_due_leads(sessions, world):
    ids = _add(sessions, world.active_list, **{f"l{i}": {"next_call_at": NOW - i * M} for i in range(25)})
    batches = [_claim(sessions, world.campaign, limit=10) for _ in range(4)]
    assert [len(b) for b in batches] == [10, 10, 5, 0]
    assert sorted(i for batch in batches for i in batch) == sorted(ids.values())
    assert _claim(sessions, world.campaign, limit=0) == []


def test_callbacks_promised_to_an_agent_are_claimed_only_for_that_agent(sessions, world):
    ids = _add(
        sessions,
        world.active_list,
        al_due={"status": LeadStatus.CALLBACK, "callback_agent_id": world.agent},
        al_later={"status": LeadStatus.CALLBACK, "callback_agent_id": world.agent, "next_call_at": NOW + H},
        bo_due={"status": LeadStatus.CALLBACK, "callback_agent_id": world.other_agent},
        pool={},
    )
    assert _claim(sessions, world.campaign, agent_id=world.agent) == [ids["al_due"]]
    assert _claim(sessions, world.campaign, agent_id=world.agent) == []
    assert _claim(sessions, world.campaign) == [ids["pool"]]
    assert _claim(sessions, world.campaign, agent_id=world.other_agent) == [ids["bo_due"]]


def test_a_restarted_runner_gets_back_its_undialed_claims_and_keeps_its_calls(sessions, world):
    ids = _add(sessions, world.active_list, a1={}, a2={"attempts": 2}, a3={}, b1={}, b2={})
    a_claims = _claim(sessions, world.campaign, limit=3, claimed_by="runner-a")
    b_claims = _claim(sessions, world.campaign, limit=2, claimed_by="runner-b")
    assert sorted(a_claims) == sorted([ids["a1"], ids["a2"], ids["a3"]])
    with sessions.begin() as s:  # runner-a dialed a3, then was killed
        s.add(
            Attempt(
                lead_id=ids["a3"], campaign_id=world.campaign, node_id=world.node, phone="+1", channel_id="c3"
            )
        )

    with sessions.begin() as s:
        assert release_stale_claims(s, NOW + M, claimed_by="runner-a") == 2

    assert _status(sessions, ids["a1"]) is LeadStatus.NEW
    assert _status(sessions, ids["a2"]) is LeadStatus.PENDING  # dialed before this claim
    assert _status(sessions, ids["a3"]) is LeadStatus.DIALING  # the core reconciles it with the PBX
    assert {_status(sessions, i) for i in b_claims} == {LeadStatus.DIALING}
    with sessions() as s:
        assert [(a.lead_id, a.channel_id) for a in open_attempts(s, world.node)] == [(ids["a3"], "c3")]
    assert sorted(_claim(sessions, world.campaign, now=NOW + M)) == sorted([ids["a1"], ids["a2"]])


def test_a_sweep_ends_the_calls_of_runners_that_never_came_back(sessions, world):
    ids = _add(sessions, world.active_list, dialed={}, undialed={})
    _claim(sessions, world.campaign, claimed_by="runner-a")
    with sessions.begin() as s:
        s.add(Attempt(lead_id=ids["dialed"], campaign_id=world.campaign, node_id=world.node, phone="+1"))

    later = NOW + 2 * H
    with sessions.begin() as s:  # claims younger than the threshold are left alone
        assert release_stale_claims(s, NOW + 30 * M, older_than=H, retry_lost_after=15 * M) == 0
    with sessions.begin() as s:
        assert release_stale_claims(s, later, older_than=H, retry_lost_after=15 * M) == 2

    with sessions() as s:
        dialed, undialed = s.get(Lead, ids["dialed"]), s.get(Lead, ids["undialed"])
        assert (dialed.status, dialed.attempts, dialed.last_outcome) == (LeadStatus.PENDING, 1, Outcome.LOST)
        assert dialed.next_call_at == later + 15 * M
        assert dialed.claimed_by is None
        assert (undialed.status, undialed.attempts, undialed.next_call_at) == (LeadStatus.NEW, 0, NOW - H)
        attempt = s.scalars(select(Attempt)).one()
        assert (attempt.ended_at, attempt.outcome) == (later, Outcome.LOST)
        assert open_attempts(s, world.node) == []


def test_dnc_lookup_scopes_and_expiry(sessions, world):
    with sessions.begin() as s:
        s.add_all(
            [
                DncEntry(phone="+12025550001"),
                DncEntry(phone="+12025550002", campaign_id=world.campaign),
                DncEntry(phone="+12025550003", expires_at=NOW - M),
                DncEntry(phone="+12025550004", expires_at=NOW + H),
            ]
        )
    with sessions() as s:
        assert dnc.is_blocked(s, "+12025550001", world.campaign, NOW)
        assert dnc.is_blocked(s, "+12025550001", None, NOW)
        assert dnc.is_blocked(s, "+12025550002", world.campaign, NOW)
        assert not dnc.is_blocked(s, "+12025550002", world.other_campaign, NOW)
        assert not dnc.is_blocked(s, "+12025550003", world.campaign, NOW)
        assert dnc.is_blocked(s, "+12025550004", world.campaign, NOW)
        assert not dnc.is_blocked(s, "+12025559999", world.campaign, NOW)


def test_sqlite_claim_walks_the_partial_index_without_sorting(tmp_path):
    url = f"sqlite:///{tmp_path / 'plan.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    compiled = claim_statement(1, 50, NOW).compile(
        dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    try:
        with engine.connect() as conn:  # the plan does not depend on the values: bind NULLs
            rows = conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", (None,) * len(compiled.positiontup)
            ).all()
    finally:
        engine.dispose()
    steps = [row[3] for row in rows]
    assert "SEARCH leads USING INDEX ix_leads_claim (campaign_id=?)" in steps, steps
    assert not [s for s in steps if "TEMP B-TREE" in s or s.startswith("SCAN leads")], steps


def test_outcome_counts_per_lead(sessions, world):
    ids = _add(sessions, world.active_list, busy_twice={}, untouched={})
    with sessions.begin() as s:
        for outcome in (Outcome.BUSY, Outcome.BUSY, Outcome.NO_ANSWER, None):  # None: still in flight
            s.add(Attempt(lead_id=ids["busy_twice"], campaign_id=world.campaign, phone="+1", outcome=outcome))
    with sessions() as s:
        assert outcome_counts(s, ids.values()) == {
            ids["busy_twice"]: {"busy": 2, "no_answer": 1},
            ids["untouched"]: {},
        }
        assert outcome_counts(s, []) == {}


def test_concurrent_runners_never_claim_the_same_lead(engine):
    """Threads with their own connections race; on SQLite the one-statement claim is what keeps this true."""
    total, runners = 300, 4
    campaign = campaign_with_leads(engine, total, NOW)
    sessions = session_factory(engine)
    start = threading.Barrier(runners)
    claimed: list[list[int]] = [[] for _ in range(runners)]
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            start.wait(timeout=30)
            while True:
                with sessions.begin() as s:
                    batch = [lead.id for lead in claim_leads(s, campaign, 7, NOW, claimed_by=f"r{index}")]
                if not batch:
                    return
                claimed[index].extend(batch)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    everything = [lead_id for batch in claimed for lead_id in batch]
    assert len(everything) == len(set(everything)) == total
    if engine.dialect.name == "postgresql":  # no global write lock: every runner gets some
        assert sum(1 for batch in claimed if batch) > 1


def test_a_skipped_preview_callback_goes_back_to_its_agent(sessions, world):
    """A skipped preview of an agent's own callback must stay that agent's callback: a pending lead
    that keeps ``callback_agent_id`` is claimed by nobody (not the pool, not the agent)."""
    from web.agent.services import skip_preview

    callback = {"status": LeadStatus.CALLBACK, "callback_agent_id": world.agent, "attempts": 1}
    ids = _add(sessions, world.active_list, cb=callback, fresh={})
    claimer = PREVIEW_CLAIMER.format(world.agent)
    assert _claim(sessions, world.campaign, 1, claimed_by=claimer, agent_id=world.agent) == [ids["cb"]]
    assert _claim(sessions, world.campaign, 1, claimed_by=claimer) == [ids["fresh"]]
    with sessions.begin() as s:
        skip_preview(s, s.get(Agent, world.agent))  # the agent holds two; skip takes one back
        skip_preview(s, s.get(Agent, world.agent))
    assert _status(sessions, ids["cb"]) is LeadStatus.CALLBACK
    assert _status(sessions, ids["fresh"]) is LeadStatus.NEW
    assert _claim(sessions, world.campaign, claimed_by="runner") == [ids["fresh"]]
    assert _claim(sessions, world.campaign, 1, claimed_by=claimer, agent_id=world.agent) == [ids["cb"]]


def test_releasing_a_claim_leaves_a_lead_in_call_alone(sessions, world):
    ids = _add(sessions, world.active_list, calling={})
    _claim(sessions, world.campaign, claimed_by=PREVIEW_CLAIMER.format(world.agent))
    with sessions.begin() as s:
        s.add(Attempt(lead_id=ids["calling"], campaign_id=world.campaign, node_id=world.node, phone="+1"))
    with sessions.begin() as s:
        assert release_claims(s, [ids["calling"]], NOW) == 0
    assert _status(sessions, ids["calling"]) is LeadStatus.DIALING


def test_the_sweep_expires_previews_then_orphaned_claims_then_lost_calls(sessions, world):
    ids = _add(sessions, world.active_list, preview={}, dialed_preview={}, runner={}, call={})
    _claim(sessions, world.campaign, 2, claimed_by=PREVIEW_CLAIMER.format(world.agent))  # the 2 previews
    _claim(sessions, world.campaign, 2, claimed_by="runner-a")  # runner, call
    with sessions.begin() as s:
        for name in ("dialed_preview", "call"):
            s.add(Attempt(lead_id=ids[name], campaign_id=world.campaign, node_id=world.node, phone="+1"))

    def sweep(at: datetime) -> int:
        with sessions.begin() as s:
            return sweep_stale_claims(s, at)

    assert sweep(NOW + PREVIEW_CLAIM_TTL - M) == 0
    assert sweep(NOW + PREVIEW_CLAIM_TTL + M) == 1  # the preview nobody dialed expires
    assert _status(sessions, ids["preview"]) is LeadStatus.NEW
    assert sweep(NOW + RUNNER_CLAIM_TTL + M) == 1  # the runner's undialed claim
    assert _status(sessions, ids["runner"]) is LeadStatus.NEW
    assert {_status(sessions, ids[n]) for n in ("dialed_preview", "call")} == {LeadStatus.DIALING}
    assert sweep(NOW + LOST_CALL_AFTER + M) == 2  # calls nobody will ever report
    with sessions() as s:
        lead = s.get(Lead, ids["call"])
        assert (lead.status, lead.last_outcome, lead.attempts) == (LeadStatus.PENDING, Outcome.LOST, 1)
        assert lead.next_call_at > NOW + LOST_CALL_AFTER  # retried later, not at once


def test_dial_history_counts_a_number_over_every_campaign(sessions, world):
    a = _add(sessions, world.active_list, x={})
    b = _add(sessions, world.other_list, x={})  # the same number in another campaign
    with sessions.begin() as s:
        for lead_id, campaign, at in ((a["x"], world.campaign, NOW - 40 * 24 * H),
                                      (a["x"], world.campaign, NOW - 2 * H),
                                      (b["x"], world.other_campaign, NOW - H)):
            s.add(Attempt(lead_id=lead_id, campaign_id=campaign, phone="+12025550000", created_at=at))
    with sessions() as s:
        history = dial_history(s, ["+12025550000", "+19999999999"], NOW - 30 * 24 * H)
    assert sorted(history["+12025550000"]) == [NOW - 2 * H, NOW - H]
    assert history["+19999999999"] == []


def test_the_runners_claim_gives_the_core_each_numbers_recent_dials(sessions, world):
    """What France's 4-per-30-days rule counts reaches the core with the claimed lead."""
    from runner.leads_port import DbLeadSource

    ids = _add(sessions, world.active_list, x={})
    other = _add(sessions, world.other_list, x={})  # the same number, dialed by another campaign
    with sessions.begin() as s:
        s.add(Attempt(lead_id=other["x"], campaign_id=world.other_campaign, phone="+12025550000",
                      created_at=NOW - 3 * H))
        s.add(Attempt(lead_id=ids["x"], campaign_id=world.campaign, phone="+12025550000",
                      created_at=NOW - 31 * 24 * H))  # out of every window
    (lead,) = DbLeadSource(sessions, world.campaign, "runner-a").claim(5, NOW.timestamp())
    assert lead.lead_id == ids["x"]
    assert lead.recent_dials == ((NOW - 3 * H).timestamp(),)


def _hand_to(sessions, world: World, agent_id: int, name: str, team: Team) -> int:
    """A list of campaign A handed out to one agent of ``team`` (as ``web.leaddata.handout`` makes it)."""
    with sessions.begin() as s:
        s.add(team)
        s.flush()
        s.get(Agent, agent_id).team_id = team.id
        held = LeadList(name=name, campaign_id=world.campaign, team_id=team.id, agent_id=agent_id)
        s.add(held)
        s.flush()
        return held.id


def test_records_handed_to_an_agent_are_claimed_for_that_agent_only(sessions, world):
    team = Team(name="T")
    pool = _add(sessions, world.active_list, shared={"next_call_at": NOW - H})
    held = _hand_to(sessions, world, world.agent, "al's", team)
    als = _add(sessions, held, mine={"next_call_at": NOW - 2 * H})
    assert _claim(sessions, world.campaign, agent_id=None) == [pool["shared"]]  # progressive's pool
    assert _claim(sessions, world.campaign, owner=world.other_agent) == []
    assert _claim(sessions, world.campaign, owner=world.agent) == [als["mine"]]


def test_a_predictive_pool_takes_owned_records_only_of_teams_that_pool_them(sessions, world):
    team = Team(name="T")
    _add(sessions, world.active_list, shared={"next_call_at": NOW - H})
    held = _hand_to(sessions, world, world.agent, "al's", team)
    als = _add(sessions, held, mine={"next_call_at": NOW - 2 * H})
    assert als["mine"] not in _claim(sessions, world.campaign, pool_owned=True)  # the team keeps them
    with sessions.begin() as s:
        s.get(Team, team.id).pool_owned_for_predictive = True
    assert als["mine"] in _claim(sessions, world.campaign, pool_owned=True)


def test_an_agents_callback_on_their_own_record_is_still_theirs(sessions, world):
    als = _add(sessions, _hand_to(sessions, world, world.agent, "al's", Team(name="T")),
               promised={"status": LeadStatus.CALLBACK, "callback_agent_id": world.agent})
    assert _claim(sessions, world.campaign, agent_id=world.agent) == [als["promised"]]


def test_the_runners_owned_claim_pairs_each_record_with_its_agent(sessions, world):
    from runner.leads_port import DbLeadSource

    team = Team(name="T")
    als = _add(sessions, _hand_to(sessions, world, world.agent, "al's", team), mine={})
    source = DbLeadSource(sessions, world.campaign, "runner-a")
    assert source.claim(5, NOW.timestamp()) == []  # progressive: not in the pool
    ((agent_id, lead),) = source.claim_owned([world.other_agent, world.agent], NOW.timestamp())
    assert (agent_id, lead.lead_id) == (world.agent, als["mine"])
    assert _status(sessions, als["mine"]) is LeadStatus.DIALING
