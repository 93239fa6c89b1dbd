"""Log-in/out, users and teams (admin), and the audit log page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from store.enums import UserRole
from store.models import AuditLog, Team, User
from web.auth import audit, editing, throttle
from web.auth.roles import HOME, Perm, requires
from web.auth.services import (
    UserError,
    authenticate,
    create_user,
    identity,
    revoke_sessions,
    set_password,
)
from web.db import db
from web.http import get_or_404, int_or_none

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never an open redirect after log-in."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("auth/login.html")
    username = request.form.get("username", "")
    counters = throttle.keys("login", username, request.remote_addr)
    limiter = throttle.throttle()
    blocked = limiter.wait(counters)
    if blocked is not None:
        key, seconds = blocked
        throttle.refused(key)
        flash(f"Too many failed log-ins; try again in {seconds} s.", "error")
        return render_template("auth/login.html"), 429, {"Retry-After": str(seconds)}
    store = db()
    user = authenticate(store, username, request.form.get("password", ""))
    if user is None:
        for key in limiter.failed(counters):
            audit.record(store, "login.throttled", key.scope, key.who)
        store.commit()
        flash("Wrong user name or password.", "error")
        return render_template("auth/login.html"), 401
    limiter.succeeded(counters[0])
    store.commit()
    # A new session from scratch: nothing (CSRF token included) carries over from before log-in.
    session.clear()
    session.permanent = True  # expires after the configured lifetime, checked on every request
    login_user(identity(store, user.id))
    return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))


@bp.post("/logout")
def logout():
    """Log out here and everywhere: the session version moves on, so a copied cookie dies too."""
    if current_user.is_authenticated:
        store = db()
        user = store.get(User, current_user.id)
        if user is not None:
            revoke_sessions(user)
            store.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """Send each role to its main page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[current_user.role]))


@bp.route("/admin/users", methods=["GET", "POST"])
@requires(Perm.USERS)
def users():
    session = db()
    if request.method == "POST":
        form = request.form
        try:
            team_id = int_or_none(form.get("team_id"))
            user = create_user(
                session,
                form.get("username", ""),
                form.get("password", ""),
                editing.parse_role(form.get("role", "")),
                display_name=form.get("display_name", ""),
                team_id=team_id,
            )
        except UserError as exc:
            flash(f"User not created: {exc}.", "error")
        else:
            audit.record(
                session, "user.create", "user", user.id, username=user.username, role=user.role.value
            )
            session.commit()
            flash(f"User {user.username} created.", "ok")
            return redirect(url_for("auth.users"))
    return render_template(
        "auth/users.html",
        users=session.scalars(select(User).order_by(User.username)).all(),
        teams=session.scalars(select(Team).order_by(Team.name)).all(),
        roles=list(UserRole),
    )


@bp.post("/admin/users/<int:user_id>/active")
@requires(Perm.USERS)
def set_active(user_id: int):
    session = db()
    user = get_or_404(User, user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate yourself.", "error")
        return redirect(url_for("auth.users"))
    user.active = request.form.get("active") == "1"
    revoke_sessions(user)
    audit.record(session, "user.activate" if user.active else "user.deactivate", "user", user.id)
    session.commit()
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/role")
@requires(Perm.USERS)
def set_role(user_id: int):
    """A new role takes effect at once: the user's open sessions end and they log in again."""
    session = db()
    user = get_or_404(User, user_id)
    try:
        role = UserRole(request.form.get("role", ""))
    except ValueError:
        flash("Unknown role.", "error")
        return redirect(url_for("auth.users"))
    if (role is UserRole.AGENT) != (user.role is UserRole.AGENT):
        flash("Agents have a desk of their own: create a new account instead.", "error")
        return redirect(url_for("auth.users"))
    audit.record(session, "user.role", "user", user.id, old=user.role.value, new=role.value)
    user.role = role
    revoke_sessions(user)
    session.commit()
    flash(f"{user.username} is now {role.value}.", "ok")
    return redirect(url_for("auth.users"))


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires(Perm.USERS)
def edit_user(user_id: int):
    """Role and team: the first POST shows what would change, the confirmed one makes it (audited)."""
    session = db()
    user = get_or_404(User, user_id)
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    page = {"u": user, "teams": teams, "roles": list(UserRole), "led": editing.led_teams(session, user)}
    if request.method == "GET":
        return render_template("auth/user_edit.html", **page)
    form = request.form
    try:
        edit = editing.UserEdit(
            role=editing.parse_role(form.get("role", "")),
            team_id=int_or_none(form.get("team_id")),
            led_team_ids=frozenset(int(t) for t in form.getlist("led_team_ids") if t.isdigit()),
        )
        changes = editing.plan(session, user, edit, current_user.id)
    except UserError as exc:
        flash(f"Not changed: {exc}.", "error")
        return render_template("auth/user_edit.html", **page), 400
    if not changes:
        flash(f"Nothing to change for {user.username}.", "ok")
        return redirect(url_for("auth.users"))
    if form.get("confirm") != "yes":
        return render_template("auth/user_edit.html", **page, changes=changes, edit=edit)
    audit.record(session, "user.update", "user", user.id, username=user.username,
                 changes={c.what: {"old": c.old, "new": c.new} for c in changes})
    editing.apply(session, user, edit)
    session.commit()
    flash(f"{user.username}: " + "; ".join(f"{c.what} {c.old} → {c.new}" for c in changes) + ".", "ok")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/password")
@requires(Perm.USERS)
def reset_password(user_id: int):
    session = db()
    user = get_or_404(User, user_id)
    try:
        set_password(user, request.form.get("password", ""))
    except UserError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.users"))
    audit.record(session, "user.password", "user", user.id, username=user.username)
    session.commit()
    flash(f"Password of {user.username} changed.", "ok")
    return redirect(url_for("auth.users"))


@bp.post("/admin/teams")
@requires(Perm.USERS)
def create_team():
    session = db()
    name = request.form.get("name", "").strip()
    if not name or session.scalar(select(Team.id).where(Team.name == name)):
        flash("Team name missing or already used.", "error")
    else:
        leader_id = int_or_none(request.form.get("leader_id"))
        team = Team(name=name, leader_id=leader_id)
        session.add(team)
        session.flush()
        audit.record(session, "team.create", "team", team.id, name=name)
        session.commit()
    return redirect(url_for("auth.users"))


@bp.get("/admin/audit")
@requires(Perm.AUDIT)
def audit_log():
    rows = db().scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(200)).all()
    return render_template("auth/audit.html", rows=rows)
