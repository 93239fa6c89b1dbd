"""Agent panel: one page; actions are small POSTs that queue commands for the runner.

The page is made of parts (``templates/agent/_*.html``). The status part
(state, reason, commands waiting, the call's progress) is refreshed by htmx
from ``/agent/live`` each time ``/agent/events`` says the agent's topic
changed (``web.live``: their row, their call, their requests); the parts the agent types into (the
disposition form, the log-in and preview controls) are replaced only when
what they are about changed (another call on screen, logged in or out,
another preview lead), so a state change underneath never wipes typed notes
or amounts. The disposition form posts with htmx too and shows its result
(or its error) next to the form, keeping what was typed.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from store import knowledge
from store.enums import AgentState, CampaignMode
from store.models import Agent, Attempt, Call, Campaign, Lead
from store.types import utcnow
from web.agent import care, inbound, script, services, transfer
from web.agent.services import LOG_OUT, PAUSE_REASONS, AgentError, DispositionInput
from web.auth.roles import Perm, requires
from web.db import db
from web.http import finish, get_or_404, int_or_none
from web.live import stream
from web.live.changes import agent_topic
from web.quality import visits
from web.sales.orders import LineInput, active_products

bp = Blueprint("agent", __name__, url_prefix="/agent")


@bp.app_template_filter("script_for")
def script_for(attempt: Attempt) -> str:
    """The campaign's script with the lead's merge fields filled (plain text: the template escapes it)."""
    lead = attempt.lead
    return script.fill(attempt.campaign.script, script.merge_values(lead.fields or {}, lead.phone,
                                                                      lead.external_ref))


#: Order rows on the disposition form (rows left empty are ignored).
ORDER_ROWS = 4


def _me() -> Agent:
    if current_user.agent_id is None:
        abort(403, "this user has no agent profile")
    return get_or_404(Agent, current_user.agent_id)


def _keys(agent: Agent, attempt: Attempt | None, preview: Lead | None,
          caller: inbound.InboundOnScreen | None = None, care_call: Call | None = None,
          part: object = None) -> dict[str, str]:
    """What each typed-into part shows; the part is re-rendered only when its key changes (a call the
    agent transferred once: its part's form, without the transfer control)."""
    call = str(attempt.id) if attempt else (f"in:{caller.call.id}" if caller else "")
    return {
        "controls": f"{agent.state is AgentState.LOGGED_OUT}:{preview.id if preview else ''}",
        "call": f"{call}:part" if part is not None else call,
        "care": str(care_call.id) if care_call else "",
    }


def _context(agent: Agent) -> dict[str, object]:
    session = db()
    attempt = services.current_attempt(session, agent)
    preview = services.preview_lead(session, agent)
    logged_out = agent.state is AgentState.LOGGED_OUT
    caller = inbound.current_inbound(session, agent)
    if attempt is not None and caller is not None and caller.call.attempt_id != attempt.id:
        caller = None  # an outbound call on screen: the inbound pop is for inbound calls only
    care_call = care.last_call(session, agent)
    part = transfer.part_of(session, agent, attempt) if attempt is not None else None
    on_call = agent.state is AgentState.ON_CALL
    return {
        "agent": agent,
        "attempt": attempt,
        "inbound": caller,
        "hotline_only": logged_out and inbound.hotline_only(session, agent),
        "note": services.state_note(agent),
        "seconds": int((utcnow() - agent.state_since).total_seconds()) if agent.state_since else None,
        "seats": services.free_seats(session, agent) if logged_out else [],
        "campaigns": services.campaigns_for(session, agent) if logged_out else [],
        "reasons": PAUSE_REASONS,
        "leave_reasons": (*PAUSE_REASONS, LOG_OUT),
        "preview_campaigns": services.campaigns_for(session, agent, CampaignMode.PREVIEW),
        "preview": preview,
        "commands": services.pending(session, agent),
        "callbacks": services.my_callbacks(session, agent),
        "keys": _keys(agent, attempt, preview, caller, care_call, part),
        "part": part,
        "transfer_targets": transfer.targets(session, agent) if on_call and part is None else [],
        "care_call": care_call,
        "products": active_products(session) if attempt else [],
        "order_rows": ORDER_ROWS,
    }


@bp.get("/")
@requires(Perm.AGENT_PANEL)
def panel():
    if current_user.agent_id is None:
        return render_template("agent/no_agent.html")
    # The knowledge-base part is rendered with the page only (live updates never replace it).
    since = stream.hub().mark()  # before reading: a change while the page renders is caught up on
    return render_template("agent/panel.html", since=since, kb_products=knowledge.products(db()),
                           **_context(_me()))


@bp.get("/events")
@requires(Perm.AGENT_PANEL)
def events():
    return stream.events([agent_topic(_me().id)])


@bp.get("/live")
@requires(Perm.AGENT_PANEL)
def live():
    """The status parts as htmx out-of-band swaps, plus any typed-into part whose subject changed."""
    context = _context(_me())
    parts = [render_template("agent/_status.html", oob=True, **context),
             render_template("agent/_callbacks.html", oob=True, **context)]
    keys = cast(dict[str, str], context["keys"])
    if request.args.get("shown_controls") != keys["controls"]:
        parts.append(render_template("agent/_controls.html", oob=True, **context))
    if request.args.get("shown_call") != keys["call"]:
        parts.append(render_template("agent/_call.html", oob=True, **context))
    if request.args.get("shown_care") != keys["care"]:
        parts.append(render_template("agent/_care.html", oob=True, **context))
    return "\n".join(parts)


def _status(agent: Agent, attempt) -> dict[str, object]:
    return {
        "state": agent.state.value,
        "reason": agent.state_reason,
        "attempt": str(attempt.id) if attempt else None,
        "bridged": bool(attempt and attempt.bridged_at),
        "ended": bool(attempt and attempt.ended_at),
    }


@bp.get("/status.json")
@requires(Perm.AGENT_PANEL)
def status():
    agent = _me()
    return jsonify(_status(agent, services.current_attempt(db(), agent)))


def _act(action, *args, ok: str = ""):
    try:
        action(db(), _me(), *args)
    except AgentError as exc:
        return finish("agent.panel", exc)
    return finish("agent.panel", ok=ok)


@bp.post("/login")
@requires(Perm.AGENT_PANEL)
def login():
    form = request.form
    seat_id, campaign_id = int_or_none(form.get("seat_id")) or 0, int_or_none(form.get("campaign_id")) or 0
    return _act(
        services.log_in, seat_id, campaign_id, current_user.id, ok="Logging in: your phone will ring."
    )


@bp.post("/logout")
@requires(Perm.AGENT_PANEL)
def logout():
    return _act(services.log_out, current_user.id)


@bp.post("/ready")
@requires(Perm.AGENT_PANEL)
def ready():
    return _act(services.set_ready, current_user.id)


@bp.post("/end-call")
@requires(Perm.AGENT_PANEL)
def end_call():
    return _act(services.end_call, current_user.id, ok="Call ended.")


@bp.post("/transfer")
@requires(Perm.AGENT_PANEL)
def transfer_call():
    """A blind transfer of the customer to a READY colleague of the node (``web.agent.transfer``)."""
    session = db()
    try:
        _, target = transfer.request(session, _me(), int_or_none(request.form.get("to_agent_id")),
                                     request.form.get("confirm") == "yes", current_user.id)
    except transfer.TransferError as exc:
        session.rollback()
        return finish("agent.panel", exc)
    return finish("agent.panel", ok=f"Transferring the customer to {target.user.username}.")


@bp.post("/pause")
@requires(Perm.AGENT_PANEL)
def pause():
    return _act(services.pause, request.form.get("reason", ""), current_user.id)


@bp.post("/leaving")
@requires(Perm.AGENT_PANEL)
def leaving():
    reason, at = request.form.get("reason", ""), request.form.get("at", "").strip()
    return _act(services.announce_leaving, reason, at, current_user.id,
                ok="The dialer will stop sending you customers before you go.")


@bp.post("/preview/next")
@requires(Perm.AGENT_PANEL)
def preview_next():
    session = db()
    campaign = get_or_404(Campaign, int_or_none(request.form.get("campaign_id")))
    try:
        lead = services.next_preview(session, _me(), campaign)
    except AgentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("agent.panel"))
    session.commit()
    if lead is None:
        flash("No lead is due in this campaign now.", "ok")
    return redirect(url_for("agent.panel"))


@bp.post("/preview/skip")
@requires(Perm.AGENT_PANEL)
def preview_skip():
    return _act(services.skip_preview)


@bp.post("/preview/dial")
@requires(Perm.AGENT_PANEL)
def preview_dial():
    return _act(services.dial_preview, current_user.id, ok="Dialing...")


def _order_lines(form) -> tuple[LineInput, ...]:
    """The form's order rows (``product_id``, ``quantity``, ``amount``, ``payment``, repeated)."""
    columns = [form.getlist(name) for name in ("product_id", "quantity", "amount", "payment")]
    rows = max(map(len, columns))
    cell = [(col + [""] * rows)[:rows] for col in columns]
    return tuple(LineInput(*(c[i] for c in cell)) for i in range(rows))


@bp.post("/dispose")
@requires(Perm.AGENT_PANEL)
def dispose():
    """Saved with htmx: the answer is a message next to the form, which keeps what was typed."""
    form, session, htmx = request.form, db(), request.headers.get("HX-Request") == "true"
    try:
        data = DispositionInput(
            attempt_id=form.get("attempt_id", ""),
            disposition_id=int_or_none(form.get("disposition_id")) or 0,
            lines=_order_lines(form),
            notes=form.get("notes", ""),
            callback_at=services.browser_time(form.get("callback_at", ""),
                                                  int_or_none(form.get("tz_offset_min")) or 0),
        )
        agent = _me()
        done = services.dispose(session, agent, data, current_user.id)
        visited = visits.record_visit(session, done.attempt, done.disposition, agent, data.notes, utcnow())
    except AgentError as exc:
        session.rollback()
        if htmx:
            return render_template("agent/_message.html", category="error", message=str(exc)), 422
        flash(str(exc), "error")
        return redirect(url_for("agent.panel"))
    session.commit()
    message = f"Saved: {done.label}." + (" It is applied when the call ends." if done.call_up else "")
    message += "".join(f" Complaint {ticket_id}: return visit done." for ticket_id in visited)
    if htmx:
        return render_template("agent/_message.html", category="ok", message=message)
    flash(message, "ok")
    return redirect(url_for("agent.panel"))
