"""When a batch of purchased records may be destroyed, and the certificate chain that proves it was.

A batch is destroyed when it is used up (no record left to dial), when its
licence expired, or when its purchase was rejected; never while a record is
being dialed (its call would write the personal data back). Each destruction
leaves a certificate whose digest covers the previous certificate's, so a
certificate edited or removed afterwards breaks every digest after it.

Pure: the store counts and writes, this decides and hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DestroyReason(StrEnum):
    USED_UP = "used_up"
    EXPIRED = "expired"  # the licence / consent ran out
    REJECTED = "rejected"  # the purchase failed its sample test


@dataclass(frozen=True, slots=True)
class BatchState:
    dialable: int  # records a runner may still claim
    in_flight: int  # records being dialed right now
    licence_expires: date | None
    rejected: bool


def destroy_reason(state: BatchState, today: date) -> DestroyReason | str:
    """Why the batch may go now, or (a str) why it may not."""
    if state.in_flight:
        return f"{state.in_flight} records are being dialed right now; destroy them once the calls end"
    if state.rejected:
        return DestroyReason.REJECTED
    if state.licence_expires is not None and state.licence_expires < today:
        return DestroyReason.EXPIRED
    if state.dialable:
        return f"{state.dialable} records are still to be dialed: the batch is not used up"
    return DestroyReason.USED_UP


GENESIS = "0" * 64


def certificate_digest(previous: str, facts: Mapping[str, object]) -> str:
    """SHA-256 over the previous certificate's digest and this one's facts (canonical JSON)."""
    body = json.dumps(facts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def broken_links(chain: Iterable[tuple[str, str, Mapping[str, object]]]) -> list[int]:
    """Positions (0-based) of certificates whose stored (previous, digest) do not follow from the facts.

    ``chain`` yields (stored previous digest, stored digest, facts) oldest first.
    """
    bad, expected_previous = [], GENESIS
    for i, (previous, digest, facts) in enumerate(chain):
        if previous != expected_previous or certificate_digest(previous, facts) != digest:
            bad.append(i)
        expected_previous = digest
    return bad
