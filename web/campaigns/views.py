"""Campaign pages: list with start/pause/stop, one form for create and edit."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from store.enums import OUTBOUND_MODES, CampaignMode, CampaignState, ComplianceProfile, MachineAction, Outcome
from store.models import Campaign, Lead, LeadList, Team, Trunk
from store.types import utcnow
from web.auth import audit
from web.auth.roles import Perm, campaigns_within, requires, team_scope
from web.campaigns import services
from web.campaigns.forms import FormError, ScheduleSpec, format_disposition, format_hours, parse_schedule
from web.campaigns.profiles import WEEKDAYS, notes
from web.campaigns.progress import Check, progress
from web.campaigns.services import CampaignInput
from web.db import db
from web.http import get_or_404
from web.i18n import fill, listing, locale_name
from web.labels import label
from web.live import stream
from web.live.changes import campaign_topic
from web.quality import survey
from web.seats.views import publish_prompts
from web.wallboard.services import amd_warning

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@bp.app_template_filter("check_text")
def check_text(check: Check) -> str:
    """A "why isn't it dialing" answer in the reader's language; a runner's own notes (English) are
    replaced by the words for their reasons in another language."""
    params = dict(check.params)
    codes = params.pop("codes", None)
    if isinstance(codes, list) and locale_name() != "en":
        params["notes"] = listing([label(code, "pacing") for code in codes])
    return fill(check.message, params)
MAX_SOUND_BYTES = 5 * 1024 * 1024
#: The campaign page's live part is fetched again at most this often.
PROGRESS_GAP_S = 2.0


def _int(form: MultiDict[str, str], name: str, what: str) -> int | None:
    """A whole-number field; empty means "not given" (the default)."""
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise FormError(f"{what}: not a whole number") from None


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _input(form: MultiDict[str, str]) -> CampaignInput:
    try:
        return CampaignInput(
            name=form.get("name", ""),
            mode=CampaignMode(form.get("mode", "")),
            compliance_profile=ComplianceProfile(form.get("compliance_profile", "").lower()),
            abandon_cap_pct=form.get("abandon_cap_pct", ""),
            abandon_window_s=_int(form, "abandon_window_s", "abandon window"),
            abandon_no_recall_s=_int(form, "abandon_no_recall_s", "no recall after an abandon"),
            calling_hours=form.get("calling_hours", ""),
            caller_id=form.get("caller_id", ""),
            trunk=form.get("trunk", ""),
            ring_timeout_s=_or(_int(form, "ring_timeout_s", "ring timeout"), 25),
            max_lines=_or(_int(form, "max_lines", "max lines"), 100),
            max_attempts=_or(_int(form, "max_attempts", "max attempts"), 5),
            wrap_up_s=_or(_int(form, "wrap_up_s", "wrap-up"), 0),
            record_calls=form.get("record_calls") == "on",
            amd_enabled=form.get("amd_enabled") == "on",
            amd_action=MachineAction(form.get("amd_action", "hangup")),
            amd_false_positive_pct=form.get("amd_false_positive_pct", "0"),
            abandon_message_text=form.get("abandon_message_text", ""),
            abandon_message_uploaded=bool(getattr(request.files.get("abandon_message_file"), "filename", "")),
            script=form.get("script", ""),
            retries=form.get("retries", ""),
            dispositions=form.get("dispositions", ""),
            team_ids=[int(t) for t in form.getlist("team_ids") if t.isdigit()],
            list_ids=[int(x) for x in form.getlist("list_ids") if x.isdigit()],
            schedule=parse_schedule(
                form.getlist("schedule_days"),
                form.get("schedule_start", ""),
                form.get("schedule_stop", ""),
                form.get("schedule_tz", "UTC"),
                form.get("schedule_first", ""),
                form.get("schedule_last", ""),
            ),
        )
    except ValueError as exc:  # FormError is a ValueError; so are bad enum values
        raise FormError(str(exc)) from None


@bp.get("/")
@requires(Perm.CAMPAIGNS)
def index():
    session = db()
    campaigns = services.visible_campaigns(session, team_scope())
    counts = dict(
        session.execute(select(Lead.campaign_id, func.count()).group_by(Lead.campaign_id)).tuples().all())
    return render_template(
        "campaigns/index.html", campaigns=campaigns, counts=counts, states=list(CampaignState)
    )


def _form_page(campaign: Campaign | None, status: int = 200):
    session = db()
    # A campaign stored with another mode keeps it on edit; a new one is outbound.
    modes = [*OUTBOUND_MODES, *([campaign.mode] if campaign and campaign.mode not in OUTBOUND_MODES else [])]
    return render_template(
        "campaigns/form.html",
        c=campaign,
        form=request.form if request.method == "POST" else None,
        schedule=ScheduleSpec.from_json(campaign.schedule) if campaign else None,
        hours=format_hours(campaign.calling_hours) if campaign else "",
        retries="\n".join(
            f"{r.outcome.value} {r.delay_s} {r.max_attempts or ''}".strip() for r in campaign.retry_rules
        )
        if campaign
        else "busy 1800 3\nno_answer 3600 3",
        dispositions="\n".join(format_disposition(d) for d in campaign.dispositions if d.active)
        if campaign
        else services.DEFAULT_DISPOSITIONS,
        teams=session.scalars(select(Team).order_by(Team.name)).all(),
        trunk_names=session.scalars(select(Trunk.name).order_by(Trunk.name)).all(),
        lists=session.scalars(select(LeadList).where(~LeadList.importing).order_by(LeadList.name)).all(),
        modes=modes,
        profiles=list(ComplianceProfile),
        profile_notes=notes(),
        amd_actions=list(MachineAction),
        outcomes=list(Outcome),
        weekdays=WEEKDAYS,
        amd_warning=amd_warning(session, campaign, utcnow()) if campaign else "",
    ), status


@bp.route("/new", methods=["GET", "POST"])
@requires(Perm.CAMPAIGNS)
def create():
    return _save(None)


@bp.route("/<int:campaign_id>", methods=["GET", "POST"])
@requires(Perm.CAMPAIGNS)
def edit(campaign_id: int):
    return _save(get_or_404(Campaign, campaign_id))


def _save(campaign: Campaign | None):
    if request.method == "GET":
        return _form_page(campaign)
    session = db()
    try:
        survey_input = survey.parse(request.form, request.files)
        saved = services.save_campaign(session, campaign, _input(request.form))
        survey.apply(saved, survey_input)
        _store_sound(saved)
    except (FormError, survey.SurveyError) as exc:
        session.rollback()
        flash(str(exc), "error")
        return _form_page(campaign, 400)
    audit.record(
        session,
        "campaign.create" if campaign is None else "campaign.update",
        "campaign",
        saved.id,
        name=saved.name,
    )
    session.commit()
    flash(f"Campaign {saved.name} saved.", "ok")
    if survey.changes_prompts(survey_input):
        publish_prompts(session)
    return redirect(url_for("campaigns.index"))


def _store_sound(campaign: Campaign) -> None:
    """An uploaded abandon message (WAV) goes to the instance dir, named after the campaign id."""
    upload = request.files.get("abandon_message_file")
    if upload is None or not upload.filename:
        return
    data = upload.read(MAX_SOUND_BYTES + 1)
    if len(data) > MAX_SOUND_BYTES or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise FormError("abandon message must be a WAV file under 5 MB")
    settings = current_app.config["SWITCHBOARD_SETTINGS"]
    target = Path(settings.instance_dir) / "sounds" / f"campaign-{campaign.id}-abandon.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    campaign.abandon_message_file = str(target)


@bp.get("/<int:campaign_id>/progress")
@requires(Perm.CAMPAIGNS)
def overview(campaign_id: int):
    """Progress, rates, the time left, why it is not dialing, and who last started or stopped it."""
    campaign = _in_scope(campaign_id)
    since = stream.hub().mark()  # before reading: a change while the page renders is caught up on
    now = utcnow()
    return render_template("campaigns/progress.html", c=campaign, p=progress(db(), campaign, now), now=now,
                           states=list(CampaignState), since=since)


@bp.get("/<int:campaign_id>/progress/events")
@requires(Perm.CAMPAIGNS)
def overview_events(campaign_id: int):
    """Says when the campaign's live part changed; at most every ``PROGRESS_GAP_S`` (its figures count
    over the campaign's whole lead table)."""
    _in_scope(campaign_id)
    return stream.events([campaign_topic(campaign_id)], min_gap_s=PROGRESS_GAP_S)


@bp.get("/<int:campaign_id>/progress/live")
@requires(Perm.CAMPAIGNS)
def overview_live(campaign_id: int):
    """The page's live part (figures and checks), fetched by htmx when the events say it changed."""
    campaign = _in_scope(campaign_id)
    now = utcnow()
    return render_template("campaigns/_progress.html", c=campaign, p=progress(db(), campaign, now), now=now)


def _in_scope(campaign_id: int) -> Campaign:
    """The campaign, 404 if unknown; 403 if none of the user's teams works it (``campaigns_within``)."""
    campaign = get_or_404(Campaign, campaign_id)
    if db().scalar(select(Campaign.id).where(Campaign.id == campaign_id,
                                             campaigns_within(team_scope()))) is None:
        abort(403)
    return campaign


@bp.post("/<int:campaign_id>/state")
@requires(Perm.CAMPAIGNS)
def set_state(campaign_id: int):
    session = db()
    campaign = get_or_404(Campaign, campaign_id)
    try:
        state = CampaignState(request.form.get("state", ""))
    except ValueError:
        abort(400)
    if services.set_state(session, campaign, state):
        audit.record(session, f"campaign.{state.value}", "campaign", campaign.id, name=campaign.name)
        session.commit()
        flash(f"Campaign {campaign.name} is now {state.value}.", "ok")
    if request.form.get("back") == "progress":
        return redirect(url_for("campaigns.overview", campaign_id=campaign.id))
    return redirect(url_for("campaigns.index"))
