"""Classify how an attempt ended, from Q.850 causes and AMD verdicts.

Both adapters report Q.850 cause numbers (FreeSWITCH names are mapped by the
ESL adapter), so one table serves both PBXs. Causes that say the *number* is
wrong end the lead; causes that say the *network* or the *person* was not
available schedule a retry.
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
