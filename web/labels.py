"""The words the pages show for stored codes (states, modes, outcomes, reasons ...), in the reader's language.

The database and the runners keep codes ("on_call", "paused", "phone disconnected"); a template shows
``value | label('agent_state')``. One table per kind, since one code reads differently by kind: a paused
agent is 置忙, a paused campaign 已暂停. A code not in its table (a pause reason a later version adds,
a free-text runner note) is shown as it is, underscores as spaces, rather than hidden.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _p

LABELS: dict[str, dict[str, LazyString]] = {
    "role": {
        "admin": _l("admin"), "director": _l("director"), "supervisor": _l("supervisor"),
        "team_leader": _l("team_leader"), "qa": _l("QA"), "trainer": _l("trainer"),
        "data_manager": _l("data_manager"), "sysadmin": _l("sysadmin"), "agent": _l("agent"),
    },
    "agent_state": {
        "logged_out": _p("agent state", "logged out"), "ready": _p("agent state", "ready"),
        "reserved": _p("agent state", "reserved"), "on_call": _p("agent state", "on call"),
        "wrap_up": _p("agent state", "wrap up"), "paused": _p("agent state", "paused"),
    },
    "campaign_state": {
        "running": _p("campaign state", "running"), "paused": _p("campaign state", "paused"),
        "stopped": _p("campaign state", "stopped"),
    },
    "mode": {
        "preview": _l("preview"), "progressive": _l("progressive"), "predictive": _l("predictive"),
        "inbound": _l("inbound"), "blended": _l("blended"),
    },
    "direction": {"inbound": _p("direction", "inbound"), "outbound": _l("outbound")},
    "outcome": {
        "connected": _l("connected"), "busy": _l("busy"), "no_answer": _l("no answer"),
        "rejected": _l("rejected"), "congestion": _l("congestion"), "invalid_number": _l("invalid number"),
        "machine": _l("machine"), "abandoned": _l("abandoned"), "early_hangup": _l("early hangup"),
        "failed": _l("failed"), "lost": _l("lost"), "node_refused": _l("node refused"),
        # A finished lead no attempt gave an outcome (web.campaigns.progress); an attempt still going.
        "none": _p("outcome", "none"), "in_progress": _l("in progress"),
        # An inbound call's outcome in the queue (store.enums.QueueOutcome).
        "answered": _l("answered"), "overflow": _l("overflow"), "voicemail": _l("voicemail"),
        "callback": _p("outcome", "callback"), "closed": _l("closed"),
    },
    "lead_status": {
        "new": _l("new"), "pending": _p("lead status", "pending"), "callback": _l("callback"),
        "dialing": _l("dialing"),
        "done": _l("done"), "invalid": _l("invalid"), "dnc": _l("dnc"),
    },
    # Why an agent is paused or logged out: the agent's pause reasons and the runner's own.
    "reason": {
        "phone disconnected": _l("phone disconnected"), "phone not confirmed": _l("phone not confirmed"),
        "connecting": _l("connecting"),
        "break": _l("break"), "lunch": _l("lunch"), "training": _l("training"), "meeting": _l("meeting"),
        "admin": _p("pause reason", "admin"), "technical": _l("technical"), "log out": _l("log out"),
    },
    # What an agent asked the dialer for (store.enums.DeskCommand), waiting in their panel.
    "request": {
        "agent_login": _l("agent login"), "agent_state": _l("agent state"),
        "agent_logout": _l("agent logout"), "agent_leaving": _l("agent leaving"),
        "agent_move": _l("agent move"),
        "preview_dial": _l("preview dial"),
        "disposition": _l("disposition"), "monitor": _p("request", "monitor"), "end_call": _l("end call"),
    },
    # What a report groups by (web.reports.services.GROUPS), as a column title.
    "group": {
        "agent": _p("report group", "agent"), "team": _l("team"), "campaign": _l("campaign"),
        "hour": _l("hour"), "day": _l("day"),
    },
    # The call timeline's steps (web.calls.detail) and the AMD's verdicts.
    "step": {
        "originate": _l("originate"), "arrived": _l("arrived"), "ring": _l("ring"), "answer": _l("answer"),
        "AMD verdict": _l("AMD verdict"), "bridge": _l("bridge"), "abandoned": _p("step", "abandoned"),
        "hangup": _l("hangup"),
    },
    "amd": {"human": _l("human"), "machine": _p("amd", "machine"), "notsure": _l("not sure"),
            "undecided": _l("undecided")},
    "monitor": {"listen": _l("listen"), "whisper": _l("whisper"), "barge": _l("barge")},
    "payment": {"pending": _p("payment", "pending"), "paid": _l("paid")},
    "recording": {"ok": _l("ok"), "empty": _l("empty"), "damaged": _l("damaged"), "missing": _l("missing")},
    # The campaign page's "why isn't it dialing" checks.
    "check": {
        "state": _l("state"), "agents": _l("agents"), "leads": _l("leads"), "hours": _l("hours"),
        "cap": _l("cap"), "runner": _l("runner"),
    },
    # Why the dialer dials as it does (orchestrator.pacing.base.PacingReason).
    "pacing": {
        "amd_unreachable": _l("AMD false positives alone exceed the cap: dialing held near zero "
                              "abandons"),
        "cap_brake": _l("abandon brake: close to the cap"),
        "change": _l("answer rate or handle time changed: relearning"),
        "learning": _l("learning the answer rate"),
        "departures": _l("agents announced they leave"),
        "few_agents": _l("small team: a wider margin under the cap"),
        "pace": _l("dialing at the agents' expected availability"),
    },
}


def label(code: object, kind: str) -> str:
    """The reader's word for ``code`` of ``kind`` (an enum or its value); unknown codes as they are."""
    value = str(getattr(code, "value", code) or "")
    table = LABELS[kind]
    found = table.get(value) or table.get(value.replace(" ", "_"))  # "no answer" as a report words it
    return str(found) if found is not None else value.replace("_", " ")


def relabel(rows: list[dict[str, object]], key: str, kind: str) -> list[dict[str, object]]:
    """``rows`` with the code under ``key`` replaced by the reader's word for it (a chart's series)."""
    return [{**row, key: label(row[key], kind)} for row in rows]


def labelled(counts: dict[str, object], kind: str) -> dict[str, object]:
    """``counts`` keyed by the reader's words for its codes (a chart's labels)."""
    return {label(code, kind): n for code, n in counts.items()}
