"""Issue 19's small fixes: page titles, editing users with confirmation, the import preview and its
error words, the script's merge fields, masked SIP secrets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from store.enums import AgentState, Outcome, UserRole
from store.models import Agent, AuditLog, Campaign, Seat, Team, User
from tests.web import seed
from tests.web.test_agent import running  # noqa: F401 - fixture: a running campaign agent1 works
from tests.web.test_import import _upload_bytes
from web.agent.script import fill, merge_values
from web.db import sessions
from web.leads import importer

PAGES = ["/wallboard/", "/campaigns/", "/campaigns/new", "/lists", "/dnc", "/calls", "/reports", "/sms",
         "/fax", "/sales/targets", "/sales/orders", "/sales/products", "/admin/users", "/admin/audit",
         "/admin/seats", "/admin/trunks"]


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_every_page_has_its_own_title(as_role):
    admin = as_role("admin")
    titles = {}
    for url in PAGES:
        page = admin.get(url, follow_redirects=True)
        assert page.status_code == 200, url
        titles[url] = _title(page.get_data(as_text=True))
    assert all(t.endswith(" · Switchboard") for t in titles.values()), titles
    assert len(set(titles.values())) == len(PAGES), titles
    assert titles["/calls"] == "Calls · Switchboard"


def test_a_new_user_needs_a_chosen_role(app, as_role):
    admin = as_role("admin")
    form = admin.get("/admin/users").get_data(as_text=True)
    assert '<option value="" selected disabled>choose a role…</option>' in form  # no silent admin
    page = admin.post("/admin/users", {"username": "newbie", "password": "long enough pw"},
                      follow_redirects=True)
    assert "User not created: choose a role." in page.get_data(as_text=True)
    page = admin.post("/admin/users", {"username": "newbie", "password": "long enough pw", "role": "boss"},
                      follow_redirects=True)
    assert "User not created: unknown role &#39;boss&#39;." in page.get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(User).where(User.username == "newbie")) is None


def _ids(app) -> tuple[int, int, int, int]:
    with app.app_context(), sessions().begin() as s:
        seed.agent(s, "agent1", "Team 1")
        s.add(Team(name="Team 2"))
        s.flush()
        teams = dict(s.execute(select(Team.name, Team.id)).tuples().all())
        users = dict(s.execute(select(User.username, User.id)).tuples().all())
        return users["sup"], users["agent1"], teams["Team 1"], teams["Team 2"]


def test_an_admin_changes_role_and_led_teams_after_confirming(app, as_role):
    sup_id, _, team1, team2 = _ids(app)
    admin = as_role("admin")
    sup = as_role("sup")
    form = {"role": "team_leader", "led_team_ids": str(team2)}
    review = admin.post(f"/admin/users/{sup_id}/edit", form).get_data(as_text=True)
    assert "Confirm these changes" in review
    assert "<strong>role</strong>: supervisor → team_leader" in review
    assert "<strong>leads</strong>: none → Team 2" in review
    with app.app_context(), sessions()() as s:
        assert s.get(User, sup_id).role is UserRole.SUPERVISOR  # nothing changed before the confirmation
    done = admin.post(f"/admin/users/{sup_id}/edit", {**form, "confirm": "yes"}, follow_redirects=True)
    assert "sup: role supervisor → team_leader; leads none → Team 2." in done.get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        assert s.get(User, sup_id).role is UserRole.TEAM_LEADER
        assert s.get(Team, team2).leader_id == sup_id
        assert s.get(Team, team1).leader_id is None
        (row,) = s.scalars(select(AuditLog).where(AuditLog.action == "user.update")).all()
        assert (row.actor, row.target_id) == ("admin", str(sup_id))
        assert row.details["changes"]["role"] == {"old": "supervisor", "new": "team_leader"}
    assert sup.get("/wallboard/").status_code == 302  # a new role: logged out everywhere


def test_an_admin_moves_an_agent_to_another_team(app, as_role):
    _, agent_id, _, team2 = _ids(app)
    admin = as_role("admin")
    panel = as_role("agent1")
    review = admin.post(f"/admin/users/{agent_id}/edit", {"role": "agent", "team_id": str(team2)})
    assert "<strong>team</strong>: Team 1 → Team 2" in review.get_data(as_text=True)
    admin.post(f"/admin/users/{agent_id}/edit", {"role": "agent", "team_id": str(team2), "confirm": "yes"})
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(Agent.team_id).where(Agent.user_id == agent_id)) == team2
    assert panel.get("/agent/").status_code == 200  # a team change does not end an agent's session


def test_user_edits_that_are_refused_say_why(app, as_role):
    sup_id, agent_id, _, _ = _ids(app)
    admin = as_role("admin")
    with app.app_context(), sessions()() as s:
        admin_id = s.scalar(select(User.id).where(User.username == "admin"))
    cases = [
        (agent_id, {"role": "admin"}, "Not changed: agents have a desk of their own"),
        (sup_id, {"role": "agent"}, "Not changed: agents have a desk of their own"),
        (admin_id, {"role": "director"}, "Not changed: you cannot change your own role"),
        (sup_id, {"role": ""}, "Not changed: choose a role."),
        (sup_id, {"role": "supervisor", "led_team_ids": "999"}, "Not changed: unknown team."),
    ]
    for user_id, form, message in cases:
        page = admin.post(f"/admin/users/{user_id}/edit", form)
        assert page.status_code == 400, form
        assert message in page.get_data(as_text=True), form
    page = admin.post(f"/admin/users/{sup_id}/edit", {"role": "supervisor"}, follow_redirects=True)
    assert "Nothing to change for sup." in page.get_data(as_text=True)
    assert admin.get("/admin/users/999/edit").status_code == 404
    assert as_role("sup").get(f"/admin/users/{sup_id}/edit").status_code == 403


def test_the_mapping_preview_is_a_table_of_cells(as_role):
    sup = as_role("sup")
    csv = b"first,last,phone\nEve,Rossi,+442079460001\nAl,Bo,+442079460002\n"
    token = _upload_bytes(sup, csv, "people.csv")
    html = sup.get(f"/lists/import/{token}/mapping").get_data(as_text=True)
    assert "<td>Eve</td><td>Rossi</td><td>+442079460001</td>" in html
    assert "[" not in html.split("<table>")[1].split("</table>")[0]  # no Python list anywhere in it


def test_import_errors_are_in_plain_words():
    assert importer.normalise("+999 1234 5678", "US") == (
        "unknown country code: write the number with + and its country code, or choose the list's country")
    assert importer.normalise("1", "US") == "not a phone number"
    assert not any("string supplied" in (importer.normalise(raw, "US") or "") for raw in ["+", "++1", "+1"])
    with_nul = importer._csv_reason(__import__("csv").Error("line contains NUL"))
    assert with_nul == "the line holds a NUL character: is this a text (CSV) file?"
    unknown = importer._csv_reason(__import__("csv").Error("some new library text"))
    assert unknown == "this line cannot be read as CSV"


def test_a_broken_workbook_gets_a_clear_reason(as_role):
    sup = as_role("sup")
    token = _upload_bytes(sup, b"PK\x03\x04 not really a zip", "leads.xlsx")
    page = sup.get(f"/lists/import/{token}/mapping", follow_redirects=True).get_data(as_text=True)
    assert "not a readable Excel workbook: save it as .xlsx (Excel 2007 or later) or as CSV" in page
    assert "BadZipFile" not in page


def test_merge_fields_fill_the_script():
    values = merge_values({"First name": "Eve", "City": None}, "+442079460001", None)
    assert fill("Hi {first_name} from { City }, calling {phone}; ref {external_ref}.", values) == (
        "Hi Eve from [City], calling +442079460001; ref [external_ref].")
    assert fill("{not a field!} and {}", values) == "{not a field!} and {}"  # only names are merge fields


def test_the_agent_panel_shows_the_script_with_fields_filled_and_escaped(app, as_role, running):  # noqa: F811
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        a = s.scalars(select(Agent)).one()
        a.seat = s.scalars(select(Seat)).one()
        c = s.scalars(select(Campaign).where(Campaign.name == "Outbound")).one()
        c.script = "Hello {first_name}, is {missing} there?"
        (lead,) = seed.leads(s, c, ["+442079460001"])
        lead.fields = {"first_name": "<b>Eve</b>"}
        seed.attempt(s, lead, agent=a, start=now - timedelta(seconds=30), outcome=Outcome.CONNECTED,
                     ended=False)
        a.state, a.state_since = AgentState.ON_CALL, now
    page = as_role("agent1").get("/agent/").get_data(as_text=True)
    assert '<pre class="script">Hello &lt;b&gt;Eve&lt;/b&gt;, is [missing] there?</pre>' in page
    assert "{first_name}" not in page


def test_sip_secrets_are_masked_until_revealed(app, as_role):
    with app.app_context(), sessions().begin() as s:
        seed.agent(s)
    html = as_role("admin").get("/admin/seats").get_data(as_text=True)
    assert re.search(r'<details class="reveal"><summary[^>]*>•+ show</summary>'
                     r'<code class="secret">seatsecret123</code>'
                     r"</details>", html)
