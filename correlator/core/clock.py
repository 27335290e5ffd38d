"""Event time as integer microseconds since the epoch: exact at window edges, cheap to store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
NEVER = -(2**62)
"""Before any event: nothing is late yet."""
END = 2**62
"""After every event: advancing here fires every pending absence and empties the state."""


def to_us(time: datetime) -> int:
    return (time - EPOCH) // _ONE_US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)
