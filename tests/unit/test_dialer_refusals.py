"""Node refusals: the PBX could not place the call (restarting, our gateway down), not the customer.

They charge the lead nothing (no attempt counted, due again at once) and hold the
campaign's dialing for a growing interval until the node places a call or reconnects;
a busy or unallocated customer is still charged.
"""

from __future__ import annotations

import pytest

from orchestrator.dialer import DialMode
from orchestrator.dialer.facts import AttemptEnded, LeadUpdated
from orchestrator.events import HungUp, OriginateFailed, PbxConnected, Ringing
from orchestrator.leads.model import LeadStatus
from orchestrator.leads.outcomes import Outcome, node_refused
from orchestrator.leads.rules import LeadRules
from tests.unit.dialer_harness import T0, BrakedRatio, Harness, customer_originates, ny_leads, of_type


def burst(h: Harness, at: float):
    """The predictive dialer's originates on a tick at ``at``."""
    return customer_originates(h.tick(at).commands)


def predictive(leads: int = 40, **config) -> Harness:
    h = Harness(DialMode.PREDICTIVE, leads=ny_leads(leads), policy=BrakedRatio(2.0),
                max_originates_per_tick=8, **config)
    h.legs = frozenset(h.login(agent) for agent in range(1, 5))
    return h


@pytest.mark.parametrize(("cause", "placed", "rang", "refused"), [
    (66, True, False, True),  # FreeSWITCH: sofia not loaded yet
    (41, True, False, True),  # FreeSWITCH: profile not running
    (609, True, False, True),  # FreeSWITCH: our gateway down
    (0, False, False, True),  # Asterisk refused the originate (shutting down): no channel
    (41, True, True, False),  # after ringing, a temporary failure is the network's
    (17, True, False, False),  # busy
    (1, True, False, False),  # unallocated number
    (27, True, False, False),  # destination out of order: cannot be told from the customer's line
    (0, True, False, False),  # a channel was made, cause unknown: FAILED, charged
])
def test_the_cause_table(cause, placed, rang, refused):
    assert node_refused(cause, placed=placed, rang=rang) is refused


def test_a_burst_of_refusals_charges_no_lead_and_holds_the_dialer():
    h = predictive()
    first = burst(h, T0 + 1)
    assert len(first) == 8
    facts = []
    for o in first:  # the PBX is restarting: every originate refused within the second
        facts += h.feed(OriginateFailed(T0 + 1.2, o.channel_id, o.attempt_id, cause=66)).facts
    assert {f.outcome for f in of_type(facts, AttemptEnded)} == {Outcome.REFUSED}
    updates = [f.update for f in of_type(facts, LeadUpdated)]
    assert len(updates) == 8
    assert {(u.status, u.attempts, u.next_attempt_at, u.last_outcome) for u in updates} == {
        (LeadStatus.PENDING, 0, T0 + 1.2, None)}
    # One round of refusals holds the dialer (0.5 .. 1 s): nothing right away, dialing again after.
    assert burst(h, T0 + 1.3) == []
    second = burst(h, T0 + 2.3)
    assert second
    for o in second:  # still refusing: the hold doubles (1 .. 2 s from now)
        h.feed(OriginateFailed(T0 + 2.4, o.channel_id, o.attempt_id, cause=0, placed=False))
    assert burst(h, T0 + 3.3) == []
    third = burst(h, T0 + 4.5)
    assert third
    # The node places a call again (it rings): the hold is lifted at once.
    h.feed(Ringing(T0 + 4.6, third[0].channel_id, third[0].attempt_id))
    for o in third[1:]:
        h.feed(HungUp(T0 + 4.7, o.channel_id, o.attempt_id, cause=17))
    assert burst(h, T0 + 4.8)


def test_a_reconnect_lifts_the_hold():
    h = predictive()
    for o in burst(h, T0 + 1):
        h.feed(OriginateFailed(T0 + 1.2, o.channel_id, o.attempt_id, cause=66))
    assert burst(h, T0 + 1.3) == []
    h.feed(PbxConnected(T0 + 1.4, "pbx1", live_channel_ids=h.legs))  # the agents' legs survived
    assert burst(h, T0 + 1.5)


def test_customers_causes_are_still_charged():
    h = predictive(lead_rules=LeadRules(max_attempts=1))
    o = burst(h, T0 + 1)
    step = h.feed(OriginateFailed(T0 + 2, o[0].channel_id, o[0].attempt_id, cause=17))
    (ended,) = of_type(step.facts, AttemptEnded)
    (update,) = of_type(step.facts, LeadUpdated)
    assert (ended.outcome, update.update.attempts, update.update.status) == (Outcome.BUSY, 1, LeadStatus.DONE)
    h.feed(Ringing(T0 + 2, o[1].channel_id, o[1].attempt_id))
    step = h.feed(HungUp(T0 + 3, o[1].channel_id, o[1].attempt_id, cause=41))  # after ringing: the network's
    (ended,) = of_type(step.facts, AttemptEnded)
    assert ended.outcome is Outcome.CONGESTION
    step = h.feed(OriginateFailed(T0 + 3, o[2].channel_id, o[2].attempt_id, cause=1))
    assert of_type(step.facts, LeadUpdated)[0].update.status is LeadStatus.INVALID
