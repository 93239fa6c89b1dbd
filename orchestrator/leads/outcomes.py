"""Classify how an attempt ended, from Q.850 causes and AMD verdicts.

Both adapters report Q.850 cause numbers (FreeSWITCH names are mapped by the
ESL adapter), so one table serves both PBXs. Causes that say the *number* is
wrong end the lead; causes that say the *network* or the *person* was not
available schedule a retry.

Some failures are not the customer's at all: the node itself could not place
the call (FreeSWITCH's SIP module not loaded yet, Asterisk shutting down, our
own gateway down). Such a *node refusal* (:func:`node_refused`) charges the
lead nothing: it is given back for another try, no attempt counted, and the
dialer backs off that node (``orchestrator.dialer.dialing``). The table:

====================================  ========  ==========================================
cause (before any ringing)            charged   why
====================================  ========  ==========================================
refused by the node, no channel made  no        originate action error; Asterisk "shutting
                                                down"; OriginateResponse with no channel
66 CHANNEL_TYPE_NOT_IMPLEMENTED       no        FreeSWITCH's sofia not loaded (restart)
41 NORMAL_TEMPORARY_FAILURE           no        FreeSWITCH: profile not running; after
                                                ringing it is the network's (CONGESTION)
606/608/609/611 (FreeSWITCH's own)    no        user not registered, invalid gateway,
                                                gateway down, invalid profile: our side
701 SYSTEM_SHUTDOWN (FreeSWITCH's)    no        the node is stopping
17 busy, 1/3/22/28 unallocated...     yes       the customer's line or number
27 DESTINATION_OUT_OF_ORDER           yes       cannot be told from the customer's line
                                                being out of order: CONGESTION, retried
34/38/42/44/47 congestion             yes       the network's: CONGESTION, retried soon
0 with a channel made                 yes       FAILED: unknown, the node did dial
====================================  ========  ==========================================
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """Stored as is by ``store`` (attempts.outcome, leads.last_outcome)."""

    CONNECTED = "connected"  # a live human was connected to an agent
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"  # the callee declined (21)
    CONGESTION = "congestion"  # network trouble: retry soon
    INVALID_NUMBER = "invalid_number"
    MACHINE = "machine"
    ABANDONED = "abandoned"  # a live human got no agent in time
    EARLY_HANGUP = "early_hangup"  # answered, hung up before AMD decided
    FAILED = "failed"  # the PBX could not place the call, for an unknown reason (cause 0...)
    LOST = "lost"  # the channel vanished during a PBX/runner restart: outcome unknown
    REFUSED = "node_refused"  # the node could not place the call: not charged to the lead (node_refused)


_UNANSWERED: dict[int, Outcome] = {
    1: Outcome.INVALID_NUMBER,  # unallocated number
    3: Outcome.INVALID_NUMBER,  # no route to destination
    22: Outcome.INVALID_NUMBER,  # number changed
    28: Outcome.INVALID_NUMBER,  # invalid number format
    16: Outcome.NO_ANSWER,  # normal clearing before answer: the originate timed out
    17: Outcome.BUSY,
    18: Outcome.NO_ANSWER,  # no user responding
    19: Outcome.NO_ANSWER,  # no answer
    20: Outcome.NO_ANSWER,  # subscriber absent
    31: Outcome.NO_ANSWER,  # normal, unspecified
    21: Outcome.REJECTED,
    27: Outcome.CONGESTION,  # destination out of order
    34: Outcome.CONGESTION,  # no circuit available
    38: Outcome.CONGESTION,  # network out of order
    41: Outcome.CONGESTION,  # temporary failure
    42: Outcome.CONGESTION,  # switching equipment congestion
    44: Outcome.CONGESTION,
    47: Outcome.CONGESTION,
}


def classify_unanswered(cause: int) -> Outcome:
    """Outcome of an attempt that ended before the customer answered."""
    return _UNANSWERED.get(cause, Outcome.FAILED)


#: Causes (before any ringing) that say our node could not place the call, not the customer's network.
NODE_CAUSES: frozenset[int] = frozenset({
    41,  # normal temporary failure: FreeSWITCH's SIP profile not running yet
    66,  # channel type not implemented: FreeSWITCH's sofia module not loaded (restarting)
    606,  # FreeSWITCH USER_NOT_REGISTERED
    608,  # FreeSWITCH INVALID_GATEWAY
    609,  # FreeSWITCH GATEWAY_DOWN: our own trunk is not registered / not answering pings
    611,  # FreeSWITCH INVALID_PROFILE
    701,  # FreeSWITCH SYSTEM_SHUTDOWN: the node is stopping (its adapter reports every unrung call so)
})


def node_refused(cause: int, *, placed: bool, rang: bool) -> bool:
    """True if an unanswered attempt failed on our side: the lead is not charged for it.

    ``placed``: the node created the customer's channel (False when the PBX refused the
    originate outright); ``rang``: the far end alerted, so the network had the call.
    """
    return not rang and (not placed or cause in NODE_CAUSES)
