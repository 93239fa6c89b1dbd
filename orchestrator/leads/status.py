"""Where a lead stands: the one set of statuses the core decides, the store keeps and the web shows.

The core moves a lead between PENDING, CALLBACK, DONE, INVALID and DNC
(:class:`orchestrator.leads.model.LeadUpdate`); NEW and DIALING are the
store's part of the life cycle (imported and never dialed; claimed by a
runner), which the core never writes but the claim query and the web read.
The values are what the ``leads.status`` column holds.
"""

from __future__ import annotations

from enum import StrEnum


class LeadStatus(StrEnum):
    NEW = "new"  # imported, never dialed
    PENDING = "pending"  # dial again at next_call_at (retry, or released before dialing)
    CALLBACK = "callback"  # promised by an agent to themself: shown to that agent, dialed as preview
    DIALING = "dialing"  # claimed by a runner (claimed_by); the core owns it until it updates it
    DONE = "done"  # finished: connected, or out of attempts (``reason``)
    INVALID = "invalid"  # the number cannot be reached
    DNC = "dnc"  # on the do-not-call list


#: Statuses a runner may claim. The claim query and its partial index share it.
DIALABLE_LEAD_STATUSES: tuple[LeadStatus, ...] = (LeadStatus.NEW, LeadStatus.PENDING, LeadStatus.CALLBACK)
