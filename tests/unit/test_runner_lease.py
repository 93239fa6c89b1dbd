"""The lease decisions of a runner with a standby (``orchestrator.node.lease``), on a made-up clock."""

from __future__ import annotations

import pytest

from orchestrator.node.lease import HeldLease, LeaseLost, LeaseTerms

TERMS = LeaseTerms(ttl_s=3.0, renew_every_s=0.75, margin_s=0.5)


def test_a_new_lease_acts_until_ttl_less_the_margin_from_when_it_was_asked_for():
    lease = HeldLease(7, sent_at=100.0, terms=TERMS)
    assert lease.acting(102.49)
    lease.check(102.49)
    assert not lease.acting(102.5)
    with pytest.raises(LeaseLost, match="not renewed in time"):
        lease.check(102.5)


def test_a_renewal_counts_from_when_it_was_sent_not_when_it_was_answered():
    """The database's now() is later than the send: counting from the send, the holder always
    stops before the database can hand the lease on."""
    lease = HeldLease(7, sent_at=100.0, terms=TERMS)
    assert lease.renew_due(100.75)
    assert not lease.renew_due(100.7)
    sent = lease.sending(101.0)
    lease.renewed(sent, still_ours=True)  # answered much later: still counted from 101.0
    assert lease.acting_until == pytest.approx(103.5)
    assert not lease.renew_due(101.5)


def test_a_late_answer_to_an_older_renewal_never_shortens_the_lease():
    lease = HeldLease(7, sent_at=100.0, terms=TERMS)
    first = lease.sending(100.8)
    second = lease.sending(101.6)
    lease.renewed(second, still_ours=True)
    lease.renewed(first, still_ours=True)
    assert lease.acting_until == pytest.approx(104.1)


def test_no_answer_keeps_the_deadline_and_the_runner_stops_when_it_passes():
    """The database unreachable: the holder cannot know whether the standby took over, so it stops."""
    lease = HeldLease(7, sent_at=100.0, terms=TERMS)
    lease.sending(100.8)  # never answered
    lease.sending(101.6)  # never answered
    lease.check(102.4)
    with pytest.raises(LeaseLost):
        lease.check(102.6)


def test_a_renewal_answered_with_another_token_loses_the_lease_at_once():
    lease = HeldLease(7, sent_at=100.0, terms=TERMS)
    sent = lease.sending(100.8)
    with pytest.raises(LeaseLost, match="taken over"):
        lease.renewed(sent, still_ours=False)
    assert not lease.acting(100.9)


@pytest.mark.parametrize(
    ("ttl", "every", "margin"), [(3.0, 3.0, 0.5), (3.0, 2.6, 0.5), (1.0, 0.5, -0.1), (3.0, 0.0, 0.5)]
)
def test_terms_that_would_let_the_lease_lapse_between_renewals_are_refused(ttl, every, margin):
    with pytest.raises(ValueError, match="lease terms"):
        LeaseTerms(ttl_s=ttl, renew_every_s=every, margin_s=margin)
