"""The supervisor is told why the dial level is what it is: the runner stores the policy's
explanation (``PacingExplained``) and the wallboard shows it; the campaign page warns when the
AMD false positives alone exceed the compliance cap."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from orchestrator.dialer.facts import PacingExplained
from runner.fact_writers import Target, writer_for
from store import compliance
from store.enums import CampaignState, ComplianceProfile
from store.models import PbxNode
from tests.web import seed
from web.db import sessions


def test_the_wallboard_shows_the_runners_explanation_and_the_campaign_page_the_amd_warning(app, as_role):
    now = datetime.now(UTC).timestamp()
    with app.app_context(), sessions().begin() as s:
        seed.agent(s)
        c = seed.campaign(s, "UK list")
        c.desired_state = CampaignState.RUNNING
        c.compliance_profile, c.abandon_cap = ComplianceProfile.UK, Decimal("0.03")
        c.amd_false_positive_rate = Decimal("0.1")
        node_id = s.scalar(select(PbxNode.id))
        s.flush()
        # What a runner wrote: 1,000 live answers, no abandon, 400 machine verdicts (40 estimated
        # false positives: 3.85 % with no abandon at all), and its policy's explanation.
        compliance.add_counts(s, c.id, node_id, now - 600, live_answers=1000, machines=400)
        why = "AMD false positives alone are 3.85 % of live answers, over the 3.00 % cap"
        fact = PacingExplained(now, c.id, ("amd_unreachable",), why)
        writer_for(PacingExplained)(Target(node_id, c.id), s, fact)
        campaign_id = c.id
    sup = as_role("sup")
    board = sup.get("/wallboard/snapshot.json").get_json()
    (row,) = [r for r in board["campaigns"] if r["name"] == "UK list"]
    assert row["pacing_note"] == why and abs(row["amd_floor"] - 40 / 1040) < 1e-9
    assert "Why this dial level" in sup.get("/wallboard/").get_data(as_text=True)
    admin = as_role("admin")
    page = admin.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert 'id="amd-warning"' in page and "3.85 %" in page and "no dial level can meet it" in page
    with app.app_context(), sessions().begin() as s:  # a tenth of the false positives: no warning
        s.get(type(c), campaign_id).amd_false_positive_rate = Decimal("0.01")
    assert 'id="amd-warning"' not in admin.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
