"""The node's fax channel limit, queue and retries (orchestrator.fax)."""

import pytest

from orchestrator.fax import FaxDone, FaxLines, FaxOutcome, FaxPolicy, FaxStart


def test_five_at_once_four_start_and_the_fifth_waits_for_a_free_channel():
    lines = FaxLines()
    starts = [s for fax_id in range(1, 6) for s in lines.submit(fax_id, now=0)]
    assert starts == [FaxStart(i, 1) for i in range(1, 5)]
    assert lines.queued == 1
    later, done = lines.finished(2, FaxOutcome.SENT, now=10)
    assert later == [FaxStart(5, 1)]
    assert done == FaxDone(2, FaxOutcome.SENT, 1)


def test_received_faxes_hold_channels_too():
    lines = FaxLines(FaxPolicy(channels=2))
    assert lines.incoming(True, now=0) == []
    assert lines.submit(1, now=0) == [FaxStart(1, 1)]
    assert lines.submit(2, now=0) == []
    assert lines.incoming(False, now=5) == [FaxStart(2, 1)]


def test_busy_is_retried_after_the_delay_up_to_max_tries_then_reported():
    lines = FaxLines(FaxPolicy(channels=1, max_tries=2, retry_delay_s=60))
    lines.submit(1, now=0)
    assert lines.submit(2, now=0) == []
    starts, done = lines.finished(1, FaxOutcome.BUSY, now=10)
    assert done is None
    assert starts == [FaxStart(2, 1)]
    assert lines.next_wakeup() == 70
    lines.finished(2, FaxOutcome.SENT, now=20)
    assert lines.tick(now=69) == []
    assert lines.tick(now=70) == [FaxStart(1, 2)]
    assert lines.finished(1, FaxOutcome.NO_ANSWER, now=80) == ([], FaxDone(1, FaxOutcome.NO_ANSWER, 2))


def test_a_failed_transfer_is_not_retried():
    lines = FaxLines()
    lines.submit(7, now=0)
    assert lines.finished(7, FaxOutcome.FAILED, now=1) == ([], FaxDone(7, FaxOutcome.FAILED, 1))
    assert lines.next_wakeup() is None


def test_a_fax_cannot_be_submitted_twice_while_pending():
    lines = FaxLines()
    lines.submit(1, now=0)
    with pytest.raises(ValueError, match="already submitted"):
        lines.submit(1, now=0)
