"""Bought lead data through the pages, as the data manager, the director and the team leaders use them:
a vendor, a purchase, its file uploaded into it, its sample drawn and judged, hand-outs down to an agent,
destruction (by hand and by the scheduled job), and afterwards no number or name of the batch anywhere."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from orchestrator.leads.sampling import sample_size
from store.enums import LeadStatus, Outcome, PurchaseState, UserRole
from store.models import (
    Agent,
    Base,
    Campaign,
    DestructionCertificate,
    Disposition,
    DncEntry,
    Handout,
    Lead,
    LeadList,
    Order,
    Purchase,
    Recording,
    Team,
    User,
)
from tests.web import seed
from tests.web.conftest import _password_hash
from tests.web.test_import import _finished
from web.campaigns import scheduler
from web.db import sealer, sessions
from web.leaddata.destruction import Wiper, purge_due_recordings

RECORDS = 600
PHONES = [f"+4420794{i:05d}" for i in range(RECORDS)]
CSV = "Name,Phone\n" + "".join(f"Customer {i:04d},0207 94{i:05d}\n" for i in range(RECORDS))


@pytest.fixture
def centre(app):
    """dm (data manager), dir; lea leads Team 1 (agent1), lee leads Team 2 (agent2); campaigns QA (China
    profile: recordings kept 30 days), Sales 1 (Team 1), Sales 2 (Team 2)."""
    with app.app_context(), sessions().begin() as s:
        people = {
            n: User(username=n, password_hash=_password_hash(), role=r, display_name=n)
            for n, r in (
                ("dm", UserRole.DATA_MANAGER),
                ("dir", UserRole.DIRECTOR),
                ("lea", UserRole.TEAM_LEADER),
                ("lee", UserRole.TEAM_LEADER),
                ("agent2", UserRole.AGENT),
            )
        }
        s.add_all(people.values())
        t1, t2 = Team(name="Team 1", leader=people["lea"]), Team(name="Team 2", leader=people["lee"])
        s.scalars(select(Agent)).one().team = t1
        s.add(Agent(user=people["agent2"], team=t2))
        qa = seed.campaign(s, "QA")
        qa.compliance_profile = "cn"
        qa.dispositions.append(Disposition(code="RPC", label="Right person", sort_order=3))
        seed.campaign(s, "Sales 1").teams = [t1]
        seed.campaign(s, "Sales 2").teams = [t2]
        s.flush()
        return {
            "qa": qa.id,
            "t1": t1.id,
            "t2": t2.id,
            **{c.name: c.id for c in s.scalars(select(Campaign))},
            "agent1": s.scalars(select(Agent.id).join(Agent.user).where(User.username == "agent1")).one(),
            "agent2": s.scalars(select(Agent.id).join(Agent.user).where(User.username == "agent2")).one(),
        }


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _post(client, url: str, form: dict) -> str:
    response = client.post(url, form, follow_redirects=True)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _buy(app, dm) -> int:
    """A vendor and a purchase recorded through the forms, its file uploaded into it; the purchase id."""
    assert "Vendor Acme added." in _post(dm, "/data/vendors", {"name": "Acme", "contact": "sales@acme"})
    dm.get("/data/purchases")
    page = _post(
        dm,
        "/data/purchases",
        {
            "vendor_id": "1",
            "batch": "ACME-2026-11",
            "purchased_on": "2026-11-20",
            "price": "6000.00",
            "record_count": str(RECORDS),
            "consent_basis": "opt-in, vendor licence 7",
            "licence_expires": "2027-02-20",
            "right_party_codes": "RPC",
        },
    )
    assert "Batch ACME-2026-11 recorded" in page
    with app.app_context(), sessions()() as s:
        purchase_id = s.scalars(select(Purchase.id)).one()
    dm.get("/lists")
    response = dm.post(
        "/lists/upload",
        {
            "file": (io.BytesIO(CSV.encode()), "acme.csv"),
            "region": "GB",
            "purchase_id": str(purchase_id),
            "campaign_id": "1",
        },
        content_type="multipart/form-data",
    )
    token = response.headers["Location"].split("/")[-2]
    dm.post(f"/lists/import/{token}/mapping", {"col0": "field", "col1": "phone"})
    status = _finished(dm, token)
    assert (status["state"], status["imported"]) == ("done", RECORDS), status
    return purchase_id


def _dial_sample(app, purchase_id: int, root: Path) -> None:
    """What the QA campaign's runner and agents leave: one attempt per sample record, and recordings."""
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        agent = s.scalars(select(Agent)).first()
        sample = s.scalars(
            select(Lead)
            .join(LeadList)
            .where(LeadList.purchase_id == purchase_id, LeadList.is_sample)
            .order_by(Lead.id)
        ).all()
        s.add_all([DncEntry(phone=sample[0].phone), DncEntry(phone=sample[1].phone)])
        for i, lead in enumerate(sample):
            outcome = (
                Outcome.INVALID_NUMBER if i < 10 else Outcome.CONNECTED if i < 110 else Outcome.NO_ANSWER
            )
            disposition = "SALE" if 10 <= i < 30 else "RPC" if i < 80 else "NO" if i < 110 else None
            old = i == 10  # a recording older than the profile's 30 days: it goes with the batch
            start = now - timedelta(days=40 if old else 0, minutes=5)
            attempt = seed.attempt(
                s,
                lead,
                agent=agent if outcome is Outcome.CONNECTED else None,
                start=start,
                outcome=outcome,
                disposition=disposition,
                amount="300.00" if disposition == "SALE" else None,
                recording=f"{lead.campaign_id}/{i}.wav" if i in (10, 11) else None,
            )
            attempt.notes = f"spoke to {lead.fields['Name']}"
            lead.status, lead.attempts = (LeadStatus.INVALID if i < 10 else LeadStatus.DONE), 1
        for i in (10, 11):
            path = root / str(sample[0].campaign_id) / f"{i}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"RIFF")


def _everything(app) -> str:
    """Every row of every table, as text, but the do-not-call list's (a number asked never to be called
    again is kept so, whoever sold it: that is what the list is for)."""
    with app.app_context(), sessions()() as s:
        return "\n".join(
            str(tuple(row))
            for table in Base.metadata.sorted_tables
            if table.name != "dnc_entries"
            for row in s.execute(select(table)).all()
        )


def test_a_batch_from_purchase_to_destruction(app, as_role, centre, settings):
    dm, director, lea, lee = as_role("dm"), as_role("dir"), as_role("lea"), as_role("lee")
    for who in (lea, as_role("agent1")):
        assert who.get("/data/purchases").status_code == 403
    purchase_id = _buy(app, dm)
    url = f"/data/purchases/{purchase_id}"
    page = _page(director, url)
    assert f'<b id="planned">{sample_size(RECORDS)}</b>' in page  # 235 of 600 at ±5 %, 95 %

    # The sample: drawn into the QA campaign, judged, accepted.
    assert "Sample drawn into the list ACME-2026-11 sample" in _post(
        director, f"{url}/sample", {"campaign_id": str(centre["qa"])}
    )
    assert "only 0 of the 235 sample records needed were dialed" in _post(
        director, f"{url}/decide", {"decision": "accept"}
    )
    _dial_sample(app, purchase_id, settings.recordings_dir)
    page = _page(director, url)
    assert "<tr><td>235</td><td>235</td>" in page
    assert "225 (95.7 %" in page
    assert "100 (42.6 %" in page
    assert "70 (70.0 %" in page
    assert "2 (0.9 %" in page
    assert "The sample passes." in page
    with app.app_context(), sessions()() as s:
        sales_before = s.scalar(select(func.sum(Order.amount)))
    assert "Batch ACME-2026-11 accepted." in _post(director, f"{url}/decide", {"decision": "accept"})

    # Hand-outs: the data manager to the teams, each team leader to their own.
    assert "Only 365 records are there to hand out; nothing was handed out." in _post(
        dm, f"{url}/handout", {"team_id": centre["t1"], "count": "999"}
    )
    assert "at least 1" in _post(dm, f"{url}/handout", {"team_id": centre["t1"], "count": "-3"})
    assert "200 records handed to Team 1." in _post(
        dm, f"{url}/handout", {"team_id": centre["t1"], "count": "200"}
    )
    assert "100 records handed to Team 2." in _post(
        dm, f"{url}/handout", {"team_id": centre["t2"], "count": "100"}
    )
    page = _page(lea, "/data/team")
    assert "ACME-2026-11 \u2013 Team 1 (200)" in page
    assert "Team 2 (100)" not in page
    mine = f"{purchase_id}-{centre['t1']}"
    theirs = f"{purchase_id}-{centre['t2']}"
    assert (
        lea.post(
            "/data/team/handout", {"holding": theirs, "campaign_id": centre["Sales 2"], "count": "5"}
        ).status_code
        == 403
    )
    assert "That agent is not in the team." in _post(
        lea,
        "/data/team/handout",
        {"holding": mine, "agent_id": centre["agent2"], "campaign_id": centre["Sales 1"], "count": "5"},
    )
    assert "Team 1 does not work the campaign Sales 2." in _post(
        lea, "/data/team/handout", {"holding": mine, "campaign_id": centre["Sales 2"], "count": "5"}
    )
    assert "50 records handed out." in _post(
        lea,
        "/data/team/handout",
        {"holding": mine, "agent_id": centre["agent1"], "campaign_id": centre["Sales 1"], "count": "50"},
    )
    assert "100 records handed out." in _post(
        lee, "/data/team/handout", {"holding": theirs, "campaign_id": centre["Sales 2"], "count": "100"}
    )
    with app.app_context(), sessions()() as s:
        log = [
            (h.by.username, h.team.name, h.agent_id, h.campaign_id, h.records)
            for h in s.scalars(select(Handout).order_by(Handout.id))
        ]
        assert log == [
            ("dm", "Team 1", None, None, 200),
            ("dm", "Team 2", None, None, 100),
            ("lea", "Team 1", centre["agent1"], centre["Sales 1"], 50),
            ("lee", "Team 2", None, centre["Sales 2"], 100),
        ]
        agents_list = s.scalars(select(LeadList).where(LeadList.agent_id == centre["agent1"])).one()
        assert (
            s.scalar(
                select(func.count()).where(
                    Lead.list_id == agents_list.id, Lead.campaign_id == centre["Sales 1"]
                )
            )
            == 50
        )
    # The list page shows a team leader the lists handed to their team, not the other team's.
    lists = _page(lea, "/lists")
    assert "ACME-2026-11 → agent1" in lists
    assert "ACME-2026-11 → Sales 2" not in lists

    # Destruction: not while records are still to be dialed; once used up, by the team leader.
    assert "50 records are still to be dialed" in _post(lea, f"/data/lists/{agents_list.id}/destroy", {})
    assert lee.post(f"/data/lists/{agents_list.id}/destroy").status_code == 403
    with app.app_context(), sessions().begin() as s:
        s.execute(update(Lead).where(Lead.list_id == agents_list.id).values(status=LeadStatus.DONE))
    assert "50 records of ACME-2026-11 → agent1 destroyed" in _post(
        lea, f"/data/lists/{agents_list.id}/destroy", {}
    )
    assert "still to be dialed" in _post(dm, f"{url}/destroy", {})

    # The licence runs out: the scheduled job destroys the rest.
    with app.app_context(), sessions().begin() as s:
        s.execute(update(Purchase).values(licence_expires=date.today() - timedelta(days=1)))
    imports = Path(settings.instance_dir) / "imports"
    assert any(imports.iterdir())
    with app.app_context():
        wiper = Wiper.of(sealer(), settings)
        scheduler.configure(sessions(), settings.recordings_dir, wiper)
        scheduler.destroy_lead_data()

    everything = _everything(app)
    assert not [p for p in PHONES if p in everything or p[3:] in everything]
    assert "Customer 0" not in everything
    assert "spoke to" not in everything
    assert not any(imports.iterdir())  # the import folder (error report included) went with the batch
    root = settings.recordings_dir
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(func.sum(Order.amount))) == sales_before == Decimal("6000.00")
        assert s.get_one(Purchase, purchase_id).state is PurchaseState.DESTROYED
        assert s.scalar(select(func.count()).select_from(Lead)) == RECORDS  # the rows stay, wiped
        assert s.scalar(select(func.count()).where(Lead.phone_hash.is_not(None))) == RECORDS
        digest = sealer().digest(PHONES[0])
        assert s.scalar(select(Lead.status).where(Lead.phone_hash == digest)) is not None  # found by its hash
        certificates = s.scalars(select(DestructionCertificate).order_by(DestructionCertificate.id)).all()
        assert [(c.facts["records"], c.facts["reason"], c.facts["by"]) for c in certificates] == [
            (50, "used_up", "lea"),
            (RECORDS - 50, "expired", "scheduled job"),
        ]
        assert certificates[1].facts["recordings_deleted"] == 1
        assert certificates[1].facts["recordings_kept_until"]
        kept = s.scalars(select(Recording).where(Recording.purge_after.is_not(None))).one()
    files = sorted(p.name for p in root.rglob("*.wav"))
    assert files == ["11.wav"]  # the recent one stays for China's 30 days
    with app.app_context(), sessions().begin() as s:
        assert purge_due_recordings(s, wiper, kept.purge_after + timedelta(seconds=1)) == 1
    assert not list(root.rglob("*.wav"))
    page = _page(dm, "/data/certificates")
    assert "The chain verifies" in page
    assert "scheduled job" in page
    assert "Acme" in _page(dm, "/data/vendors")  # the quality history outlives the data
    with app.app_context(), sessions().begin() as s:  # someone edits a certificate afterwards
        s.execute(
            update(DestructionCertificate)
            .where(DestructionCertificate.id == certificates[0].id)
            .values(facts={**certificates[0].facts, "records": 5})
        )
    assert "BROKEN at certificate(s) 1" in _page(dm, "/data/certificates")


def test_vendor_quality_report_costs(app, as_role, centre, settings):
    dm, director = as_role("dm"), as_role("dir")
    purchase_id = _buy(app, dm)
    _post(director, f"/data/purchases/{purchase_id}/sample", {"campaign_id": str(centre["qa"])})
    _dial_sample(app, purchase_id, settings.recordings_dir)
    page = _page(dm, "/data/vendors")
    # 6000 paid; 225 valid, 100 contacts, 20 sales.
    assert '<td class="per-valid">26.67</td>' in page
    assert '<td class="per-contact">60.00</td>' in page
    assert '<td class="per-sale">300.00</td>' in page


def test_bad_input_is_refused_with_reasons(app, as_role, centre):
    dm = as_role("dm")
    assert "Give the vendor a name." in _post(dm, "/data/vendors", {"name": " "})
    _post(dm, "/data/vendors", {"name": "Acme"})
    assert "exists already" in _post(dm, "/data/vendors", {"name": "Acme"})
    good = {
        "vendor_id": "1",
        "batch": "B1",
        "purchased_on": "2026-11-20",
        "price": "100",
        "record_count": "10",
        "consent_basis": "opt-in",
    }
    for change, error in [
        ({"vendor_id": "99"}, "Choose the vendor."),
        ({"vendor_id": "x"}, "Choose the vendor."),
        ({"batch": ""}, "Give the batch"),
        ({"purchased_on": "20/11/2026"}, "Dates are written YYYY-MM-DD."),
        ({"licence_expires": "2026-01-01"}, "cannot expire before the purchase"),
        ({"price": "abc"}, "is not a number"),
        ({"price": "1e99"}, "Price must be between"),
        ({"price": ""}, "Give the price"),
        ({"record_count": "0"}, "at least 1"),
        ({"consent_basis": ""}, "licence or consent"),
        ({"min_valid": "150%"}, "between 0 and 1"),
        ({"max_dnc": "lots"}, "is not a number"),
        ({"sample_margin": "0"}, "strictly between 0 and 1"),
    ]:
        assert error in _post(dm, "/data/purchases", {**good, **change}), change
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(func.count()).select_from(Purchase)) == 0
    assert dm.get("/data/purchases/999").status_code == 404
    _post(dm, "/data/purchases", good)
    assert "Choose the outbound campaign" in _post(dm, "/data/purchases/1/sample", {"campaign_id": ""})
    assert dm.post("/data/purchases/1/sample", {"campaign_id": "x"}).status_code == 400  # not a number
    assert "holds no records yet" in _post(dm, "/data/purchases/1/sample", {"campaign_id": str(centre["qa"])})
    assert "only a batch under test is decided" in _post(
        dm, "/data/purchases/1/decide", {"decision": "accept"}
    )
    assert "only an accepted batch is handed out" in _post(
        dm, "/data/purchases/1/handout", {"team_id": centre["t1"], "count": "1"}
    )
    assert "Choose the team." in _post(dm, "/data/purchases/1/handout", {"team_id": "", "count": "1"})
    assert "Nothing is left to destroy" in _post(dm, "/data/purchases/1/destroy", {})
    assert dm.post("/data/lists/999/destroy").status_code == 404
    assert dm.post("/data/team/handout", {"holding": "x-y"}).status_code == 400
    assert dm.post("/data/team/handout", {"holding": "1-99"}).status_code == 403  # no such team


def test_a_rejected_batch_is_never_dialed_and_may_be_destroyed_at_once(app, as_role, centre):
    dm, director = as_role("dm"), as_role("dir")
    purchase_id = _buy(app, dm)
    url = f"/data/purchases/{purchase_id}"
    _post(director, f"{url}/sample", {"campaign_id": str(centre["qa"])})
    assert "Say why the batch is rejected." in _post(director, f"{url}/decide", {"decision": "reject"})
    assert "Batch ACME-2026-11 rejected." in _post(
        director, f"{url}/decide", {"decision": "reject", "note": "half the numbers dead"}
    )
    with app.app_context(), sessions()() as s:
        sample = s.scalars(select(LeadList).where(LeadList.is_sample)).one()
        assert not sample.active
    assert "never dialed again" in _post(dm, f"/lists/{sample.id}/active", {"active": "1"})
    assert f"{RECORDS} records destroyed" in _post(dm, f"{url}/destroy", {})
    assert "Records are added to a purchase only before" in _post(
        dm,
        "/lists/upload",
        {"file": (io.BytesIO(CSV.encode()), "again.csv"), "purchase_id": str(purchase_id)},
    )


def test_a_team_leader_chooses_whether_predictive_campaigns_pool_their_agents_records(app, as_role, centre):
    lea, lee = as_role("lea"), as_role("lee")
    page = _page(lea, "/data/team")
    assert "leave them to their agents" in page  # the default: an agent's records are theirs
    pooling = f"/data/team/{centre['t1']}/pooling"
    assert "records are pooled for predictive campaigns." in _post(lea, pooling, {"pool": "1"})
    lee.get("/data/team")
    assert lee.post(pooling, {"pool": ""}).status_code == 403  # not their team
    with app.app_context(), sessions()() as s:
        teams = s.scalars(select(Team).order_by(Team.id))
        assert [t.pool_owned_for_predictive for t in teams] == [True, False]
    assert "left to their agents in predictive" in _post(lea, pooling, {"pool": ""})
