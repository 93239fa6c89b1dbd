"""Call log search, recordings (range requests, roles), reports (volume, occupancy, sales, CSV), wallboard."""

from __future__ import annotations

import wave
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from store.enums import AgentState, CallDirection, CampaignState, Outcome
from store.models import (
    AbandonBucket,
    Agent,
    AgentStateLog,
    AuditLog,
    Call,
    Campaign,
    PbxNode,
    Recording,
)
from tests.web import seed
from web.db import sessions

DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def calls(app, settings):
    """Agent1 in Team 1: 3 connected calls (sale 99.50, callback, no), 1 no answer, 1 abandon; a recording."""
    wav_path = settings.recordings_dir / "7" / "rec.wav"  # as the runner stores it: relative to the root
    wav_path.parent.mkdir(parents=True)
    with wave.open(str(wav_path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x02" * 8000)
    with app.app_context(), sessions().begin() as s:
        a = seed.agent(s)
        c = seed.campaign(s)
        ls = seed.leads(s, c, [f"+44207946000{i}" for i in range(5)])
        seed.attempt(
            s,
            ls[0],
            agent=a,
            start=DAY,
            outcome=Outcome.CONNECTED,
            talk_s=60,
            disposition="SALE",
            amount="99.50",
            recording="7/rec.wav",
        )
        seed.attempt(
            s,
            ls[1],
            agent=a,
            start=DAY + timedelta(minutes=5),
            outcome=Outcome.CONNECTED,
            talk_s=30,
            disposition="CB",
        )
        seed.attempt(
            s,
            ls[2],
            agent=a,
            start=DAY + timedelta(days=1),
            outcome=Outcome.CONNECTED,
            talk_s=10,
            disposition="NO",
        )
        seed.attempt(s, ls[3], agent=None, start=DAY, outcome=Outcome.NO_ANSWER)
        seed.attempt(s, ls[4], agent=None, start=DAY, outcome=Outcome.ABANDONED)
        # 1 h ready, then 30 min on call, 30 min wrap-up, 1 h paused (pauses do not count).
        for st, start_min, end_min in (
            ("ready", 0, 60),
            ("on_call", 60, 90),
            ("wrap_up", 90, 120),
            ("paused", 120, 180),
        ):
            s.add(
                AgentStateLog(
                    agent_id=a.id,
                    state=st,
                    started_at=DAY + timedelta(minutes=start_min),
                    ended_at=DAY + timedelta(minutes=end_min),
                )
            )
    with app.app_context(), sessions()() as s:
        return s.scalar(select(Recording.id)), wav_path.read_bytes()


def test_call_log_filters(as_role, calls):
    sup = as_role("sup")
    page = sup.get("/calls").get_data(as_text=True)
    assert page.count("<tr>") == 6  # header + 5 calls
    assert sup.get("/calls?outcome=abandoned").get_data(as_text=True).count("<tr>") == 2
    assert sup.get("/calls?number=79460002").get_data(as_text=True).count("<tr>") == 2
    day2 = (DAY + timedelta(days=1)).date().isoformat()
    assert sup.get(f"/calls?from={day2}&to={day2}").get_data(as_text=True).count("<tr>") == 2
    assert "Sale (CN¥99.50)" in page  # money per the language: English, the centre's currency (CNY)
    assert sup.get("/calls?outcome=bogus").status_code == 400


def test_recording_streams_with_ranges_for_authorized_roles(app, as_role, calls):
    rec_id, data = calls
    for role in ("sup", "qa", "admin"):
        c = as_role(role)
        full = c.get(f"/recordings/{rec_id}")
        assert full.status_code == 200
        assert full.data == data
        assert full.headers["Accept-Ranges"] == "bytes"
        part = c.get(f"/recordings/{rec_id}", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.data == data[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    download = as_role("qa").get(f"/recordings/{rec_id}/download")
    assert "attachment" in download.headers["Content-Disposition"]
    with app.app_context(), sessions()() as s:
        assert s.scalars(select(AuditLog.actor).where(AuditLog.action == "recording.download")).one() == "qa"


def test_recordings_refuse_unauthorized(client, as_role, calls):
    rec_id, _ = calls
    assert as_role("agent1").get(f"/recordings/{rec_id}").status_code == 403
    assert as_role("agent1").get(f"/recordings/{rec_id}/download").status_code == 403
    assert client.get(f"/recordings/{rec_id}").status_code == 302  # to the log-in form
    assert as_role("sup").get("/recordings/999999").status_code == 404


def test_recordings_resolve_under_their_nodes_root_and_never_outside(app, as_role, settings, tmp_path):
    node_root = tmp_path / "node2-monitor"
    (node_root / "3").mkdir(parents=True)
    (node_root / "3" / "a.wav").write_bytes(b"RIFF" + b"\0" * 60)
    (tmp_path / "secret.wav").write_bytes(b"secret")
    (settings.recordings_dir / "9").mkdir(parents=True)
    (settings.recordings_dir / "9" / "x.wav").write_bytes(b"RIFF")
    with app.app_context(), sessions().begin() as s:
        node = PbxNode(name="pbx2", kind="asterisk", host="127.0.0.1", port=2, recordings_dir=str(node_root))
        s.add(node)
        s.flush()
        paths = ["3/a.wav", "../secret.wav", str(tmp_path / "secret.wav"), "3/gone.wav"]
        recs = [Recording(node_id=node.id, path=p) for p in paths]
        recs.append(Recording(path="9/x.wav"))  # no node: under the setting's root
        s.add_all(recs)
        s.flush()
        ids = [r.id for r in recs]
    sup = as_role("sup")
    codes = [sup.get(f"/recordings/{i}").status_code for i in ids]
    assert codes == [200, 404, 404, 410, 200]
    assert sup.get(f"/recordings/{ids[0]}").data.startswith(b"RIFF")


def test_reports_volume_occupancy_sales_and_csv(as_role, calls):
    sup = as_role("sup")
    d1, d2 = DAY.date().isoformat(), (DAY + timedelta(days=1)).date().isoformat()
    page = sup.get(f"/reports/?from={d1}&to={d2}").get_data(as_text=True)
    assert "agent1" in page
    assert "0:01:40" in page
    assert "50.0%" in page  # (30 + 30) / (60 + 30 + 30) minutes
    csv_text = sup.get(f"/reports/export.csv?from={d1}&to={d2}&daily=1").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert lines[0] == "agent,day,dials,connects,talk_s,occupancy,sales,amount"
    assert lines[1] == f"agent1,{d1},2,2,90,0.5000,1,99.50"
    assert lines[2].startswith(f"agent1,{d2},1,1,10,,0,")
    team_csv = sup.get(f"/reports/export.csv?from={d1}&to={d2}&group=team").get_data(as_text=True)
    assert team_csv.splitlines()[1] == "Team 1,,3,3,100,0.5000,1,99.50"
    # Per campaign and per hour of the day every attempt counts, the two nobody took included.
    campaign_csv = sup.get(f"/reports/export.csv?from={d1}&to={d2}&group=campaign").get_data(as_text=True)
    assert campaign_csv.splitlines()[1:] == ["C1,,5,3,100,,1,99.50"]
    hour_csv = sup.get(f"/reports/export.csv?from={d1}&to={d2}&group=hour").get_data(as_text=True)
    assert hour_csv.splitlines()[1:] == ["10:00,,5,3,100,,1,99.50"]
    assert "<td>C1</td>" in sup.get(f"/reports/?from={d1}&to={d2}&group=campaign").get_data(as_text=True)
    assert sup.get(f"/reports/?from={d1}&to={d2}&group=planet").status_code == 400
    sales = sup.get(f"/reports/?from={d1}&to={d2}").get_data(as_text=True)
    assert "Call back" in sales
    assert "Not interested" in sales
    assert sup.get("/reports/?from=2026-03-05&to=2026-03-01").status_code == 400


def test_wallboard_snapshot(app, as_role, calls):
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    with app.app_context(), sessions().begin() as s:
        c = s.scalars(select(Campaign)).one()
        c.desired_state = CampaignState.RUNNING
        a = s.scalars(select(Agent)).one()
        seed.state(s, a, AgentState.READY, now - timedelta(seconds=75), campaign=c)
        lead = seed.leads(s, c, ["+442079460099", "+442079460098"])
        seed.attempt(s, lead[0], agent=None, start=now, outcome=None, ended=False)  # ringing
        seed.attempt(s, lead[1], agent=a, start=now - timedelta(minutes=2), outcome=Outcome.CONNECTED)
        # The runners' abandon counts: two nodes in the last hour, one node 10 and 31 days ago.
        node1 = s.scalars(select(PbxNode)).one()
        node2 = PbxNode(name="pbx2", kind="asterisk", host="127.0.0.1", port=2)
        s.add(node2)
        s.flush()
        for node, start, live, abandons, machines in (
            (node1, minute - timedelta(hours=1), 3, 1, 6),
            (node2, minute - timedelta(hours=1), 1, 0, 4),
            (node1, minute - timedelta(days=10), 6, 0, 0),
            (node1, minute - timedelta(days=31), 0, 50, 0),
        ):
            s.add(
                AbandonBucket(
                    campaign_id=c.id,
                    node_id=node.id,
                    start=start,
                    live_answers=live,
                    abandons=abandons,
                    machines=machines,
                )
            )
    sup = as_role("sup")
    snap = sup.get("/wallboard/snapshot.json").get_json()
    assert snap["agents_by_state"]["ready"] == 1
    assert snap["agents"][0]["seconds"] >= 75
    assert snap["ringing"] == 1
    assert snap["waiting"] == 0
    (camp,) = snap["campaigns"]
    assert (camp["abandon_24h"], camp["abandon_30d"]) == (0.25, 0.1)  # US: abandons / live answers
    assert camp["cap"] == 0.03
    assert camp["in_flight"] == 1
    assert camp["dial_level"] == 1.0
    assert sum(h["dials"] for h in snap["calls_per_hour"]) == 2
    # UK: estimated AMD false positives (machines x rate) count on both sides.
    with app.app_context(), sessions().begin() as s:
        c = s.scalars(select(Campaign)).one()
        c.compliance_profile, c.amd_false_positive_rate = "uk", Decimal("0.1")
    (camp,) = sup.get("/wallboard/snapshot.json").get_json()["campaigns"]
    assert camp["abandon_24h"] == pytest.approx((1 + 1) / (4 + 1))
    assert camp["abandon_30d"] == pytest.approx((1 + 1) / (10 + 1))


def test_a_freeswitch_node_without_its_own_dir_reads_freeswitchs_recordings_dir(tmp_path):
    from esl.render import DialConfig
    from web.calls.services import recording_file

    fs = PbxNode(name="fs", kind="freeswitch", host="127.0.0.1", port=8021, recordings_dir="")
    asterisk = PbxNode(name="a", kind="asterisk", host="127.0.0.1", port=5038, recordings_dir="")
    rec = Recording(path="4/x.wav")
    assert recording_file(rec, fs, tmp_path) == Path(DialConfig().recordings_dir) / "4" / "x.wav"
    assert recording_file(rec, asterisk, tmp_path) == tmp_path / "4" / "x.wav"
    assert recording_file(Recording(path="../x.wav"), fs, tmp_path) is None


def test_the_wallboard_links_an_agent_on_an_inbound_call_to_it(app, as_role, calls):
    """An inbound call has no attempt: the wallboard finds it by the agent the call names."""
    now = datetime.now(UTC)
    with app.app_context(), sessions().begin() as s:
        agent = s.scalars(select(Agent)).one()
        agent.state, agent.state_since = AgentState.ON_CALL, now
        call = Call(direction=CallDirection.INBOUND, caller="12125550100", callee="14005550400",
                    started_at=now, answered_at=now, agent_id=agent.id, pbx_call_id="in-1")
        ended = Call(direction=CallDirection.INBOUND, caller="12125550101", callee="14005550400",
                     started_at=now - timedelta(minutes=5), ended_at=now - timedelta(minutes=4),
                     agent_id=agent.id, pbx_call_id="in-0")
        s.add_all([call, ended])
        s.flush()
        call_id = call.id
    (row,) = as_role("sup").get("/wallboard/snapshot.json").get_json()["agents"]
    assert row["call_id"] == call_id


def test_a_call_that_presented_no_number_says_so_in_the_log_and_on_its_page(app, as_role, calls):
    with app.app_context(), sessions().begin() as s:  # the campaign and its trunk present no caller ID
        call = s.scalars(select(Call).order_by(Call.id)).first()
        call.caller = ""
        call_id = call.id
    sup = as_role("sup")
    log = sup.get("/calls").get_data(as_text=True)
    assert log.count('<span class="withheld">number withheld</span>') == 1
    assert log.count("<td>+15550001111</td>") == 4  # the others show the number they presented
    detail = sup.get(f"/calls/{call_id}").get_data(as_text=True)
    assert '<tr><th>From</th><td><span class="withheld">number withheld</span></td></tr>' in detail
