"""Reports page (tables + server-rendered charts) and its CSV export."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy import select

from store.models import Team
from store.types import utcnow
from web.auth.roles import Perm, requires, team_scope, within
from web.csvsafe import safe_csv, safe_xlsx
from web.db import db
from web.http import day_or_none, int_or_none
from web.pdf import table_pdf
from web.reports import inbound, ivr, quality, survey
from web.reports.morning import MorningReport, hms, morning_report
from web.reports.services import GROUPS, Period, outcomes, sales_by_disposition, volume
from web.sales.services import over_period, sales_vs_target

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_filter(hms, "hms")
MAX_DAYS = 366
#: The query values the CSV export link carries over (any other name could clash with url_for's own).
EXPORT_ARGS = ("from", "to", "group", "daily")


def _params() -> tuple[Period, str, bool]:
    args = request.args
    first = day_or_none(args.get("from"), "from") or utcnow().date()
    last = day_or_none(args.get("to"), "to") or first
    if last < first or (last - first) > timedelta(days=MAX_DAYS):
        abort(400, f"give a period of at most {MAX_DAYS} days, 'from' before 'to'")
    group = args.get("group", "agent")
    if group not in GROUPS:
        abort(400, f"group by one of: {', '.join(GROUPS)}")
    return Period(first, last), group, args.get("daily") == "1"


@bp.get("/")
@requires(Perm.REPORTS)
def index():
    period, group, daily = _params()
    session = db()
    teams = team_scope()
    rows = volume(session, period, group, daily, teams)
    people = "team" if group == "team" else "agent"  # whose sales meet a target
    return render_template(
        "reports/index.html",
        rows=rows,
        hourly=volume(session, period, "hour", False, teams),
        people=people,
        targets=over_period(sales_vs_target(session, period.first, period.last, teams, _target()), people),
        outcomes=outcomes(session, period, teams),
        sales=sales_by_disposition(session, period, group, teams),
        period=period,
        group=group,
        daily=daily,
        groups=GROUPS,
        export_args={k: v for k, v in request.args.items() if k in EXPORT_ARGS},
        totals=_totals(rows),
        # The hotline is the centre's: its queue figures for those who see every team, each agent's
        # inbound calls for anyone (in scope).
        inbound_routes=inbound.by_route(session, period) if teams is None else [],
        inbound_agents=inbound.by_agent(session, period, teams),
        ivr_menus=ivr.in_language(ivr.menu_use(session, period)) if teams is None else [],
        service_level_s=inbound.SERVICE_LEVEL_S,
        surveys=survey.figures(session, period, group, teams),
        qa_people="agent" if group == "agent" else "team",
        qa_weekly=quality.qa_weekly(session, period, group, teams),
        tickets=quality.tickets_by_state(session, period, teams, utcnow()),
    )


def _totals(rows: list[dict]) -> list[dict]:
    """The rows summed over their days (a daily report's chart has one bar per name)."""
    by_name: dict[str, dict] = {}
    for r in rows:
        t = by_name.setdefault(r["name"], {"name": r["name"], "dials": 0, "connects": 0, "sales": 0})
        for field in ("dials", "connects", "sales"):
            t[field] += r[field]
    return list(by_name.values())


def _target() -> Decimal:
    return Decimal(current_app.config["SWITCHBOARD_SETTINGS"].sales_target_per_agent_day)


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


@bp.get("/morning")
@requires(Perm.REPORTS)
def morning():
    """A team's day for the morning meeting (yesterday unless ``day``), as a page, XLSX or PDF; a team
    leader picks among the teams they lead."""
    session = db()
    teams = session.scalars(select(Team).where(within(team_scope(), Team.id)).order_by(Team.name)).all()
    if not teams:
        abort(404, "no team to report on: create teams and put agents in them (Users)")
    wanted = int_or_none(request.args.get("team"))
    team = next((t for t in teams if t.id == wanted), None) if wanted is not None else teams[0]
    if team is None:
        abort(404, "no such team among yours")
    day = day_or_none(request.args.get("day"), "day") or utcnow().date() - timedelta(days=1)
    report = morning_report(session, team, day, _target())
    kind = request.args.get("format", "")
    if kind in ("xlsx", "pdf"):
        header, rows = report.table()
        name = f"morning-{team.id}-{day}.{kind}"
        if kind == "xlsx":
            body, mimetype = safe_xlsx(header, rows, title=f"{day}"), XLSX
        else:
            body, mimetype = table_pdf(f"{team.name}: {day}", _subtitle(report), header, rows), PDF
        return Response(body, mimetype=mimetype,
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return render_template("reports/morning.html", report=report, teams=teams, team=team, day=day,
                           subtitle=_subtitle(report))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


def _subtitle(report: MorningReport) -> str:
    total = report.total
    reached = f"{total.amount / report.target * 100:.1f} %" if report.target else "no one logged in"
    return (f"Sales {total.amount} against a target of {report.target} ({reached}); "
            f"{total.connects} connects from {total.dials} dials (UTC day).")
