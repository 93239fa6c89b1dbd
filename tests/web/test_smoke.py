"""Every page renders for a role allowed to see it."""

import pytest

PAGES_BY_ROLE = {
    "admin": [
        "/admin/seats",
        "/admin/users",
        "/admin/audit",
        "/campaigns/",
        "/campaigns/new",
        "/lists",
        "/dnc",
        "/wallboard/",
        "/wallboard/snapshot.json",
        "/calls",
        "/reports/",
        "/reports/export.csv",
        "/agent/",
    ],
    "sup": ["/campaigns/", "/campaigns/new", "/lists", "/dnc", "/wallboard/", "/calls", "/reports/"],
    "qa": ["/calls", "/reports/"],
    "agent1": ["/agent/", "/agent/status.json"],
}


@pytest.mark.parametrize("role", PAGES_BY_ROLE)
def test_pages_render(as_role, role):
    c = as_role(role)
    for page in PAGES_BY_ROLE[role]:
        response = c.get(page)
        assert response.status_code == 200, (page, response.get_data(as_text=True)[:2000])
