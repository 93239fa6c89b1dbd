"""QA pages: sampling policies, the weekly work list, the scoring page, calibration, agents' scores.

Scope: a team leader works on the teams they lead, QA, supervisors and directors on every team
(``team_scope``), in each query's WHERE clause; a call outside it is a 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from orchestrator.quality import sampling
from orchestrator.quality.scorecard import FormError, score, spread
from store.enums import ScoreReply
from store.models import QaPolicy, QaScore, Scorecard, Team
from store.types import utcnow
from web.auth import audit
from web.auth.roles import Perm, requires, team_scope, within
from web.db import db
from web.http import day_or_none, finish, get_or_404, int_or_none
from web.quality import services as qa
from web.sales.money import MoneyError, parse_money

bp = Blueprint("qa", __name__, url_prefix="/qa")
MAX_NOTE = 2000


def _teams():
    return db().scalars(select(Team).where(within(team_scope(), Team.id)).order_by(Team.name)).all()


# -- policies ---------------------------------------------------------------------------------------


@bp.get("/policies")
@requires(Perm.QA_FORMS)
def policies():
    session = db()
    stored = {p.team_id: p for p in session.scalars(select(QaPolicy))}
    return render_template("quality/policies.html", teams=_teams(), stored=stored,
                           default=sampling.Policy(),
                           scorecards=session.scalars(select(Scorecard).order_by(Scorecard.name)).all())


def _whole(form, name: str, what: str) -> int:
    value = int_or_none(form.get(name))
    if value is None:
        raise FormError(f"{what}: give a whole number")
    return value


@bp.post("/policies/<int:team_id>")
@requires(Perm.QA_FORMS)
def save_policy(team_id: int):
    session, form = db(), request.form
    team = get_or_404(Team, team_id)
    try:
        sale_above = parse_money(form.get("sale_above", ""), "the sale amount")
        codes = ",".join(c.strip().upper() for c in form.get("complaint_codes", "").split(",") if c.strip())
        if len(codes) > 255:
            raise FormError("complaint codes: at most 255 characters")
        policy = sampling.Policy(
            _whole(form, "per_agent", "calls per agent"), _whole(form, "short_s", "short"),
            _whole(form, "long_s", "long"), sale_above, frozenset(codes.split(",")),
            _whole(form, "due_days", "days to score"))
        scorecard_id = int_or_none(form.get("scorecard_id"))
        if scorecard_id is not None and session.get(Scorecard, scorecard_id) is None:
            raise FormError("no such scorecard")
    except (ValueError, MoneyError) as exc:  # FormError, PolicyError
        return finish("qa.policies", exc)
    row = session.scalar(select(QaPolicy).where(QaPolicy.team_id == team_id)) or QaPolicy(team_id=team_id)
    row.per_agent, row.short_s, row.long_s, row.due_days = (policy.per_agent, policy.short_s, policy.long_s,
                                                            policy.due_days)
    row.sale_above, row.complaint_codes, row.scorecard_id = sale_above, codes, scorecard_id
    session.add(row)
    audit.record(session, "qa.policy", "team", team_id, per_agent=policy.per_agent)
    return finish("qa.policies", ok=f"Sampling policy of {team.name} saved.")


# -- the work list ----------------------------------------------------------------------------------


def _week() -> date:
    day = day_or_none(request.args.get("week"), "week")
    return sampling.week_of(day or utcnow().date() - timedelta(days=7))


@bp.get("/worklist")
@requires(Perm.QA_SCORE)
def worklist():
    week, teams = _week(), team_scope()
    team_id = int_or_none(request.args.get("team_id"))
    rows = qa.work_list(db(), week, teams, team_id)
    return render_template("quality/worklist.html", rows=rows, week=week, teams=_teams(), team_id=team_id,
                           prev=week - timedelta(days=7), next=week + timedelta(days=7))


@bp.post("/worklist/draw")
@requires(Perm.QA_SCORE)
def draw():
    session, form = db(), request.form
    team_id = int_or_none(form.get("team_id"))
    day = day_or_none(form.get("week"), "week")
    if team_id is None or day is None:
        abort(400, "choose a team and a week")
    scope = team_scope()
    if session.get(Team, team_id) is None or (scope is not None and team_id not in scope):
        abort(404)
    week = sampling.week_of(day)
    try:
        result = qa.draw_sample(session, team_id, week)
    except qa.QaError as exc:
        return finish("qa.worklist", exc, week=week.isoformat(), team_id=team_id)
    audit.record(session, "qa.draw", "team", team_id, week=week.isoformat(), calls=len(result.picks))
    n = len(result.picks)
    done = f"Sampled {n} call{'' if n == 1 else 's'} of the week of {week}, due {result.due_on}."
    return finish("qa.worklist", ok=done,
                 week=week.isoformat(), team_id=team_id)


# -- scoring ----------------------------------------------------------------------------------------


def _call(call_id: int) -> qa.CallView:
    view = qa.call_in_scope(db(), call_id, team_scope())
    if view is None:
        abort(404)
    return view


@bp.get("/calls/<int:call_id>")
@requires(Perm.QA_SCORE)
def score_page(call_id: int):
    session, view = db(), _call(call_id)
    version = qa.version_for(session, view.team_id, int_or_none(request.args.get("scorecard_id")))
    scores = qa.scores_of_call(session, call_id)
    mine = next((s for s, _ in scores if s.scorer_id == current_user.id), None)
    return render_template("quality/score.html", v=view, version=version,
                           form=qa.form_of(version) if version else None, mine=mine,
                           versions=qa.published(session), scores=scores,
                           spread=spread([s.percent for s, _ in scores]))


@bp.post("/calls/<int:call_id>")
@requires(Perm.QA_SCORE)
def save(call_id: int):
    session, view, form = db(), _call(call_id), request.form
    version = qa.version_for(session, view.team_id, int_or_none(form.get("scorecard_id")))
    if version is None:
        abort(400, "choose a published scorecard to score with")
    card = qa.form_of(version)
    answers = {i.key: form.get(f"a_{i.key}", "").strip().lower() for i in card.items()}
    typed = {i.key: form.get(f"n_{i.key}", "").strip()[:MAX_NOTE] for i in card.items()}
    notes = {key: note for key, note in typed.items() if note}
    comment = form.get("comment", "").strip()[:MAX_NOTE]
    try:
        result = score(card, answers)
        saved = qa.save_score(session, view, version, result, answers, notes, comment, current_user.id)
    except (FormError, qa.QaError) as exc:
        return finish("qa.score_page", exc, call_id=call_id, scorecard_id=version.scorecard_id)
    audit.record(session, "qa.score", "call", call_id, score=str(saved.percent), version=version.id)
    verdict = "fails on a critical item" if result.failed else f"scores {result.percent} %"
    return finish("qa.score_page", ok=f"Saved: the call {verdict}.", call_id=call_id,
                 scorecard_id=version.scorecard_id)


# -- agents: their own scores -----------------------------------------------------------------------


@bp.get("/mine")
@requires(Perm.OWN_SCORES)
def mine():
    session = db()
    scores = qa.own_scores(session, current_user.agent_id) if current_user.agent_id else []
    return render_template("quality/mine.html", scores=[(s, qa.form_of(s.version)) for s in scores])


@bp.post("/scores/<int:score_id>/reply")
@requires(Perm.OWN_SCORES)
def reply(score_id: int):
    session, form = db(), request.form
    row = get_or_404(QaScore, score_id)
    if current_user.agent_id is None or row.agent_id != current_user.agent_id:
        abort(404)  # somebody else's score
    note = form.get("note", "").strip()[:MAX_NOTE]
    try:
        action = ScoreReply(form.get("action", ""))
        if action is ScoreReply.OPEN:
            raise ValueError
    except ValueError:
        abort(400, "acknowledge or dispute")
    if row.reply is not ScoreReply.OPEN:
        return finish("qa.mine", qa.QaError(f"you {row.reply.value} this score already"))
    if action is ScoreReply.DISPUTED and not note:
        return finish("qa.mine", qa.QaError("say what you dispute: a dispute needs a note"))
    row.reply, row.reply_note, row.replied_at = action, note, utcnow()
    audit.record(session, f"qa.{action.value}", "qa_score", row.id)
    return finish("qa.mine", ok=f"Score {action.value}.")
