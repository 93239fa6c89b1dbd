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
from web.auth.roles import Perm, requires
from web.calls.services import CallFilter, check_recording, recording_file, search
from web.db import db
from web.http import bounded_int, day_or_none, get_or_404, int_or_none

bp = Blueprint("calls", __name__)
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
    rows, more = search(session, f)
    return render_template(
        "calls/index.html",
        rows=rows,
        more=more,
        f=f,
        args=args,
        agents=session.execute(
            select(Agent.id, User.username).join(Agent.user).order_by(User.username)
        ).all(),
        campaigns=session.execute(select(Campaign.id, Campaign.name).order_by(Campaign.name)).all(),
        outcomes=list(Outcome),
    )


def _recording_file(recording_id: int, *, damaged_ok: bool = False) -> tuple[Recording, Path]:
    """The recording and its file, checked first (and the result stored) if not known yet or missing.

    An empty or missing file is never served (410: the browser would play
    silence as if it were the call); a damaged one only as a download, for
    whoever needs to look into it.
    """
    session = db()
    recording = get_or_404(Recording, recording_id)
    default_root = current_app.config["SWITCHBOARD_SETTINGS"].recordings_dir
    node = session.get(PbxNode, recording.node_id) if recording.node_id else None
    path = recording_file(recording, node, default_root)
    if path is None:
        abort(404, "the recording's stored path is not inside its node's recordings directory")
    status = recording.status
    if status in (None, RecordingStatus.MISSING):
        check = check_recording(session, recording, default_root)  # stored once the call has ended
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
    _, path = _recording_file(recording_id)
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


@bp.get("/recordings/<int:recording_id>/download")
@requires(Perm.RECORDINGS)
def download(recording_id: int):
    recording, path = _recording_file(recording_id, damaged_ok=True)
    session = db()
    audit.record(session, "recording.download", "recording", recording.id)
    session.commit()
    return send_file(
        path,
        mimetype="audio/wav",
        as_attachment=True,
        download_name=f"call-{recording.call_id or recording.id}.wav",
    )
