"""The trainer's knowledge-base pages: articles (write, edit, retire), their versions, and how agents use
them (reads and "didn't help" presses, with what they had searched). Agents search from their panel
(``web.agent.knowledge``); the search and the writes are ``store.knowledge``'s.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from store import knowledge as kb
from store.models import KbArticle, KbArticleVersion
from store.types import utcnow
from web.auth import audit
from web.auth.roles import Perm, requires
from web.db import db
from web.http import bounded_int, finish, get_or_404

bp = Blueprint("kb", __name__, url_prefix="/kb")


def _input(form) -> kb.ArticleInput:
    return kb.ArticleInput(
        form.get("title", ""), form.get("body", ""), form.get("tags", ""), form.get("product", "")
    )


@bp.get("")
@requires(Perm.KNOWLEDGE)
def index():
    """Every article with its reads and "didn't help" presses over the last ``days``, most read first."""
    days = bounded_int(request.args.get("days"), "days", 1, 3660, 30)
    since = utcnow() - timedelta(days=days)
    session = db()
    return render_template(
        "knowledge/index.html",
        rows=kb.usage(session, since),
        days=days,
        unhelpful=kb.complaints(session, since),
    )


@bp.get("/new")
@requires(Perm.KNOWLEDGE)
def new():
    return render_template("knowledge/edit.html", a=None)


@bp.post("/new")
@requires(Perm.KNOWLEDGE)
def create():
    session = db()
    try:
        article = kb.save_article(session, None, _input(request.form), current_user.id, utcnow())
    except kb.KbError as exc:
        session.rollback()
        return render_template("knowledge/edit.html", a=None, error=str(exc), typed=request.form), 422
    audit.record(session, "kb.create", "kb_article", article.id)
    return finish("kb.edit", ok=f"Article {article.id} saved.", article_id=article.id)


@bp.get("/<int:article_id>")
@requires(Perm.KNOWLEDGE)
def edit(article_id: int):
    return render_template("knowledge/edit.html", a=get_or_404(KbArticle, article_id))


@bp.post("/<int:article_id>")
@requires(Perm.KNOWLEDGE)
def save(article_id: int):
    session, article = db(), get_or_404(KbArticle, article_id)
    try:
        kb.save_article(session, article, _input(request.form), current_user.id, utcnow())
    except kb.KbError as exc:
        session.rollback()
        return render_template(
            "knowledge/edit.html", a=get_or_404(KbArticle, article_id), error=str(exc), typed=request.form
        ), 422
    audit.record(session, "kb.edit", "kb_article", article.id, version=article.version)
    return finish(
        "kb.edit", ok=f"Article {article.id} saved as version {article.version}.", article_id=article.id
    )


@bp.post("/<int:article_id>/active")
@requires(Perm.KNOWLEDGE)
def set_active(article_id: int):
    """Retire an article (agents no longer find it; its history stays) or bring it back."""
    session, article = db(), get_or_404(KbArticle, article_id)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400, "active=0 (retire) or active=1 (bring back)")
    article.active = wanted == "1"
    audit.record(session, "kb.active" if article.active else "kb.retire", "kb_article", article.id)
    return finish(
        "kb.edit",
        ok="Article back in the agents' search."
        if article.active
        else "Article retired: agents no longer find it.",
        article_id=article.id,
    )


@bp.get("/<int:article_id>/versions/<int:number>")
@requires(Perm.KNOWLEDGE)
def version(article_id: int, number: int):
    row = db().scalar(
        select(KbArticleVersion).where(
            KbArticleVersion.article_id == article_id, KbArticleVersion.number == number
        )
    )
    if row is None:
        abort(404)
    return render_template("knowledge/version.html", v=row)
