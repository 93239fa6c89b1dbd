"""Sales through the forms: the catalogue, order lines at disposition, refunds and cancellations,
sales against target, commission statements in each reader's scope, and the payroll export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from store.enums import AgentState, CampaignState, Outcome, PaymentStatus, UserRole
from store.models import Agent, Order, Product, Seat, Team, User
from tests.web import seed
from tests.web.conftest import _password_hash
from web.db import sessions
from web.sales.services import CommissionScope, month_statements

HTMX = {"HX-Request": "true"}
EVIL = "=HYPERLINK(\"http://x\")"


@pytest.fixture
def floor(app):
    """agent1 in Team 1 (led by lea), agent2 in Team 2; a director (dir, display name a formula);
    sup and qa share the others' part; a running campaign; one product."""
    with app.app_context(), sessions().begin() as s:
        a1 = seed.agent(s)
        a1.seat = s.scalars(select(Seat)).one()
        people = {n: User(username=n, password_hash=_password_hash(), role=r, display_name=n)
                  for n, r in (("lea", UserRole.TEAM_LEADER), ("dir", UserRole.DIRECTOR),
                               ("agent2", UserRole.AGENT))}
        people["dir"].display_name = EVIL
        s.add_all(people.values())
        s.scalars(select(Team)).one().leader = people["lea"]
        seat2 = Seat(node=a1.seat.node, extension="8099", secret="seatsecret123")
        s.add(Agent(user=people["agent2"], team=Team(name="Team 2"), seat=seat2))
        c = seed.campaign(s, "Outbound")
        c.desired_state = CampaignState.RUNNING
        plan = Product(name="Plan", price=Decimal("199.00"))
        s.add(plan)
        s.flush()
        return {"campaign": c.id, "plan": plan.id}


def _on_call(app, phone: str, username: str = "agent1"):
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent).join(Agent.user).where(User.username == username)).one()
        c = s.scalars(select(seed.Campaign).where(seed.Campaign.name == "Outbound")).one()
        (lead,) = seed.leads(s, c, [phone])
        attempt = seed.attempt(s, lead, agent=a, start=now - timedelta(seconds=30), outcome=Outcome.CONNECTED)
        a.state, a.state_since = AgentState.WRAP_UP, now
        return attempt.id, {d.code: d.id for d in c.dispositions}


def _orders(app) -> list[Order]:
    with app.app_context(), sessions()() as s:
        return [o for o in s.scalars(select(Order).order_by(Order.id))]


def test_the_director_keeps_the_catalogue_and_bad_input_says_why(app, as_role, floor):
    director = as_role("dir")
    assert director.get("/sales/products").status_code == 200
    for form, error in [
        ({"name": "Gold", "price": "abc"}, "the price &#39;abc&#39; is not a number"),
        ({"name": "Gold", "price": ""}, "a product needs a price"),
        ({"name": "", "price": "10"}, "a product needs a name"),
        ({"name": "Plan", "price": "10"}, "a product named &#39;Plan&#39; exists already"),
        ({"name": "Gold", "price": "-1"}, "between 0 and 10,000,000,000"),
    ]:
        page = director.post("/sales/products", form, follow_redirects=True)
        assert page.status_code == 200
        assert error in page.get_data(as_text=True)
    page = director.post("/sales/products", {"name": "Gold", "price": "1299.5", "active": "1"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Saved Gold." in page
    # "active" unticked: the product is retired.
    director.post(f"/sales/products/{floor['plan']}", {"name": "Plan", "price": "199.00"})
    with app.app_context(), sessions()() as s:
        assert {p.name: (p.price, p.active) for p in s.scalars(select(Product))} == {
            "Plan": (Decimal("199.00"), False), "Gold": (Decimal("1299.50"), True)}
    assert as_role("agent1").get("/sales/products").status_code == 403
    assert as_role("sup").get("/sales/products").status_code == 403


def test_commission_rules_are_added_with_clear_errors(app, as_role, floor):
    director = as_role("dir")
    rule = {"first_day": "2026-11-01", "agent": "11", "team_leader": "1.5", "director": "1", "others": "1.5"}
    for change, error in [
        ({"agent": "90", "team_leader": "20"}, "more than 100 %"),
        ({"agent": "lots"}, "is not a percentage"),
        ({"agent": "1.555"}, "at most two decimals"),
        ({"first_day": ""}, "needs a first day"),
        ({"last_day": "2026-10-01"}, "not before it"),
    ]:
        page = director.post("/sales/rules", {**rule, **change}, follow_redirects=True)
        assert error in page.get_data(as_text=True)
    page = director.post("/sales/rules", {**rule, "product_id": str(floor["plan"]), "agent": "12"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Commission rule added." in page
    assert "<td>12.00</td>" in page


def test_an_agent_sells_several_lines_at_disposition(app, as_role, floor):
    attempt_id, codes = _on_call(app, "+442079460001")
    agent = as_role("agent1")
    assert "Plan (199.00)" in agent.get("/agent/").get_data(as_text=True)
    form = {"attempt_id": str(attempt_id), "disposition_id": str(codes["SALE"]),
            "product_id": [str(floor["plan"]), str(floor["plan"]), ""],
            "quantity": ["2", "", ""], "amount": ["", "150.00", ""],
            "payment": ["paid", "pending", "pending"]}
    response = agent.post("/agent/dispose", form, headers=HTMX)
    assert "Saved: Sale." in response.get_data(as_text=True)
    assert [(o.quantity, o.amount, o.payment) for o in _orders(app)] == [
        (2, Decimal("398.00"), PaymentStatus.PAID),  # no amount typed: price x quantity
        (1, Decimal("150.00"), PaymentStatus.PENDING),
    ]
    for change, error in [
        ({"disposition_id": str(codes["NO"])}, "Not interested takes no order"),
        ({"quantity": ["0", "", ""]}, "order line 1: the quantity is a whole number"),
        ({"quantity": ["²", "", ""]}, "order line 1: the quantity is a whole number"),
        ({"product_id": ["9" * 30, "", ""]}, "order line 1: choose a product"),
        ({"product_id": ["999", str(floor["plan"]), ""]}, "order line 1: choose a product"),
        ({"payment": ["paid", "later", "pending"]}, "order line 2: the payment is pending or paid"),
        ({"amount": ["", "1.001", ""]}, "order line 2: the amount has at most two decimals"),
    ]:
        response = agent.post("/agent/dispose", {**form, **change}, headers=HTMX)
        assert response.status_code == 422
        assert error in response.get_data(as_text=True)
    assert len(_orders(app)) == 2  # nothing half-written
    # Given again, the disposition replaces the call's lines.
    again = {**form, "product_id": [str(floor["plan"]), "", ""], "amount": ["", "", ""]}
    assert agent.post("/agent/dispose", again, headers=HTMX).status_code == 200
    assert [o.amount for o in _orders(app)] == [Decimal("398.00")]


def _sell(app, as_role, floor, phone: str, amount: str, payment: str = "paid", username: str = "agent1"):
    attempt_id, codes = _on_call(app, phone, username)
    agent = as_role(username)
    agent.get("/agent/")
    form = {"attempt_id": str(attempt_id), "disposition_id": str(codes["SALE"]),
            "product_id": str(floor["plan"]), "amount": amount, "payment": payment}
    assert agent.post("/agent/dispose", form, headers=HTMX).status_code == 200
    return _orders(app)[-1].id


def test_a_supervisor_refunds_and_cancels_orders(app, as_role, floor):
    paid = _sell(app, as_role, floor, "+442079460001", "1000.00")
    unpaid = _sell(app, as_role, floor, "+442079460002", "50.00", payment="pending")
    sup = as_role("sup")
    assert f'data-order="{paid}"' in sup.get("/sales/orders").get_data(as_text=True)
    for order, form, error in [
        (paid, {"amount": "1000.01"}, "at most 1000.00 is left to refund"),
        (paid, {"amount": "x"}, "the refund &#39;x&#39; is not a number"),
        (paid, {"amount": ""}, "give the amount refunded"),
        (unpaid, {"amount": "10"}, "only a paid order can be refunded"),
    ]:
        page = sup.post(f"/sales/orders/{order}/refund", form, follow_redirects=True)
        assert error in page.get_data(as_text=True)
    sup.post(f"/sales/orders/{paid}/refund", {"amount": "200", "reason": "damaged"})
    sup.post(f"/sales/orders/{unpaid}/cancel", {"reason": "changed mind"})
    page = sup.post(f"/sales/orders/{unpaid}/cancel", {}, follow_redirects=True).get_data(as_text=True)
    assert "cancelled already" in page
    with app.app_context(), sessions()() as s:
        p, u = s.get(Order, paid), s.get(Order, unpaid)
        assert (p.refunded, p.cancelled, u.refunded, u.cancelled) == (
            Decimal("200.00"), False, Decimal("50.00"), True)
        assert p.refunds[0].reason == "damaged"
    assert as_role("agent1").post(f"/sales/orders/{paid}/cancel", {}).status_code == 403
    assert sup.post("/sales/orders/99999/cancel", {}).status_code == 404


def _month_of_sales(app, as_role, floor):
    """agent1 sells 1000.00 (paid), agent2 sells 100.00; a supervisor refunds 200.00 of agent1's."""
    mine = _sell(app, as_role, floor, "+442079460001", "1000.00")
    _sell(app, as_role, floor, "+442079460002", "100.00", username="agent2")
    as_role("sup").post(f"/sales/orders/{mine}/refund", {"amount": "200"})


def _user_ids(app) -> dict[str, int]:
    with app.app_context(), sessions()() as s:
        return {u.username: u.id for u in s.scalars(select(User))}


def test_statements_are_scoped_at_the_query(app, as_role, floor):
    _month_of_sales(app, as_role, floor)
    ids = _user_ids(app)
    with app.app_context(), sessions()() as s:
        team1 = s.scalars(select(Team.id).where(Team.name == "Team 1")).one()
        month = datetime.now(UTC).date()

        def payable(scope: CommissionScope) -> dict[str, Decimal]:
            names = {v: k for k, v in ids.items()}
            return {names[p]: st.payable for p, st in month_statements(s, month, scope).items()}

        # Default rule, 15 %: 1000 - 200 sold by agent1 (Team 1, lea), 100 by agent2 (Team 2, no leader);
        # the others' 1.5 % is shared by sup and qa.
        assert payable(CommissionScope(ids["dir"], None)) == {
            "agent1": Decimal("88.00"), "agent2": Decimal("11.00"), "lea": Decimal("12.00"),
            "dir": Decimal("9.00"), "sup": Decimal("6.75"), "qa": Decimal("6.75")}
        assert payable(CommissionScope(ids["agent1"], frozenset())) == {"agent1": Decimal("88.00")}
        assert payable(CommissionScope(ids["agent2"], frozenset())) == {"agent2": Decimal("11.00")}
        assert payable(CommissionScope(ids["lea"], frozenset({team1}))) == {
            "agent1": Decimal("88.00"), "lea": Decimal("12.00")}


def test_each_reader_sees_their_statements_on_the_page(app, as_role, floor):
    _month_of_sales(app, as_role, floor)
    pages = {u: as_role(u).get("/sales/commission").get_data(as_text=True) for u in ("agent1", "lea", "dir")}
    shown = {u: {p for p in ("agent1", "agent2", "lea", "sup") if f'data-person="{p}"' in page}
             for u, page in pages.items()}
    assert shown == {"agent1": {"agent1"}, "lea": {"agent1", "lea"},
                     "dir": {"agent1", "agent2", "lea", "sup"}}
    assert "agent1: payable 88.00" in pages["agent1"]  # alone in scope: the lines are shown
    ids = _user_ids(app)
    detail = as_role("lea").get(f"/sales/commission?person={ids['agent1']}").get_data(as_text=True)
    assert "agent1: payable 88.00" in detail
    assert "<td>sale</td><td>agent</td><td>1000.00</td><td>11</td><td>110.00</td>" in detail
    assert "<td>refund</td><td>agent</td><td>200.00</td><td>11</td><td>-22.00</td>" in detail
    # Someone out of scope is not there to show, whatever the link says.
    outside = as_role("lea").get(f"/sales/commission?person={ids['agent2']}").get_data(as_text=True)
    assert 'id="statement"' not in outside
    assert "Payroll CSV" not in pages["agent1"]
    assert as_role("agent1").get("/sales/commission?month=2026-13").status_code == 400
    assert "write it as YYYY-MM" in as_role("agent1").get("/sales/commission?month=x").get_data(as_text=True)
    assert as_role("qa").get("/sales/commission").status_code == 403


def test_the_payroll_export_downloads_and_parses_back(app, as_role, floor):
    _month_of_sales(app, as_role, floor)
    director = as_role("dir")
    month = datetime.now(UTC).strftime("%Y-%m")
    response = director.get(f"/sales/commission/payroll.csv?month={month}")
    assert response.status_code == 200
    assert f"payroll-{month}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_user = {r["user"]: r for r in rows}
    assert (by_user["agent1"]["earned"], by_user["agent1"]["clawed_back"], by_user["agent1"]["payable"]) == (
        "110.00", "22.00", "88.00")
    assert by_user["dir"]["name"] == "'" + EVIL  # a formula is text in a spreadsheet
    response = director.get(f"/sales/commission/payroll.xlsx?month={month}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == ("month", "user", "name", "role", "earned", "clawed_back", "payable")
    xlsx = {r[1]: r for r in table[1:]}
    assert xlsx["agent1"][4:] == (110, 22, 88)
    assert xlsx["dir"][2] == "'" + EVIL
    assert sum(Decimal(r["payable"]) for r in rows) == Decimal("133.50")
    assert as_role("lea").get(f"/sales/commission/payroll.csv?month={month}").status_code == 403


def test_sales_against_target_on_the_report_and_the_wallboard(app, as_role, floor):
    _month_of_sales(app, as_role, floor)
    page = as_role("sup").get("/sales/targets").get_data(as_text=True)
    assert "Target: 700 per agent-day" in page
    assert "<td>agent1</td><td>Team 1</td>" in page
    assert "<td>1000.00</td><td>200.00</td>" in page
    lea = as_role("lea").get("/sales/targets").get_data(as_text=True)
    assert "agent2" not in lea
    board = as_role("sup").get("/wallboard/snapshot.json").get_json()
    assert {t["team"]: (t["net"], t["target"]) for t in board["sales_today"]} == {
        "Team 1": ("800.00", "700.00"), "Team 2": ("100.00", "700.00")}
