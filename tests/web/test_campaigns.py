"""Campaign form, state changes, the form's text rules, and the scheduler's job store sync."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from store.enums import CampaignMode, CampaignState, Outcome
from store.models import AuditLog, Campaign, LeadList, Team, Trunk
from web.campaigns import scheduler
from web.campaigns.forms import FormError, ScheduleSpec, parse_dispositions, parse_hours, parse_retries
from web.db import sessions

FORM = {
    "name": "Spring sale",
    "mode": "predictive",
    "compliance_profile": "UK",
    "abandon_cap_pct": "",
    "calling_hours": "",
    "ring_timeout_s": "20",
    "max_lines": "50",
    "max_attempts": "4",
    "wrap_up_s": "15",
    "record_calls": "on",
    "amd_enabled": "on",
    "amd_action": "message",
    "abandon_message_text": "Sorry!",
    "retries": "busy 600 3\nno_answer 3600",
    "dispositions": "SALE Sale +sale +amount\nCB Call back +callback",
    "script": "Hello {name}",
    "schedule_days": ["mon", "wed"],
    "schedule_start": "09:00",
    "schedule_stop": "17:30",
    "schedule_tz": "Europe/London",
}


def _campaign(app, name="Spring sale") -> Campaign:
    with app.app_context(), sessions()() as s:
        return s.scalars(select(Campaign).where(Campaign.name == name)).one()


def test_create_edit_and_run_campaign(app, as_role):
    sup = as_role("sup")
    with app.app_context(), sessions().begin() as s:
        s.add_all([Team(name="Team A"), LeadList(name="L1")])
    with app.app_context(), sessions()() as s:
        team_id, list_id = s.scalar(select(Team.id)), s.scalar(select(LeadList.id))
    sup.get("/campaigns/new")
    response = sup.post("/campaigns/new", {**FORM, "team_ids": [str(team_id)], "list_ids": [str(list_id)]})
    assert response.status_code == 302, response.get_data(as_text=True)
    c = _campaign(app)
    assert c.abandon_cap == Decimal("0.03")
    assert c.abandon_window_s == 86400
    assert c.calling_hours["sat"] == [["08:00", "21:00"]]
    assert c.ring_timeout_s == 20
    assert c.max_lines == 50
    assert c.amd_action.value == "message"
    assert c.schedule["days"] == ["mon", "wed"]
    assert c.schedule["tz"] == "Europe/London"
    with app.app_context(), sessions()() as s:
        c = s.get(Campaign, c.id)
        assert [t.name for t in c.teams] == ["Team A"]
        assert [x.campaign_id for x in s.scalars(select(LeadList))] == [c.id]
        assert {(r.outcome, r.delay_s, r.max_attempts) for r in c.retry_rules} == {
            (Outcome.BUSY, 600, 3),
            (Outcome.NO_ANSWER, 3600, None),
        }
        assert [(d.code, d.is_sale, d.schedules_callback, d.is_final) for d in c.dispositions] == [
            ("SALE", True, False, True),
            ("CB", False, True, False),
        ]
    # Edit: FR profile with its own hours; a disposition removed is kept but deactivated.
    sup.get(f"/campaigns/{c.id}")
    sup.post(
        f"/campaigns/{c.id}",
        {
            **FORM,
            "compliance_profile": "FR",
            "abandon_cap_pct": "2.5",
            "dispositions": "SALE Sale +sale",
            "schedule_days": [],
        },
    )
    with app.app_context(), sessions()() as s:
        c = s.get(Campaign, c.id)
        assert c.abandon_cap == Decimal("0.025")
        assert "sat" not in c.calling_hours
        assert c.schedule == {}
        assert s.scalars(select(LeadList.campaign_id)).all() == [None]  # list unchecked: detached
        assert {d.code: d.active for d in c.dispositions} == {"SALE": True, "CB": False}
    for state in ("running", "paused", "stopped"):
        sup.post(f"/campaigns/{c.id}/state", {"state": state})
        assert _campaign(app).desired_state.value == state
    with app.app_context(), sessions()() as s:
        actions = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == [
        "campaign.create",
        "campaign.update",
        "campaign.running",
        "campaign.paused",
        "campaign.stopped",
    ]


def test_bad_form_is_shown_again_with_error(app, as_role):
    sup = as_role("sup")
    sup.get("/campaigns/new")
    response = sup.post("/campaigns/new", {**FORM, "retries": "busy soon"})
    assert response.status_code == 400
    assert b"bad retry rule" in response.data
    assert b"Spring sale" in response.data  # what was typed is kept
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Campaign)).all() == []


def test_abandon_message_upload_must_be_wav(app, as_role, tmp_path):
    import io

    sup = as_role("sup")
    sup.get("/campaigns/new")
    bad = sup.post(
        "/campaigns/new",
        {**FORM, "abandon_message_file": (io.BytesIO(b"not audio"), "x.wav")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 24
    ok = sup.post(
        "/campaigns/new",
        {**FORM, "abandon_message_file": (io.BytesIO(wav), "msg.wav")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    assert Path(_campaign(app).abandon_message_file).read_bytes() == wav


def test_text_rules():
    assert parse_hours("mon-fri 09:00-13:00 14:00-20:00\nsat 10:00-12:00")["fri"] == [
        ["09:00", "13:00"],
        ["14:00", "20:00"],
    ]
    assert parse_hours("sat-mon 10:00-11:00").keys() == {"sat", "sun", "mon"}
    for bad in ("funday 09:00-10:00", "mon 10:00-09:00", "mon 9-10"):
        with pytest.raises(FormError):
            parse_hours(bad)
    assert parse_retries("busy 60 2\nbusy 120 3") == [parse_retries("busy 120 3")[0]]
    with pytest.raises(FormError):
        parse_retries("exploded 60 1")
    with pytest.raises(FormError):
        parse_dispositions("SALE Sale +bogus")


def test_scheduler_syncs_jobs_and_applies_state(app, settings):
    sched = scheduler.build(BackgroundScheduler, settings.sqlalchemy_url)
    with app.app_context(), sessions().begin() as s:
        spec = ScheduleSpec(
            ("mon", "tue", "wed", "thu", "fri"), "09:00", "17:00", "America/New_York", first_date="2030-01-01"
        )
        s.add(Campaign(name="Sched", mode="progressive", compliance_profile="us", schedule=spec.as_json()))
    c = _campaign(app, "Sched")
    sched.start(paused=True)
    try:
        scheduler.sync(sched)
        jobs = {j.id: j for j in sched.get_jobs()}
        start = jobs[f"campaign-{c.id}-start"]
        first = start.trigger.get_next_fire_time(None, datetime(2029, 12, 31, tzinfo=UTC))
        assert first.isoformat() == "2030-01-01T09:00:00-05:00"  # Tuesday, New York time
        assert jobs[f"campaign-{c.id}-stop"].args == (c.id, "paused")
        # A changed schedule replaces the jobs; a removed one deletes them.
        with app.app_context(), sessions().begin() as s:
            s.get(Campaign, c.id).schedule = {**spec.as_json(), "start": "10:00"}
        scheduler.sync(sched)
        start = sched.get_job(f"campaign-{c.id}-start")
        assert start.trigger.get_next_fire_time(None, datetime(2029, 12, 31, tzinfo=UTC)).hour == 10
        with app.app_context(), sessions().begin() as s:
            s.get(Campaign, c.id).schedule = {}
        scheduler.sync(sched)
        assert [j.id for j in sched.get_jobs() if j.id.startswith("campaign-")] == []
    finally:
        sched.shutdown(wait=False)
    scheduler.apply_state(c.id, "running")
    assert _campaign(app, "Sched").desired_state is CampaignState.RUNNING
    with app.app_context(), sessions()() as s:
        assert (
            s.scalars(select(AuditLog.actor).where(AuditLog.action == "campaign.running")).one() == "system"
        )


def test_the_scheduler_process_sweeps_expired_preview_claims(app, settings):
    from datetime import timedelta

    from store.enums import LeadStatus
    from store.leads import PREVIEW_CLAIM_TTL, PREVIEW_CLAIMER
    from store.models import Lead
    from store.types import utcnow
    from tests.web import seed

    sched = scheduler.build(BackgroundScheduler, settings.sqlalchemy_url)
    assert sched.get_job("sweep-claims") is not None  # scheduled with the schedule sync
    with app.app_context(), sessions().begin() as s:
        c = seed.campaign(s, mode="preview")
        held, fresh = seed.leads(s, c, ["+12025550101", "+12025550102"])
        for lead, age in ((held, PREVIEW_CLAIM_TTL + timedelta(minutes=1)), (fresh, timedelta(minutes=1))):
            lead.status, lead.claimed_by = LeadStatus.DIALING, PREVIEW_CLAIMER.format(1)
            lead.claimed_at = utcnow() - age
        ids = held.id, fresh.id
    scheduler.sweep_claims()
    with app.app_context(), sessions()() as s:
        assert [s.get(Lead, i).status for i in ids] == [LeadStatus.NEW, LeadStatus.DIALING]


# -- compliance and bounds, from the form to the core --------------------------------------------

def _post(sup, **fields):
    sup.get("/campaigns/new")
    return sup.post("/campaigns/new", {**FORM, "schedule_days": [], **fields})


def test_a_french_campaign_from_the_form_dials_at_1430_local_but_not_at_1330(app, as_role):
    """Form -> row -> campaign_config -> the dialer core: FR keeps both of its daily windows."""
    from dataclasses import fields, replace

    from orchestrator.compliance import DAY, ComplianceProfile
    from orchestrator.dialer.config import DialMode
    from orchestrator.leads.model import Lead
    from orchestrator.leads.rules import AttemptLimit
    from runner.campaign_config import campaign_config
    from tests.unit.dialer_harness import Harness, customer_originates

    sup = as_role("sup")
    assert _post(sup, name="Paris", mode="progressive", compliance_profile="fr").status_code == 302
    with app.app_context(), sessions()() as s:
        config = campaign_config(s.scalars(select(Campaign).where(Campaign.name == "Paris")).one())
    assert config.compliance is ComplianceProfile.FR
    assert config.abandon_windows == (DAY,)
    assert config.lead_rules.attempt_limit == AttemptLimit(4, 30 * DAY)
    wednesday = config.lead_rules.calling_hours.days[2]
    assert [(a.hour, b.hour) for a, b in wednesday] == [(10, 13), (14, 20)]
    assert config.lead_rules.calling_hours.days[5] == ()  # no Saturday

    own = ("campaign_id", "mode")
    settings = {f.name: getattr(config, f.name) for f in fields(config) if f.name not in own}
    for paris_time, utc, dials in (("13:30", datetime(2026, 12, 2, 12, 30, tzinfo=UTC), False),
                                   ("14:30", datetime(2026, 12, 2, 13, 30, tzinfo=UTC), True)):
        h = Harness(DialMode.PROGRESSIVE, leads=[Lead(1, "+33142685300")], **settings)
        h.login(1, at=utc.timestamp())
        originated = customer_originates(h.tick(utc.timestamp() + 1).commands)
        assert bool(originated) is dials, paris_time
    assert replace(config, compliance=ComplianceProfile.CN).compliance.value == "cn"


@pytest.mark.parametrize("profile", ["us", "uk", "fr", "cn"])
def test_every_profile_reaches_the_core_as_itself(app, as_role, profile):
    from runner.campaign_config import campaign_config

    sup = as_role("sup")
    assert _post(sup, compliance_profile=profile).status_code == 302
    with app.app_context(), sessions()() as s:
        config = campaign_config(s.scalars(select(Campaign)).one())
    assert config.compliance.value == profile


@pytest.mark.parametrize(("fields", "message"), [
    ({"retries": "busy 9000000000000 3"}, "retry delay for busy must be between 0 s and 90 days"),
    ({"retries": "no_answer 3600 1000"}, "max attempts for no_answer must be between 1 and 100"),
    ({"wrap_up_s": "99999"}, "wrap-up must be between 0 s and 10 minutes"),
    ({"ring_timeout_s": "0"}, "ring timeout must be between 5 s and 2 minutes"),
    ({"ring_timeout_s": "soon"}, "ring timeout: not a whole number"),
    ({"abandon_window_s": "9000000000000"}, "abandon window must be between 1 hour and 30 days"),
    ({"abandon_window_s": "0"}, "abandon window must be between 1 hour and 30 days (got 0 s)"),
    ({"abandon_no_recall_s": "-1"}, "no recall after an abandon must be between 0 s and 90 days"),
    ({"abandon_no_recall_s": "3600"}, "the UK profile forbids calling an abandoned number back for 3 days"),
    ({"abandon_cap_pct": "5"}, "abandon cap 5.00 % is above the UK profile&#39;s 3 %"),
    ({"abandon_cap_pct": "NaN"}, "abandon cap % must be between 0 and 100"),
    ({"compliance_profile": "fr", "calling_hours": "sat 10:00-12:00"},
     "calling hours go outside the FR profile&#39;s (mon-fri 10:00-13:00 14:00-20:00)"),
    ({"compliance_profile": "fr", "calling_hours": "mon-fri 09:00-20:00"}, "outside the FR profile"),
    ({"caller_id": "hello"}, "caller ID &#39;hello&#39; is not a phone number"),
    ({"caller_id": "+1 555 0100"}, "is not a valid phone number"),
    ({"caller_id": "4" * 40}, "caller ID is too long (at most 32 characters)"),
    ({"trunk": "world;Variable: x=y"}, "trunk must be a name of letters, digits"),
    ({"trunk": "t" * 65}, "at most 64 characters"),
    ({"abandon_message_text": ""}, "the UK profile requires an abandon message (text or recording)"),
])
def test_bad_settings_are_refused_with_a_clear_message_and_nothing_saved(app, as_role, fields, message):
    sup = as_role("sup")
    response = _post(sup, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Campaign)).all() == []


def test_caller_id_is_stored_in_e164_and_trunk_is_one_of_the_trunks(app, as_role):
    sup = as_role("sup")
    with app.app_context(), sessions().begin() as s:
        s.add(Trunk(name="world", managed=False))  # as migration 0017 keeps a name campaigns used
    assert '<option>world</option>' in sup.get("/campaigns/new").get_data(as_text=True)
    assert _post(sup, name="FR", compliance_profile="fr", caller_id="01 42 68 53 00",
                 trunk="world").status_code == 302
    c = _campaign(app, "FR")
    assert (c.caller_id, c.trunk) == ("+33142685300", "world")
    response = _post(sup, name="Elsewhere", trunk="agent001")
    assert response.status_code == 400
    assert "there is no trunk &#39;agent001&#39;" in response.get_data(as_text=True)


def test_the_form_offers_only_the_modes_a_runner_dials(app, as_role):
    sup = as_role("sup")
    page = sup.get("/campaigns/new").get_data(as_text=True)
    offered = re.findall(r"<option[^>]*>(\w+)</option>", page.split('name="mode"')[1].split("</select>")[0])
    assert offered == ["preview", "progressive", "predictive"]
    assert "inbound_number" not in page
    for mode in ("inbound", "blended"):
        response = sup.post("/campaigns/new", {**FORM, "mode": mode})
        assert response.status_code == 400
        assert f"{mode} campaigns are not available yet" in response.get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(Campaign)).all() == []


def test_a_stored_inbound_campaign_keeps_its_mode_when_edited(app, as_role):
    """An earlier form saved inbound campaigns: editing one offers its mode too and leaves it as it was."""
    sup = as_role("sup")
    sup.get("/campaigns/new")
    assert sup.post("/campaigns/new", FORM).status_code == 302
    with app.app_context(), sessions().begin() as s:
        s.scalars(select(Campaign)).one().mode = CampaignMode.INBOUND
    campaign_id = _campaign(app).id
    page = sup.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "<option selected>inbound</option>" in page
    response = sup.post(f"/campaigns/{campaign_id}", {**FORM, "mode": "inbound", "max_lines": "60"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert (_campaign(app).mode, _campaign(app).max_lines) == (CampaignMode.INBOUND, 60)
