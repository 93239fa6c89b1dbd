"""Call log page and recording playback/download.

Recordings are served with ``send_file(conditional=True)``: Werkzeug answers
``Range`` requests with 206 partial content, which browsers need to seek in
an ``<audio>`` element without downloading the whole file.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from sqlalchemy import select

from store.enums import Outcome, RecordingStatus
from store.models import Agent, Campaign, PbxNode, Recording, User
from web.auth import audit
from web.auth.roles import Perm, requires, team_scope, within
from web.calls.detail import call_detail, in_scope
from web.calls.services import (
    CallFilter,
    archived_on,
    check_recording,
    recording_file,
    recording_in_scope,
    search,
)
from web.db import db
from web.http import bounded_int, day_or_none, get_or_404, int_or_none

bp = Blueprint("calls", __name__)
bp.add_app_template_filter(archived_on, "archived_on")
#: Deeper than anyone pages (use the filters); keeps OFFSET far from the databases' limits.
MAX_PAGE = 100_000


@bp.get("/calls")
@requires(Perm.CALLS)
def index():
    session = db()
    args = request.args
    try:
        outcome = Outcome(args["outcome"]) if args.get("outcome") else None
    except ValueError:
        abort(400, "unknown outcome")
    f = CallFilter(
        agent_id=int_or_none(args.get("agent_id")),
        campaign_id=int_or_none(args.get("campaign_id")),
        outcome=outcome,
        day_from=day_or_none(args.get("from"), "from"),
        day_to=day_or_none(args.get("to"), "to"),
        number=args.get("number", "")[:64],
        page=bounded_int(args.get("page"), "page", 0, MAX_PAGE, 0),
    )
    teams = team_scope()
    rows, more = search(session, f, teams)
    return render_template(
        "calls/index.html",
        rows=rows,
        more=more,
        f=f,
        args=args,
        agents=session.execute(
            select(Agent.id, User.username).join(Agent.user).where(within(teams, Agent.team_id))
            .order_by(User.username)
        ).all(),
        campaigns=session.execute(select(Campaign.id, Campaign.name).order_by(Campaign.name)).all(),
        outcomes=list(Outcome),
    )


@bp.get("/calls/<int:call_id>")
@requires(Perm.CALLS)
def detail(call_id: int):
    """One call: timeline, recording, disposition, sale and notes; 403 for a call of another team."""
    found = call_detail(db(), call_id)
    if found is None:
        abort(404)
    if not in_scope(found, team_scope()):
        abort(403)
    return render_template("calls/detail.html", d=found)


def _recording_file(recording_id: int, *, damaged_ok: bool = False) -> tuple[Recording, Path]:
    """The recording and its file, checked first (and the result stored) if not known yet or missing.

    An empty or missing file is never served (410: the browser would play
    silence as if it were the call); a damaged one only as a download, for
    whoever needs to look into it.
    """
    session = db()
    recording = get_or_404(Recording, recording_id)
    if not recording_in_scope(session, recording, team_scope()):
        abort(404)  # another team's call: as if it did not exist
    settings = current_app.config["SWITCHBOARD_SETTINGS"]
    default_root, archive_root = settings.recordings_dir, settings.recordings_archive
    node = session.get(PbxNode, recording.node_id) if recording.node_id else None
    path = recording_file(recording, node, default_root, archive_root)
    if path is None:
        abort(404, "the recording's stored path is not inside its node's recordings directory")
    status = recording.status
    if status in (None, RecordingStatus.MISSING):
        # Stored once the call has ended.
        check = check_recording(session, recording, default_root, archive_root=archive_root)
        session.commit()
        # A call still being recorded has an open header: serve what is there, unless there is nothing.
        status = recording.status or (check.status if check.status is RecordingStatus.MISSING else None)
    if status is RecordingStatus.MISSING:
        abort(410, "the recording file is no longer on disk")
    if status is RecordingStatus.EMPTY or (status is RecordingStatus.DAMAGED and not damaged_ok):
        abort(410, f"the recording is {status.value}: {recording.status_reason or 'no audio'}")
    return recording, path


@bp.get("/recordings/<int:recording_id>")
@requires(Perm.RECORDINGS)
def play(recording_id: int):
    """Audited like a download (someone listened to a customer's call); served under a neutral name."""
    recording, path = _recording_file(recording_id)
    _audit(recording, "recording.play")
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0,
                     download_name=_public_name(recording))


@bp.get("/recordings/<int:recording_id>/download")
@requires(Perm.RECORDINGS)
def download(recording_id: int):
    recording, path = _recording_file(recording_id, damaged_ok=True)
    _audit(recording, "recording.download")
    return send_file(path, mimetype="audio/wav", as_attachment=True, download_name=_public_name(recording))


def _public_name(recording: Recording) -> str:
    """The name a browser sees: never the PBX's file name (it carries numbers and node paths)."""
    return f"call-{recording.call_id or recording.id}.wav"


def _audit(recording: Recording, action: str) -> None:
    """Once per listening, not per range request: the browser's seeks ask again with a Range header."""
    if request.method == "GET" and request.headers.get("Range", "bytes=0-").startswith("bytes=0-"):
        session = db()
        audit.record(session, action, "recording", recording.id)
        session.commit()
