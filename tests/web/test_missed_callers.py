"""Missed callers: hotline callers past the longest wait, their voicemail played in the page, marked
followed up by a supervisor (audited); a team's view gets no centre-wide list; bad posts change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.enums import CallDirection, QueueOutcome
from store.models import AuditLog, Call, Recording
from tests.web import seed
from tests.web.test_security import two_teams  # noqa: F401 - fixture
from web.db import sessions

DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def missed(app, settings):
    """A voicemail with its message on disk (from a known lead's number), a callback request, and an
    answered call (not missed); returns (voicemail, callback, answered) call ids."""
    with app.app_context(), sessions().begin() as s:
        campaign = seed.campaign(s, "Hotline leads")
        [lead] = seed.leads(s, campaign, ["+12125550147"])
        lead.fields = {"first_name": "Ada", "last_name": "Byron"}
        route = seed.hotline(s)
        ids = []
        for i, (caller, outcome) in enumerate((("12125550147", QueueOutcome.VOICEMAIL),
                                               ("12125550148", QueueOutcome.CALLBACK),
                                               ("12125550149", QueueOutcome.ANSWERED))):
            start = DAY + timedelta(minutes=i)
            call = Call(direction=CallDirection.INBOUND, caller=caller, callee="14005550400",
                        route_id=route.id, started_at=start, ended_at=start + timedelta(seconds=150),
                        queue_outcome=outcome, queue_wait_s=Decimal("120.000"), pbx_call_id=f"c{i}")
            s.add(call)
            s.flush()
            ids.append(call.id)
        path = f"voicemail/{route.id}/c0.wav"
        seed.wav(settings.recordings_dir / path, frames=16000)
        s.add(Recording(call_id=ids[0], path=path, started_at=DAY + timedelta(seconds=120),
                        ended_at=DAY + timedelta(seconds=150)))
    return tuple(ids)


def test_a_supervisor_plays_the_voicemail_and_marks_each_caller_followed_up(app, as_role, missed):
    voicemail, callback, answered = missed
    sup = as_role("sup")
    page = sup.get("/inbound/missed").get_data(as_text=True)
    assert f'id="missed-{voicemail}"' in page
    assert f'id="missed-{callback}"' in page
    assert f'id="missed-{answered}"' not in page  # answered: nothing to follow up
    assert "Ada Byron" in page  # the voicemail's caller is a known lead ...
    assert "unknown number" in page  # ... the other one is not
    with app.app_context(), sessions()() as s:
        recording = s.scalars(select(Recording).where(Recording.call_id == voicemail)).one()
    assert f'/recordings/{recording.id}"' in page
    played = sup.get(f"/recordings/{recording.id}")
    assert (played.status_code, played.mimetype) == (200, "audio/wav")  # the message plays in the page

    response = sup.post(f"/inbound/missed/{voicemail}/done")
    assert response.status_code == 302
    page = sup.get(response.headers["Location"]).get_data(as_text=True)
    assert "marked as followed up" in page
    assert f'id="missed-{voicemail}"' not in page
    assert f'id="missed-{callback}"' in page
    done = sup.get("/inbound/missed?show=done").get_data(as_text=True)
    assert f'id="missed-{voicemail}"' in done
    assert "sup, " in done
    with app.app_context(), sessions()() as s:
        call = s.get(Call, voicemail)
        assert call.followed_up_at is not None
        assert s.scalars(select(AuditLog.action).where(AuditLog.target_type == "call",
                                                        AuditLog.target_id == str(voicemail))).all() == [
            "missed_caller.follow_up"]

    again = sup.post(f"/inbound/missed/{voicemail}/done")  # twice: refused, the first one stays
    assert "followed up already" in sup.get(again.headers["Location"]).get_data(as_text=True)
    not_missed = sup.post(f"/inbound/missed/{answered}/done")
    assert "is not a missed caller" in sup.get(not_missed.headers["Location"]).get_data(as_text=True)
    assert sup.post("/inbound/missed/987654/done").status_code == 404
    with app.app_context(), sessions()() as s:
        assert s.get(Call, answered).followed_up_at is None


def test_the_list_is_centre_wide_so_a_team_s_view_and_agents_get_none(as_role, missed, two_teams):  # noqa: F811
    voicemail, _, _ = missed
    assert as_role("lead1").get("/inbound/missed").status_code == 403
    assert as_role("lead1").post(f"/inbound/missed/{voicemail}/done").status_code == 403
    assert as_role("agent1").get("/inbound/missed").status_code == 403
    assert "Missed callers" in as_role("sup").get("/calls").get_data(as_text=True)  # in the menu
