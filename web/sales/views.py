"""Sales pages: catalogue and commission rules (director), orders with refunds and cancellations
(supervisor), sales against target (reports), commission statements and the payroll export."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from orchestrator.sales.commission import Shares
from store.models import Campaign, CommissionRule, Order, Product
from store.types import utcnow
from web.auth.roles import Perm, requires, team_scope, within
from web.csvsafe import safe_csv, safe_xlsx
from web.db import db
from web.http import day_or_none, finish, get_or_404, int_or_none
from web.sales import orders as order_actions
from web.sales.money import MoneyError, parse_money
from web.sales.services import (
    PAYROLL_HEADER,
    CommissionScope,
    by_team,
    month_statements,
    names,
    over_period,
    payroll_rows,
)
from web.sales.services import sales_vs_target as sales_rows

bp = Blueprint("sales", __name__, url_prefix="/sales")
MAX_DAYS = 366


class FormError(ValueError):
    pass


def _back(endpoint: str, error: Exception | None = None, ok: str = "") -> Response:
    return finish(endpoint, error, ok)


# -- the catalogue ----------------------------------------------------------------------------------


def _product_fields(form) -> tuple[str, Decimal, bool]:
    name = form.get("name", "").strip()
    if not name or len(name) > 128:
        raise FormError("a product needs a name of at most 128 characters")
    try:
        price = parse_money(form.get("price", ""), "the price")
    except MoneyError as exc:
        raise FormError(str(exc)) from None
    if price is None:
        raise FormError("a product needs a price (write it like 199.00)")
    return name, price, form.get("active") == "1"


@bp.get("/products")
@requires(Perm.PRODUCTS)
def products():
    session = db()
    return render_template(
        "sales/products.html",
        products=session.scalars(select(Product).order_by(Product.name)).all(),
        rules=session.scalars(select(CommissionRule).order_by(CommissionRule.first_day)).all(),
        campaigns=session.scalars(select(Campaign).order_by(Campaign.name)).all(),
    )


def _save_product(product: Product) -> Response:
    try:
        product.name, product.price, product.active = _product_fields(request.form)
        db().add(product)
        db().flush()
    except FormError as exc:
        return _back("sales.products", exc)
    except IntegrityError:
        return _back("sales.products", FormError(f"a product named {product.name!r} exists already"))
    return _back("sales.products", ok=f"Saved {product.name}.")


@bp.post("/products")
@requires(Perm.PRODUCTS)
def add_product():
    return _save_product(Product())


@bp.post("/products/<int:product_id>")
@requires(Perm.PRODUCTS)
def edit_product(product_id: int):
    return _save_product(get_or_404(Product, product_id))


def _percent(form, name: str) -> Decimal:
    text = form.get(name, "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        what = name.replace("_", " ")
        raise FormError(f"{what}: {text[:20]!r} is not a percentage (write it like 1.5)") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise FormError(f"{name.replace('_', ' ')}: a percentage with at most two decimals")
    return value


@bp.post("/rules")
@requires(Perm.PRODUCTS)
def add_rule():
    form, session = request.form, db()
    try:
        first = day_or_none(form.get("first_day"), "from")
        last = day_or_none(form.get("last_day"), "to")
        if first is None or (last is not None and last < first):
            raise FormError("a rule needs a first day, and its last day (if any) not before it")
        shares = Shares(*(_percent(form, n) for n in ("agent", "team_leader", "director", "others")))
        product_id, campaign_id = int_or_none(form.get("product_id")), int_or_none(form.get("campaign_id"))
        if product_id is not None and session.get(Product, product_id) is None:
            raise FormError("no such product")
        if campaign_id is not None and session.get(Campaign, campaign_id) is None:
            raise FormError("no such campaign")
    except ValueError as exc:  # FormError, and the shares' own checks
        return _back("sales.products", exc)
    session.add(CommissionRule(
        first_day=first, last_day=last, product_id=product_id, campaign_id=campaign_id,
        agent_pct=shares.agent, leader_pct=shares.leader,
        director_pct=shares.director, others_pct=shares.others,
    ))
    return _back("sales.products", ok="Commission rule added.")


@bp.post("/rules/<int:rule_id>/delete")
@requires(Perm.PRODUCTS)
def delete_rule(rule_id: int):
    db().delete(get_or_404(CommissionRule, rule_id))
    return _back("sales.products", ok="Commission rule deleted.")


# -- orders ---------------------------------------------------------------------------------------


def _period() -> tuple[date, date]:
    first = day_or_none(request.args.get("from"), "from") or utcnow().date()
    last = day_or_none(request.args.get("to"), "to") or first
    if last < first or (last - first) > timedelta(days=MAX_DAYS):
        abort(400, f"give a period of at most {MAX_DAYS} days, 'from' before 'to'")
    return first, last


@bp.get("/orders")
@requires(Perm.ORDERS)
def orders():
    first, last = _period()
    start, end = datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC)
    rows = db().scalars(
        select(Order)
        .where(Order.sold_at >= start, Order.sold_at < end, within(team_scope(), Order.team_id))
        .order_by(Order.sold_at.desc(), Order.id.desc())
        .limit(500)
    ).all()
    return render_template("sales/orders.html", orders=rows, first=first, last=last)


def _order(order_id: int) -> Order:
    order = get_or_404(Order, order_id)
    teams = team_scope()
    if teams is not None and order.team_id not in teams:
        abort(404)
    return order


@bp.post("/orders/<int:order_id>/refund")
@requires(Perm.ORDERS)
def refund(order_id: int):
    order = _order(order_id)
    try:
        order_actions.refund(db(), order, request.form.get("amount", ""), request.form.get("reason", ""),
                             current_user.id)
    except order_actions.OrderError as exc:
        return _back("sales.orders", exc)
    return _back("sales.orders", ok=f"Order {order.id} refunded.")


@bp.post("/orders/<int:order_id>/cancel")
@requires(Perm.ORDERS)
def cancel(order_id: int):
    order = _order(order_id)
    try:
        order_actions.cancel(db(), order, request.form.get("reason", ""), current_user.id)
    except order_actions.OrderError as exc:
        return _back("sales.orders", exc)
    return _back("sales.orders", ok=f"Order {order.id} cancelled.")


# -- targets --------------------------------------------------------------------------------------


def _target() -> Decimal:
    return Decimal(current_app.config["SWITCHBOARD_SETTINGS"].sales_target_per_agent_day)


@bp.get("/targets")
@requires(Perm.REPORTS)
def targets():
    first, last = _period()
    rows = sales_rows(db(), first, last, team_scope(), _target())
    return render_template("sales/targets.html", rows=rows, teams=by_team(rows), first=first, last=last,
                           target=_target(), team_totals=over_period(rows, "team"))


# -- commission -----------------------------------------------------------------------------------


def _month() -> date:
    raw = request.args.get("month", "").strip()
    if not raw:
        return utcnow().date().replace(day=1)
    try:
        month = datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        abort(400, f"month: write it as YYYY-MM, not {raw[:16]!r}")
    if not 1970 <= month.year <= 2999:
        abort(400, "month: give a month between 1970-01 and 2999-12")
    return month


def _scope() -> CommissionScope:
    return CommissionScope(current_user.id, team_scope())


@bp.get("/commission")
@requires(Perm.COMMISSION)
def commission():
    """Everyone in scope's totals; the lines of one of them (``person``; alone in scope: oneself)."""
    month, session = _month(), db()
    statements = month_statements(session, month, _scope())
    person = int_or_none(request.args.get("person"))
    shown = statements.get(person) if person is not None else None
    if shown is None and len(statements) == 1:
        shown = next(iter(statements.values()))
    return render_template("sales/commission.html", month=month, statements=statements, shown=shown,
                           who=names(session, list(statements)))


def _payroll(kind: str) -> Response:
    month = _month()
    rows = payroll_rows(db(), month, _scope())
    name = f"payroll-{month:%Y-%m}.{kind}"
    headers = {"Content-Disposition": f"attachment; filename={name}"}
    if kind == "csv":
        return Response(safe_csv(PAYROLL_HEADER, rows), mimetype="text/csv", headers=headers)
    return Response(
        safe_xlsx(PAYROLL_HEADER, rows, title=f"{month:%Y-%m}"),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers=headers,
    )


@bp.get("/commission/payroll.csv")
@requires(Perm.PAYROLL)
def payroll_csv():
    return _payroll("csv")


@bp.get("/commission/payroll.xlsx")
@requires(Perm.PAYROLL)
def payroll_xlsx():
    return _payroll("xlsx")
