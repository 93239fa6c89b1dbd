"""Reports page (tables + server-rendered charts) and its CSV export."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, render_template, request

from store.types import utcnow
from web.auth.roles import Perm, requires, team_scope
from web.csvsafe import safe_csv
from web.db import db
from web.http import day_or_none
from web.reports import inbound
from web.reports.services import Period, sales_by_disposition, volume

bp = Blueprint("reports", __name__, url_prefix="/reports")
MAX_DAYS = 366
#: The query values the CSV export link carries over (any other name could clash with url_for's own).
EXPORT_ARGS = ("from", "to", "group", "daily")


def _params() -> tuple[Period, str, bool]:
    args = request.args
    first = day_or_none(args.get("from"), "from") or utcnow().date()
    last = day_or_none(args.get("to"), "to") or first
    if last < first or (last - first) > timedelta(days=MAX_DAYS):
        abort(400, f"give a period of at most {MAX_DAYS} days, 'from' before 'to'")
    group = "team" if args.get("group") == "team" else "agent"
    return Period(first, last), group, args.get("daily") == "1"


@bp.get("/")
@requires(Perm.REPORTS)
def index():
    period, group, daily = _params()
    session = db()
    teams = team_scope()
    rows = volume(session, period, group, daily, teams)
    return render_template(
        "reports/index.html",
        rows=rows,
        sales=sales_by_disposition(session, period, group, teams),
        period=period,
        group=group,
        daily=daily,
        export_args={k: v for k, v in request.args.items() if k in EXPORT_ARGS},
        chart=_totals(rows),
        # The hotline is the centre's: its queue figures for those who see every team, each agent's
        # inbound calls for anyone (in scope).
        inbound_routes=inbound.by_route(session, period) if teams is None else [],
        inbound_agents=inbound.by_agent(session, period, teams),
        service_level_s=inbound.SERVICE_LEVEL_S,
    )


def _totals(rows: list[dict]) -> list[dict]:
    by_name: dict[str, dict] = {}
    for r in rows:
        t = by_name.setdefault(r["name"], {"name": r["name"], "connects": 0, "sales": 0})
        t["connects"] += r["connects"]
        t["sales"] += r["sales"]
    return list(by_name.values())


@bp.get("/export.csv")
@requires(Perm.REPORTS)
def export():
    period, group, daily = _params()
    rows = volume(db(), period, group, daily, team_scope())
    header = [group, "day", "dials", "connects", "talk_s", "occupancy", "sales", "amount"]
    body = (
        [r["name"], r["day"], r["dials"], r["connects"], r["talk_s"],
         "" if r["occupancy"] is None else f"{r['occupancy']:.4f}", r["sales"], r["amount"]]
        for r in rows
    )
    name = f"report-{group}-{period.first}-{period.last}.csv"
    return Response(
        safe_csv(header, body), mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
