"""A campaign whose own settings make every call fail is paused, and its leads keep their place.

A caller ID no PBX accepts or a trunk the node does not have fails every
originate, whatever the number. Left alone the dialer would run through the
whole list at dial speed, giving each lead a failed attempt. So:

* before a campaign is loaded, :func:`settings_error` checks what would make
  every originate invalid (caller ID, trunk name): such a campaign is paused
  with the reason, and no dialer is built;
* at run time, a customer originate that fails with no Q.850 cause at all
  (refused by the PBX, or no channel could even be created: the network was
  never tried) or with FreeSWITCH's own trunk causes is the campaign's failure,
  not the number's: the lead goes back to pending with its attempt count
  unchanged (:func:`give_back`; the core's node refusals already do so for
  most, ``orchestrator.leads.outcomes``), and after
  ``threshold`` such identical failures in a row (:class:`FaultWatch`) the
  campaign is paused with the PBX's reason.

The pause is a ``desired_state`` the supervisor sees, with ``paused_reason``
beside it; starting the campaign again clears the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from orchestrator import safe
from orchestrator.dialer.facts import Fact, LeadUpdated
from orchestrator.events import Event, OriginateFailed
from orchestrator.leads.model import Lead
from orchestrator.leads.rules import LeadRules, release
from store import models as m
from store.enums import CampaignState
from store.types import utcnow

#: PBX reasons that say the PBX itself is going away (a restart), not that the campaign is wrong.
TRANSIENT = ("shutting down", "not connected", "connection")
#: No Q.850 cause, or FreeSWITCH's own about our trunk (user not registered, invalid gateway, gateway
#: down, invalid profile): nothing about the number. (Restart causes such as 66 are not among them.)
CAMPAIGN_CAUSES = frozenset({0, 606, 608, 609, 611})


def settings_error(campaign: m.Campaign) -> str | None:
    """Why no call of ``campaign`` could be placed as configured, or None."""
    try:
        if campaign.caller_id:
            safe.check_dial_number(campaign.caller_id)
    except safe.UnsafeValue:
        return f"caller ID {campaign.caller_id!r} is not a phone number (+ and digits)"
    try:
        if campaign.trunk:
            safe.check_token(campaign.trunk, "trunk")
    except safe.UnsafeValue:
        return f"trunk {campaign.trunk!r} is not a valid trunk name"
    return None


def campaign_fault(event: Event) -> str | None:
    """The reason, when ``event`` is an originate failure that says nothing about the number."""
    if not isinstance(event, OriginateFailed) or event.cause not in CAMPAIGN_CAUSES:
        return None
    reason = event.reason or "refused"
    if any(word in reason.lower() for word in TRANSIENT):
        return None
    return reason


def give_back(facts: tuple[Fact, ...], lead: Lead, rules: LeadRules, reason: str) -> tuple[Fact, ...]:
    """``facts`` with the lead's update replaced by the core's release: no outcome, no attempt used."""
    return tuple(replace(fact, update=release(lead, fact.at, rules, f"campaign: {reason}"[:200]))
                 if isinstance(fact, LeadUpdated) and fact.update.lead_id == lead.lead_id else fact
                 for fact in facts)


@dataclass
class FaultWatch:
    """Identical campaign faults in a row, per campaign; any call that gets a channel resets it."""

    threshold: int = 5
    streaks: dict[int, tuple[str, int]] = field(default_factory=dict)

    def failed(self, campaign_id: int, reason: str) -> bool:
        """Count one; True when the campaign just reached ``threshold``."""
        last, n = self.streaks.get(campaign_id, ("", 0))
        n = n + 1 if last == reason else 1
        self.streaks[campaign_id] = (reason, n)
        return n == self.threshold

    def went_through(self, campaign_id: int) -> None:
        self.streaks.pop(campaign_id, None)

    def clear(self) -> None:
        """A (re)connect explains earlier failures: start counting again."""
        self.streaks.clear()


def pause(campaign: m.Campaign, reason: str) -> None:
    """Pause ``campaign`` (in the caller's transaction) with a reason the supervisor sees."""
    campaign.desired_state = CampaignState.PAUSED
    campaign.paused_reason = reason[:255]
    campaign.state_changed_at = utcnow()
