"""One writer per format: a fact in, the bytes its device would have written out.

A writer is pure: the same fact and time give the same bytes. Anything that looks random in
a record (session ids, Zeek uids) is derived from a hash of the record's content.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Protocol

from correlator.sim.facts import Fact


class Writer(Protocol):
    """Turns facts of one feed into records of one format."""

    format: str
    suffix: str

    def header(self, start: datetime) -> bytes:
        """What the file starts with (a CSV header, Zeek ``#`` lines), possibly nothing."""
        ...

    def record(self, fact: Fact, when: datetime) -> bytes:
        """One record for ``fact`` stamped ``when`` (the device's clock), newline included."""
        ...


def iso(when: datetime, digits: int = 3) -> str:
    """``2025-03-03T08:01:12.250Z``: UTC with ``digits`` fractional digits."""
    text = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return (text[: len(text) - 6 + digits] if digits else text[:-7]) + "Z"


def token(*parts: object, size: int = 8) -> int:
    """A stable pseudo-random integer for ids that devices make up (sessions, uids)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=size)
    return int.from_bytes(digest.digest(), "big")
