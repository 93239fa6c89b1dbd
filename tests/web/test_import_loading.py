"""How an import writes: short transactions into a staging list, one activation, once per upload."""

from __future__ import annotations

import sqlite3
import threading
from functools import partial

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from store.models import Lead, LeadList
from tests.web.test_import import _finished, _run_import, _upload
from web.db import sessions
from web.leads import services

FILE = "phone\n" + "".join(f"+4420794600{i:02d}\n" for i in range(30))


def test_an_import_commits_in_chunks_into_a_list_no_dialer_sees(app, as_role, monkeypatch, db_url):
    """Between two chunks another connection sees the first chunk committed, in an inactive list,
    and (SQLite) can take the write lock at once: the import does not hold it across the file."""
    sup = as_role("sup")
    token = _upload(sup, FILE, list_name="Big")
    monkeypatch.setattr(services, "CHUNK", 10)
    real_chunks = services._chunks
    seen: list[tuple[int, bool, bool]] = []

    def observed_chunks(rows, size):
        for n, chunk in enumerate(real_chunks(rows, size)):
            if n == 1:  # the first chunk's transaction is over
                engine = create_engine(db_url)
                with engine.connect() as conn:
                    count = conn.scalar(select(func.count()).select_from(Lead))
                    active, importing = conn.execute(select(LeadList.active, LeadList.importing)).one()
                seen.append((count, active, importing))
                engine.dispose()
                if make_url(db_url).get_backend_name() == "sqlite":
                    raw = sqlite3.connect(make_url(db_url).database, timeout=0)
                    raw.execute("BEGIN IMMEDIATE")  # "database is locked" if the import held it
                    raw.rollback()
                    raw.close()
            yield chunk

    monkeypatch.setattr(services, "_chunks", observed_chunks)
    status = _run_import(sup, token, {"col0": "phone"})
    assert status["state"] == "done", status
    assert status["imported"] == 30, status
    assert seen == [(10, False, True)]
    with app.app_context(), sessions()() as s:
        lead_list = s.scalars(select(LeadList)).one()
        assert (lead_list.active, lead_list.importing, lead_list.name) == (True, False, "Big")
        assert s.scalar(select(func.count()).select_from(Lead).where(Lead.list_id == lead_list.id)) == 30


def test_adding_to_an_existing_list_moves_the_rows_in_and_drops_the_staging_list(app, as_role):
    sup = as_role("sup")
    _run_import(sup, _upload(sup, "phone\n+442079460001\n", list_name="Old"), {"col0": "phone"})
    with app.app_context(), sessions()() as s:
        old = s.scalars(select(LeadList)).one()
        s.execute(text("UPDATE lead_lists SET active = :f"), {"f": False})  # a deactivated list stays so
        s.commit()
    status = _run_import(sup, _upload(sup, FILE, list_id=str(old.id)), {"col0": "phone"})
    assert status["state"] == "done", status
    assert status["imported"] == 29, status
    assert status["list_id"] == old.id, status
    with app.app_context(), sessions()() as s:
        assert [(x.id, x.active) for x in s.scalars(select(LeadList))] == [(old.id, False)]
        assert s.scalar(select(func.count()).select_from(Lead).where(Lead.list_id == old.id)) == 30


def test_one_upload_imports_once(app, as_role):
    """The same file posted three times at once, and one mapping form posted twice: one list."""
    sup = as_role("sup")
    tokens = [_upload(sup, FILE, list_name="Once") for _ in range(3)]
    for token in tokens:
        assert sup.get(f"/lists/import/{token}/mapping").status_code == 200
    responses = []
    posts = [
        threading.Thread(
            target=lambda t=t: responses.append(sup.post(f"/lists/import/{t}/mapping", {"col0": "phone"}))
        )
        for t in tokens + tokens[:1]
    ]
    for post in posts:
        post.start()
    for post in posts:
        post.join()
    assert all(r.status_code == 302 for r in responses)
    states = sorted((status["state"], status["error"]) for status in map(partial(_finished, sup), tokens))
    assert states == [
        ("done", ""),
        ("failed", "this file was already imported into the list 'Once'"),
        ("failed", "this file was already imported into the list 'Once'"),
    ]
    with app.app_context(), sessions()() as s:
        assert len(s.scalars(select(LeadList)).all()) == 1
        assert s.scalar(select(func.count()).select_from(Lead)) == 30
    # Uploaded again later: still refused; under another name it is a new list.
    again = _run_import(sup, _upload(sup, FILE, list_name="Once"), {"col0": "phone"})
    assert again["state"] == "failed"
    assert "already imported" in again["error"]
    other = _run_import(sup, _upload(sup, FILE, list_name="Twice"), {"col0": "phone"})
    assert other["state"] == "done"
    assert other["imported"] == 30


def test_a_staging_list_left_by_a_dead_process_is_swept(app, as_role):
    sup = as_role("sup")
    with app.app_context(), sessions().begin() as s:
        dead = LeadList(name="half", active=False, importing=True, import_key="k" * 64)
        s.add(dead)
        s.flush()
        s.add(Lead(list_id=dead.id, phone="+442079460001"))
        s.execute(text("UPDATE lead_lists SET created_at = '2000-01-01 00:00:00'"))
    status = _run_import(sup, _upload(sup, "phone\n+442079460002\n", list_name="New"), {"col0": "phone"})
    assert status["state"] == "done"
    with app.app_context(), sessions()() as s:
        assert [x.name for x in s.scalars(select(LeadList))] == ["New"]
        assert s.scalars(select(Lead.phone)).all() == ["+442079460002"]


def test_saving_the_campaign_form_mid_import_keeps_the_list_it_is_loading(app, as_role):
    from store.models import Campaign
    from tests.web.test_campaigns import FORM

    sup = as_role("sup")
    sup.get("/campaigns/new")
    assert sup.post("/campaigns/new", FORM).status_code == 302
    with app.app_context(), sessions().begin() as s:
        campaign_id = s.scalars(select(Campaign.id)).one()
        s.add(LeadList(name="loading", campaign_id=campaign_id, active=False, importing=True))
    page = sup.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "loading" not in page  # not offered in the form while it loads
    assert sup.post(f"/campaigns/{campaign_id}", FORM).status_code == 302
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(LeadList.campaign_id).where(LeadList.name == "loading")).one() == campaign_id
