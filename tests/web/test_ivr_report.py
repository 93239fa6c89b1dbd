"""IVR use per option on the reports page and the IVR page, against hand-counted steps: per menu its
callers, each key with where it led, no choice after the retries, unknown keys, no key in time and
hang-ups in the menu, with their share of the menu's callers and a chart of the same figures; the IVR
page shows today's. A team leader's reports have no IVR (the centre's)."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from store.enums import InboundTarget
from store.models import InboundRoute, IvrEvent, IvrMenu
from store.types import utcnow
from tests.web import seed
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.db import sessions

DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
#: (call, step, key, go, target-is-the-queue) of four callers of the main menu and one of its sub-menu
STEPS = [
    ("c1", "enter", "", "", False), ("c1", "key", "1", "route", True),
    ("c2", "enter", "", "", False), ("c2", "invalid", "7", "", False), ("c2", "timeout", "", "", False),
    ("c2", "none", "9", "callback", False),
    ("c3", "enter", "", "", False), ("c3", "hangup", "", "", False),
    ("c4", "enter", "", "", False), ("c4", "key", "1", "route", True),
]


def _menus(app, at: datetime) -> tuple[int, int]:
    """The main menu (key 1 to the hotline, 9 a callback) and a sub-menu, with the steps at ``at``."""
    with app.app_context(), sessions().begin() as s:
        queue = seed.hotline(s)
        main = IvrMenu(name="Welcome", options={"1": {"go": "route", "to": queue.id},
                                                "9": {"go": "callback"}})
        sub = IvrMenu(name="Sales", options={"1": {"go": "hangup"}})
        s.add_all([main, sub])
        s.flush()
        s.add(InboundRoute(name="400 IVR", did="14005550420", trunk_id=queue.trunk_id,
                           target=InboundTarget.IVR, ivr_id=main.id))
        for i, (call, step, key, go, to_queue) in enumerate(STEPS):
            s.add(IvrEvent(at=at + timedelta(seconds=i), menu_id=main.id, call_id=call, step=step, key=key,
                           go=go, target=queue.id if to_queue else 0))
        s.add(IvrEvent(at=at, menu_id=sub.id, call_id="c5", step="enter"))
        s.add(IvrEvent(at=at - timedelta(days=1), menu_id=sub.id, call_id="c0", step="enter"))  # a day before
        return main.id, sub.id


def _rows(table: str) -> list[tuple[str, ...]]:
    return [tuple(html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", row))
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td>" in row]


def test_each_menu_s_options_with_their_share_of_its_callers_and_a_chart(app, as_role):
    main, sub = _menus(app, DAY)
    page = as_role("sup").get("/reports/?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    assert "Menu Welcome: 4 callers" in page
    assert "Menu Sales: 1 caller<" in page
    table = page[page.index(f'id="ivr-menu-{main}"'):]
    table = table[:table.index("</table>")]
    assert _rows(table) == [
        ("Key 1: to 400 hotline", "2", "50.0%"),
        ("No choice after the retries: a callback request", "1", "25.0%"),
        ("Unknown key", "1", "25.0%"), ("No key in time", "1", "25.0%"),
        ("Hung up in the menu", "1", "25.0%"),
    ]
    chart = re.search(rf"id=\"ivr-chart-{main}\"[^>]*aria-describedby=\"ivr-menu-{main}\" "
                      rf"data-chart='([^']*)'", page)
    assert chart is not None
    spec = json.loads(html.unescape(chart.group(1)))
    assert spec["labels"][0] == "Key 1: to 400 hotline"
    assert spec["datasets"] == [{"label": "Times", "data": [2, 1, 1, 1, 1]}]
    assert _rows(page[page.index(f'id="ivr-menu-{sub}"'):].split("</table>")[0]) == []  # entered, nothing yet


def test_a_period_without_ivr_callers_has_no_ivr_section(app, as_role):
    _menus(app, DAY)
    page = as_role("sup").get("/reports/?from=2026-03-04&to=2026-03-05").get_data(as_text=True)
    assert "IVR use per option" not in page


def test_a_team_leader_s_reports_have_no_ivr(app, as_role, two_teams):  # noqa: F811
    _menus(app, DAY)
    page = as_role("lead1").get("/reports/?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    assert "IVR use per option" not in page


def test_the_ivr_page_counts_today_s_callers_per_option(app, as_role):
    main, sub = _menus(app, utcnow() - timedelta(seconds=30))
    page = as_role("sup").get("/admin/ivr").get_data(as_text=True)
    row = page[page.index(f'<tr id="menu-{main}">'):]
    today = row[row.index('class="today"'):row.index("</ul>")]
    assert '<span class="visits">4 callers</span>' in today
    for option, times in (("Key 1: to 400 hotline", 2), ("Unknown key", 1), ("Hung up in the menu", 1)):
        assert f'<li>{option}: <span class="times">{times}</span></li>' in today
    sub_row = page[page.index(f'<tr id="menu-{sub}">'):]
    assert '<span class="visits">1 caller</span>' in sub_row[:sub_row.index("</tr>")]  # not yesterday's


@pytest.mark.parametrize("bad", ["from=2026-03-05&to=2026-03-02", "from=yesterday"])
def test_a_bad_period_is_a_clear_400(app, as_role, bad):
    _menus(app, DAY)
    assert as_role("sup").get(f"/reports/?{bad}").status_code == 400


def test_the_wallboard_shows_today_s_ivr_use_to_those_who_see_every_team(app, as_role, two_teams):  # noqa: F811
    _menus(app, utcnow() - timedelta(seconds=30))
    board = as_role("sup").get("/wallboard/board").get_data(as_text=True)
    welcome = board[board.index('data-menu="Welcome"'):]
    welcome = welcome[:welcome.index("</table>")]
    assert "<caption>Welcome: 4 callers</caption>" in welcome
    assert "<tr><td>Key 1: to 400 hotline</td><td>2</td></tr>" in welcome
    assert "<tr><td>Hung up in the menu</td><td>1</td></tr>" in welcome
    data = as_role("sup").get("/wallboard/snapshot.json").get_json()
    assert {u["menu"]: u["callers"] for u in data["ivr_today"]} == {"Welcome": 4, "Sales": 1}
    assert "IVR today" not in as_role("lead1").get("/wallboard/board").get_data(as_text=True)
