"""The knowledge base in the agent panel: search while on a call, read an article, say it didn't help.

Each answer is a fragment htmx puts into the panel's knowledge-base part (``agent/_kb.html``), which
the panel's poller never replaces and which sits outside the disposition form, so searching never
touches what the agent typed into the form. Reading an article counts as a use ("most used" on the
trainer's page), with the call on the agent's screen.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from store import knowledge as kb
from store.models import Agent, KbArticle
from store.types import utcnow
from web.agent.care import call_on_screen
from web.auth.roles import Perm, requires
from web.db import db
from web.http import get_or_404

bp = Blueprint("agent_kb", __name__, url_prefix="/agent/kb")


def _me() -> Agent:
    if current_user.agent_id is None:
        abort(403, "this user has no agent profile")
    return get_or_404(Agent, current_user.agent_id)


def _fragment(template: str, **context: object) -> str:
    """The fragment for htmx; the same inside a page when the browser asked without htmx."""
    if request.headers.get("HX-Request") == "true":
        return render_template(template, **context)
    return render_template("agent/kb_page.html", fragment=template, **context)


@bp.get("/search")
@requires(Perm.AGENT_PANEL)
def search():
    q = request.args.get("q", "")[: kb.MAX_QUERY]
    hits = kb.search(db(), q, request.args.get("product", "")[:64])
    return _fragment("agent/_kb_results.html", q=q, hits=hits, searched=bool(kb.terms(q)))


@bp.get("/<int:article_id>")
@requires(Perm.AGENT_PANEL)
def article(article_id: int):
    session = db()
    found = get_or_404(KbArticle, article_id)
    if not found.active:
        abort(404)
    q = request.args.get("q", "")[: kb.MAX_QUERY]
    call = call_on_screen(session, _me())
    kb.record(session, found, kb.OPENED, current_user.id, utcnow(), call.id if call else None, q)
    session.commit()
    return _fragment("agent/_kb_article.html", a=found, q=q)


@bp.post("/<int:article_id>/unhelpful")
@requires(Perm.AGENT_PANEL)
def unhelpful(article_id: int):
    session = db()
    found = get_or_404(KbArticle, article_id)
    call = call_on_screen(session, _me())
    kb.record(
        session,
        found,
        kb.UNHELPFUL,
        current_user.id,
        utcnow(),
        call.id if call else None,
        request.form.get("q", ""),
        request.form.get("note", ""),
    )
    session.commit()
    return _fragment(
        "agent/_message.html",
        category="ok",
        message="Thanks: the trainer sees that this article did not help.",
    )
