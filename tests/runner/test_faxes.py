"""The runner's fax lines without a PBX: faxes queued in the database, the events the AMI adapter
makes of the fax dialplan's signals in, rows and originates out (the live tests send them for real)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from lab import demo
from orchestrator import commands as c
from orchestrator import fax
from orchestrator.events import DialplanSignal, HungUp, OriginateFailed, PbxConnected, Tick
from runner import faxdocs
from runner.ami_runner import AmiRunner, load_node
from runner.faxes import RESULT_GRACE_S, FaxConfig
from runner.node import RunnerOptions
from store import models as m
from store.enums import FaxInStatus, FaxStatus
from tests.db.builders import TEST_SEALER
from tests.faxdoc import pdf
from tests.runner.test_feed import drain

NODE = demo.NodeSpec("pbx-fax", "127.0.0.1", 1, "user", "secret")


def start_runner(sessions, fax_dir: Path, live: frozenset[str] = frozenset()) -> AmiRunner:
    """A runner of the node, its PBX link up with ``live`` channels on the PBX."""
    with sessions.begin() as s:
        demo.ensure_node(s, TEST_SEALER, NODE)
    options = RunnerOptions(fax=FaxConfig(fax.FaxPolicy(channels=4, max_tries=2, retry_delay_s=60), fax_dir,
                                          "/pbx/fax", trunk="world"))
    with sessions() as s:
        core = AmiRunner(sessions, load_node(s, NODE.name, TEST_SEALER), options)
    core.recover()
    core.feed(PbxConnected(time.time(), NODE.name, live_channel_ids=live))
    return core


@pytest.fixture
def runner(sessions, tmp_path: Path) -> AmiRunner:
    return start_runner(sessions, tmp_path)


def queue(sessions, n: int, document: bytes) -> list[int]:
    with sessions.begin() as s:
        rows = [m.FaxOut(destination=f"+1201590000{i}", document_name="doc.pdf", document=document)
                for i in range(n)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def statuses(sessions) -> dict[int, FaxStatus]:
    with sessions() as s:
        return {r.id: r.status for r in s.scalars(select(m.FaxOut).order_by(m.FaxOut.id))}


def result(dial: c.Originate, status: str = "SUCCESS", pages: str = "1", **more: str) -> DialplanSignal:
    """What the AMI adapter makes of the h extension's UserEvent(SwitchboardFax, ...)."""
    fields = {"Direction": "out", "Status": status, "Pages": pages, "Station": "WORLD FAX", "Error": "",
              "File": dial.variables[fax.VAR_FAX_FILE], **more}
    return DialplanSignal(time.time(), dial.channel_id, dial.attempt_id, name="fax",
                          fields=tuple(fields.items()))


def test_five_at_once_four_are_sent_and_the_fifth_waits_for_a_line(sessions, runner):
    ids = queue(sessions, 5, pdf(1))
    runner.claim_faxes()
    dials = drain(runner)
    assert [d.attempt_id for d in dials] == [fax.attempt_id(i, 1) for i in ids[:4]]
    assert all(d.route == fax.FAX_OUT_ROUTE for d in dials)
    assert dials[0].variables[fax.VAR_FAX_FILE] == f"/pbx/fax/out-{ids[0]}.tif"
    assert dials[0].endpoint == c.Endpoint(c.EndpointKind.TRUNK, "world", "+12015900000")
    assert list(statuses(sessions).values()) == [FaxStatus.SENDING] * 4 + [FaxStatus.QUEUED]

    runner.feed(result(dials[0]))
    (fifth,) = drain(runner)
    assert fifth.attempt_id == fax.attempt_id(ids[4], 1)
    for dial in [*dials[1:], fifth]:
        runner.feed(result(dial))
    assert set(statuses(sessions).values()) == {FaxStatus.SENT}
    with sessions() as s:
        row = s.get(m.FaxOut, ids[4])
        assert (row.pages, row.pages_sent, row.remote_station, row.attempts) == (1, 1, "WORLD FAX", 1)
        assert row.finished_at is not None
    assert not list(runner.faxes.config.fax_dir.glob("out-*"))  # the TIFFs go once sent


def test_busy_is_retried_then_fails_with_the_reason(sessions, runner):
    (fax_id,) = queue(sessions, 1, pdf(1))
    runner.claim_faxes()
    (dial,) = drain(runner)
    runner.feed(OriginateFailed(time.time(), dial.channel_id, dial.attempt_id, cause=17, reason="reason 5"))
    assert statuses(sessions)[fax_id] is FaxStatus.RETRYING
    runner.feed(Tick(time.time()))
    assert drain(runner) == []  # not before the retry delay
    runner.feed(Tick(time.time() + 61))
    (again,) = drain(runner)
    assert again.attempt_id == fax.attempt_id(fax_id, 2)
    runner.feed(result(again, status="FAILED", pages="0", Error="NO_FAX"))
    with sessions() as s:
        row = s.get(m.FaxOut, fax_id)
        assert (row.status, row.attempts, row.error) == (FaxStatus.FAILED, 2, "NO_FAX")


def test_a_document_that_does_not_convert_fails_with_the_reason(sessions, runner):
    (fax_id,) = queue(sessions, 1, b"%PDF-1.4 this is no PDF at all")
    runner.claim_faxes()
    assert drain(runner) == []
    with sessions() as s:
        row = s.get(m.FaxOut, fax_id)
        assert row.status is FaxStatus.FAILED
        assert "could not be converted" in row.error


def test_a_received_fax_is_stored_as_pdf_and_a_busy_one_counted(sessions, runner, tmp_path):
    tiff = tmp_path / "1700000000.42.tif"
    (tmp_path / "doc.pdf").write_bytes(pdf(2))
    assert faxdocs.to_tiff(tmp_path / "doc.pdf", tiff) == 2
    at = time.time()
    runner.feed(DialplanSignal(at, "ch-in", None, name="fax_incoming", fields=(
        ("Called", "12125550199"), ("Caller", "12125550123"), ("File", f"/pbx/fax/{tiff.name}"))))
    runner.feed(DialplanSignal(at, "ch-busy", None, name="fax_busy", fields=(("Caller", "12125550124"),)))
    runner.feed(DialplanSignal(at, "ch-in", None, name="fax", fields=(
        ("Direction", "in"), ("Status", "SUCCESS"), ("Pages", "2"), ("Station", "WORLD"), ("Error", ""),
        ("Caller", "12125550123"), ("File", f"/pbx/fax/{tiff.name}"))))
    with sessions() as s:
        got = {r.status: r for r in s.scalars(select(m.FaxIn))}
        assert set(got) == {FaxInStatus.RECEIVED, FaxInStatus.BUSY}
        received = got[FaxInStatus.RECEIVED]
        assert (received.sender, received.did, received.pages) == ("12125550123", "12125550199", 2)
        assert received.pdf.startswith(b"%PDF")
        assert got[FaxInStatus.BUSY].sender == "12125550124"


def test_a_hang_up_waits_for_the_fax_result_that_freeswitch_reports_after_it(sessions, runner):
    first, second = queue(sessions, 2, pdf(1))
    runner.claim_faxes()
    dial_1, dial_2 = drain(runner)
    for dial in (dial_1, dial_2):
        runner.feed(HungUp(time.time(), dial.channel_id, dial.attempt_id, cause=16,
                           cause_text="NORMAL_CLEARING"))
    assert statuses(sessions) == {first: FaxStatus.SENDING, second: FaxStatus.SENDING}
    runner.feed(result(dial_1))
    runner.feed(Tick(time.time() + RESULT_GRACE_S + 1))  # the second's result never came
    assert statuses(sessions) == {first: FaxStatus.SENT, second: FaxStatus.FAILED}
    with sessions() as s:
        assert s.get(m.FaxOut, second).error == "NORMAL_CLEARING"


def test_a_runner_restarted_mid_fax_sends_none_again_and_resolves_each_from_the_pbx(sessions, runner,
                                                                                   tmp_path):
    """Three tries in flight when the runner stops: one still on the PBX (the new run waits for its
    result, holding its line), one whose result the PBX signalled before the new run claimed it, one
    whose call ended unseen ("interrupted": the far end may have it, so it is not dialed again)."""
    still_on, signalled, unseen = queue(sessions, 3, pdf(1))
    runner.claim_faxes()
    on_pbx, done, _gone = drain(runner)
    del runner  # stopped: what it held in memory is gone; the rows and the PBX's channels remain
    again = start_runner(sessions, tmp_path, live=frozenset({on_pbx.channel_id}))
    again.feed(result(done, pages="1"))  # before the new run has claimed anything
    later = queue(sessions, 4, pdf(1))
    again.claim_faxes()
    dials = drain(again)
    assert [d.attempt_id for d in dials] == [fax.attempt_id(i, 1) for i in later[:3]]  # one line held
    got = statuses(sessions)
    assert (got[still_on], got[signalled], got[unseen]) == (FaxStatus.SENDING, FaxStatus.SENT,
                                                           FaxStatus.INTERRUPTED)
    again.feed(result(on_pbx))
    assert statuses(sessions)[still_on] is FaxStatus.SENT
    (fourth,) = drain(again)  # the adopted try's line is free again
    assert fourth.attempt_id == fax.attempt_id(later[3], 1)
    with sessions() as s:
        row = s.get(m.FaxOut, unseen)
        assert (row.attempts, row.finished_at is not None) == (1, True)
        assert "send it again if needed" in row.error
