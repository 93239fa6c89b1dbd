"""QA through the forms: sampling policies, the weekly work list in each reader's scope, scorecards
built and versioned in the admin, scoring a call, calibration, and agents acknowledging or disputing."""

from __future__ import annotations

import wave
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from store.enums import Outcome, ScoreReply, UserRole
from store.models import Agent, AuditLog, Call, Disposition, QaSample, QaScore, Scorecard, Seat, Team, User
from tests.web import seed
from tests.web.conftest import _password_hash
from web.db import sessions

WEEK = date(2026, 11, 2)  # a Monday, long past: its sample is overdue


@pytest.fixture
def floor(app, settings):
    """agent1 (Team 1, led by lea): 10 answered calls in WEEK, one a complaint, one recorded;
    agent2 (Team 2): 6; a second QA inspector qa2."""
    wav_path = settings.recordings_dir / "q" / "call.wav"
    wav_path.parent.mkdir(parents=True)
    with wave.open(str(wav_path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x02" * 8000 * 3)
    with app.app_context(), sessions().begin() as s:
        a1 = seed.agent(s)
        people = {n: User(username=n, password_hash=_password_hash(), role=r, display_name=n)
                  for n, r in (("lea", UserRole.TEAM_LEADER), ("qa2", UserRole.QA),
                               ("agent2", UserRole.AGENT))}
        s.add_all(people.values())
        s.scalars(select(Team)).one().leader = people["lea"]
        node = s.scalars(select(seed.PbxNode)).one()
        a2 = Agent(user=people["agent2"], team=Team(name="Team 2"),
                   seat=Seat(node=node, extension="8099", secret="seatsecret123"))
        s.add(a2)
        c = seed.campaign(s, "Outbound")
        c.dispositions.append(Disposition(code="COMPLAINT", label="Complaint", sort_order=3))
        s.flush()
        lds = seed.leads(s, c, [f"+1201555{i:04d}" for i in range(16)])
        start = datetime.combine(WEEK, datetime.min.time(), UTC) + timedelta(hours=9)
        calls = {}
        for i, lead in enumerate(lds):
            agent = a1 if i < 10 else a2
            attempt = seed.attempt(
                s, lead, agent=agent, start=start + timedelta(hours=i), outcome=Outcome.CONNECTED,
                talk_s=20 + 25 * i, disposition="COMPLAINT" if i == 3 else ("SALE" if i == 0 else "NO"),
                amount="120.00" if i == 0 else None, recording="q/call.wav" if i == 0 else None)
            calls[i] = s.scalar(select(Call.id).where(Call.attempt_id == attempt.id))
        return {"calls": calls, "team1": a1.team_id, "team2": a2.team_id}


def _flash(page) -> str:
    return page.get_data(as_text=True)


def _scorecard(qa) -> int:
    """A published form: Opening (greeting yes/no 10, consent critical 20),
    Body (tone 0-5 30, upsell N.A. 40)."""
    qa.post("/qa/forms", {"name": "Outbound call"})
    page = qa.get("/qa/forms")
    assert "Outbound call" in page.get_data(as_text=True)
    with qa.raw.application.app_context(), sessions()() as s:
        card_id = s.scalar(select(Scorecard.id).where(Scorecard.name == "Outbound call"))
    base = f"/qa/forms/{card_id}"
    qa.post(f"{base}/sections", {"title": "Opening"})
    qa.post(f"{base}/items", {"section": "0", "text": "Greets by name", "weight": "10", "kind": "yes_no"})
    qa.post(f"{base}/items", {"section": "0", "text": "Recording consent", "weight": "20", "kind": "yes_no",
                              "critical": "1"})
    qa.post(f"{base}/sections", {"title": "Body"})
    qa.post(f"{base}/items", {"section": "1", "text": "Tone", "weight": "30", "kind": "scale",
                              "scale_max": "5"})
    qa.post(f"{base}/items", {"section": "1", "text": "Offers the upgrade", "weight": "40", "kind": "yes_no",
                              "allows_na": "1"})
    page = qa.post(f"{base}/publish", follow_redirects=True)
    assert "Version 1 published" in _flash(page)
    return card_id


def test_policies_refuse_bad_input_and_only_qa_forms_holders_set_them(as_role, floor):
    qa = as_role("qa")
    team = floor["team1"]
    good = {"per_agent": "5", "short_s": "30", "long_s": "180", "sale_above": "100",
            "complaint_codes": "complaint",
            "due_days": "3", "scorecard_id": ""}
    for change, error in [
        ({"per_agent": "abc"}, "not a whole number"),
        ({"per_agent": "99"}, "calls per agent per week: from 0 to 50"),
        ({"short_s": "300"}, "talk-time bands"),
        ({"sale_above": "lots"}, "is not a number"),
        ({"due_days": ""}, "days to score: give a whole number"),
        ({"scorecard_id": "999"}, "no such scorecard"),
    ]:
        page = qa.post(f"/qa/policies/{team}", {**good, **change}, follow_redirects=True)
        assert page.status_code in (200, 400), page.status_code
        assert error in _flash(page), (change, _flash(page)[-600:])
    page = qa.post(f"/qa/policies/{team}", good, follow_redirects=True)
    assert "Sampling policy of Team 1 saved." in _flash(page)
    assert 'value="COMPLAINT"' in _flash(page)
    assert as_role("lea").get("/qa/policies").status_code == 403
    assert as_role("agent1").get("/qa/worklist").status_code == 403


def test_the_work_list_is_drawn_once_per_week_and_scoped_to_the_leaders_team(app, as_role, floor):
    qa, lea = as_role("qa"), as_role("lea")
    qa.post(f"/qa/policies/{floor['team1']}", {"per_agent": "4", "short_s": "30", "long_s": "180",
                                                "sale_above": "100", "complaint_codes": "COMPLAINT",
                                                "due_days": "3"})
    page = lea.post("/qa/worklist/draw", {"team_id": floor["team1"], "week": "2026-11-05"},
                    follow_redirects=True)
    assert "Sampled 4 calls of the week of 2026-11-02, due 2026-11-11." in _flash(page)
    again = lea.post("/qa/worklist/draw", {"team_id": floor["team1"], "week": "2026-11-02"},
                     follow_redirects=True)
    assert "is drawn already (4 calls)" in _flash(again)
    assert lea.post("/qa/worklist/draw", {"team_id": floor["team2"], "week": "2026-11-02"}).status_code == 404
    assert lea.post("/qa/worklist/draw", {"team_id": "x", "week": "2026-11-02"}).status_code == 400
    assert lea.post("/qa/worklist/draw", {"team_id": floor["team1"], "week": "soon"}).status_code == 400
    page = qa.post("/qa/worklist/draw", {"team_id": floor["team2"], "week": "2026-11-02"},
                   follow_redirects=True)
    assert "Sampled 4 calls" in _flash(page)  # Team 2 has no policy: the default, 4 a week
    with app.app_context(), sessions()() as s:
        samples = s.scalars(select(QaSample).where(QaSample.team_id == floor["team1"])).all()
    reasons = {x.call_id: x.reason for x in samples}
    assert reasons[floor["calls"][3]] == "complaint"
    assert reasons[floor["calls"][0]] == "sale"
    led = lea.get("/qa/worklist?week=2026-11-02").get_data(as_text=True)
    assert led.count("overdue</td>") == 4
    assert "agent2" not in led
    assert "Team 2" not in led.split("<table")[1]
    everyone = qa.get("/qa/worklist?week=2026-11-02").get_data(as_text=True)
    assert everyone.count("overdue</td>") == 8
    assert "agent2" in everyone
    assert "No sample for this week yet." in qa.get("/qa/worklist?week=2026-11-09").get_data(as_text=True)
    assert qa.get("/qa/worklist?week=nope").status_code == 400


def test_scorecards_are_built_published_and_versioned_and_old_scores_keep_their_version(app, as_role, floor):
    qa = as_role("qa")
    card = _scorecard(qa)
    base = f"/qa/forms/{card}"
    assert "exists already" in _flash(qa.post("/qa/forms", {"name": "Outbound call"}, follow_redirects=True))
    frozen = qa.post(f"{base}/items", {"section": "0", "text": "Q", "weight": "5", "kind": "yes_no"})
    assert frozen.status_code == 409
    call = floor["calls"][0]
    page = qa.post(f"/qa/calls/{call}", {"scorecard_id": card, "a_i1": "yes", "a_i2": "yes", "a_i3": "3",
                                         "a_i4": "na", "comment": "Good opening"}, follow_redirects=True)
    assert "Saved: the call scores 80.00 %." in _flash(page)  # (10 + 20 + 18) / 60
    page = qa.post(f"{base}/versions", follow_redirects=True)
    assert "Version 2 started as a copy of 1" in _flash(page)
    for form, error in [
        ({"section": "0", "text": "Q", "weight": "heavy", "kind": "yes_no"}, "is not a number"),
        ({"section": "0", "text": "Q", "weight": "0", "kind": "yes_no"}, "above 0"),
        ({"section": "0", "text": "", "weight": "5", "kind": "yes_no"}, "needs a question"),
        ({"section": "0", "text": "Q", "weight": "5", "kind": "essay"}, "yes/no or a scale"),
        ({"section": "7", "text": "Q", "weight": "5", "kind": "yes_no"}, "add a section first"),
    ]:
        assert error in _flash(qa.post(f"{base}/items", form, follow_redirects=True)), form
    qa.post(f"{base}/items", {"section": "1", "text": "Confirms the address", "weight": "10",
                              "kind": "yes_no"})
    qa.post(f"{base}/items/i1/delete")
    assert "still a draft" in _flash(qa.post(f"{base}/versions", follow_redirects=True))
    qa.post(f"{base}/publish")
    with app.app_context(), sessions()() as s:
        score = s.scalars(select(QaScore)).one()
        assert score.version.number == 1
        assert [i["key"] for sec in score.version.form["sections"]
                                               for i in sec["items"]] == ["i1", "i2", "i3", "i4"]
    # A new score is on v2 (greeting gone, address added); the old one still shows v1's questions.
    page = qa.get(f"/qa/calls/{floor['calls'][1]}?scorecard_id={card}").get_data(as_text=True)
    assert "Confirms the address" in page
    assert "Greets by name" not in page
    assert "v2" in page
    mine = as_role("agent1").get("/qa/mine").get_data(as_text=True)
    assert "Greets by name" in mine
    assert "Confirms the address" not in mine
    assert "v1" in mine


def test_scoring_a_call_shows_it_plays_it_and_reports_calibration(app, as_role, floor):
    qa, qa2, lea = as_role("qa"), as_role("qa2"), as_role("lea")
    card = _scorecard(qa)
    call = floor["calls"][0]
    page = qa.get(f"/qa/calls/{call}?scorecard_id={card}").get_data(as_text=True)
    assert "Sale (sold 120.00)" in page
    assert 'id="qa-audio"' in page
    assert "qa_player.js" in page
    with app.app_context(), sessions()() as s:
        rec_id = s.scalar(select(seed.Recording.id))
    assert f'src="/recordings/{rec_id}"' in page
    assert qa.get(f"/recordings/{rec_id}").status_code == 200  # the call log's route, audited
    for answers, error in [
        ({"a_i1": "yes", "a_i2": "yes", "a_i3": "3"}, "is not answered"),
        ({"a_i1": "yes", "a_i2": "yes", "a_i3": "9", "a_i4": "yes"}, "from 0 to 5"),
        ({"a_i1": "na", "a_i2": "yes", "a_i3": "3", "a_i4": "yes"}, "cannot be N.A."),
    ]:
        page = qa.post(f"/qa/calls/{call}", {"scorecard_id": card, **answers}, follow_redirects=True)
        assert page.status_code == 200
        assert error in _flash(page)
    assert qa.post(f"/qa/calls/{call}", {"scorecard_id": "x"}).status_code == 400
    assert qa.post(f"/qa/calls/{call}", {"scorecard_id": "999"}).status_code == 400
    full = {"scorecard_id": card, "a_i1": "yes", "a_i2": "yes", "a_i3": "5", "a_i4": "yes", "n_i3": "warm"}
    assert "scores 100.00 %" in _flash(qa.post(f"/qa/calls/{call}", full, follow_redirects=True))
    assert "you scored this call already" in _flash(qa.post(f"/qa/calls/{call}", full, follow_redirects=True))
    page = qa2.post(f"/qa/calls/{call}", {**full, "a_i2": "no"}, follow_redirects=True)
    assert "the call fails on a critical item" in _flash(page)
    page = lea.post(f"/qa/calls/{call}", {**full, "a_i3": "2", "a_i4": "na"}, follow_redirects=True)
    assert "scores 70.00 %" in _flash(page)  # (10 + 20 + 30 * 2/5) / 60: the upsell did not apply
    text = _flash(page)
    assert 'id="spread"' in text
    assert "3 scorers, from 0.00 % to 100.00 % (spread 100.00 points)" in text
    # Scope: the team leader cannot open another team's call; nobody can open a call that does not exist.
    assert lea.get(f"/qa/calls/{floor['calls'][12]}").status_code == 404
    assert lea.post(f"/qa/calls/{floor['calls'][12]}", full).status_code == 404
    assert qa.get("/qa/calls/99999").status_code == 404
    with app.app_context(), sessions()() as s:
        actions = [a for (a,) in s.execute(select(AuditLog.action).order_by(AuditLog.id))]
    assert actions.count("qa.score") == 3
    assert "recording.play" in actions


def test_agents_see_their_own_scores_and_acknowledge_or_dispute(app, as_role, floor):
    qa = as_role("qa")
    card = _scorecard(qa)
    for i in (0, 1):
        qa.post(f"/qa/calls/{floor['calls'][i]}", {"scorecard_id": card, "a_i1": "no", "a_i2": "yes",
                                                    "a_i3": "4",
                                                    "a_i4": "na", "comment": f"note {i}"})
    agent = as_role("agent1")
    page = agent.get("/qa/mine").get_data(as_text=True)
    assert page.count("my-score") == 2
    assert "note 0" in page
    with app.app_context(), sessions()() as s:
        first, second = s.scalars(select(QaScore.id).order_by(QaScore.id)).all()
    page = agent.post(f"/qa/scores/{first}/reply", {"action": "disputed"}, follow_redirects=True)
    assert "a dispute needs a note" in _flash(page)
    page = agent.post(f"/qa/scores/{first}/reply",
                      {"action": "disputed", "note": "the customer said no recording"},
                      follow_redirects=True)
    assert "Score disputed." in _flash(page)
    assert "you disputed this score already" in _flash(
        agent.post(f"/qa/scores/{first}/reply", {"action": "acknowledged"}, follow_redirects=True))
    assert "Score acknowledged." in _flash(agent.post(f"/qa/scores/{second}/reply",
                                                      {"action": "acknowledged"},
                                                      follow_redirects=True))
    assert agent.post(f"/qa/scores/{second}/reply", {"action": "open"}).status_code == 400
    other = as_role("agent2")
    assert other.post(f"/qa/scores/{first}/reply", {"action": "acknowledged"}).status_code == 404
    assert "No scores yet." in other.get("/qa/mine").get_data(as_text=True)
    assert qa.post(f"/qa/scores/{first}/reply", {"action": "acknowledged"}).status_code == 403
    with app.app_context(), sessions()() as s:
        replies = dict(s.execute(select(QaScore.id, QaScore.reply)).all())
    assert replies == {first: ScoreReply.DISPUTED, second: ScoreReply.ACKNOWLEDGED}


def test_the_demo_seeds_a_scorecard_a_policy_and_this_weeks_sample_once(app, as_role):
    from lab.demo import DEMO_SCORECARD, ensure_quality
    from store.models import QaPolicy

    today = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        agent = seed.agent(s, team=None)
        c = seed.campaign(s, "Demo")
        before = ensure_quality(s, [agent], "Demo team (pbx)", today.date())
        assert "0 sampled calls" in before  # no call yet: nothing to sample
        for i, lead in enumerate(seed.leads(s, c, [f"+1201555{i:04d}" for i in range(6)])):
            seed.attempt(s, lead, agent=agent, start=today - timedelta(minutes=10 + i),
                         outcome=Outcome.CONNECTED, talk_s=30 + i)
        assert "sampled 4 calls of this week" in ensure_quality(s, [agent], "Demo team (pbx)", today.date())
        assert "4 sampled calls" in ensure_quality(s, [agent], "Demo team (pbx)", today.date())
        team = s.scalars(select(Team).where(Team.name == "Demo team (pbx)")).one()
        assert agent.team_id == team.id
        assert s.scalars(select(QaPolicy)).one().scorecard.name == DEMO_SCORECARD
    qa = as_role("qa")
    week = (today.date() - timedelta(days=today.weekday())).isoformat()
    listed = qa.get(f"/qa/worklist?week={week}").get_data(as_text=True)
    assert listed.count(">Score</a>") == 4
    with app.app_context(), sessions()() as s:
        call = s.scalars(select(QaSample.call_id)).first()
    page = qa.get(f"/qa/calls/{call}").get_data(as_text=True)
    assert "Names the company and says the call is recorded" in page


def test_the_call_log_links_each_agents_call_to_its_scoring_page_for_scorers(as_role, floor):
    log = as_role("lea").get("/calls").get_data(as_text=True)
    assert f'href="/qa/calls/{floor["calls"][0]}"' in log
    assert f'href="/qa/calls/{floor["calls"][12]}"' not in log  # Team 2's call: not in lea's log at all
