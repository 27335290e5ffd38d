"""Plausible event times: the bounds a record's timestamp must fall within to be believed.

A device with a zeroed clock says 1970; a mistyped time zone or a forged record says 2099.
Either would do damage downstream: the worker's watermark follows the newest event time, so
one event from 2099 would make every later event "late", and one from 1970 would open
windows no rule can close. Such records are rejected (connectors: dead-letter topic, kind
``time``; worker: dead-letter topic, stage ``resolve``) instead of being believed.

The bounds: not before ``earliest`` (default 2000-01-01), and not more than ``ahead``
(default one day: clock skew and wrong time zones stay within it) after a reference time,
which is the ingest time in a connector and the wall clock in the worker. Past events are
otherwise fine: a replay of last year's logs is normal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from correlator.core.duration import format_us, parse_us
from correlator.errors import DecodeError

if TYPE_CHECKING:
    from correlator.settings import Settings

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)


class EventTimeError(DecodeError):
    """An event whose time is outside the bounds (the worker dead-letters it)."""


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """Event times outside ``[earliest, reference + ahead]`` are not believed."""

    earliest: datetime = EARLIEST
    ahead: timedelta = AHEAD

    def problem(self, time: datetime, reference: datetime) -> str | None:
        """Why ``time`` is implausible relative to ``reference``, or ``None`` if it is fine."""
        if time < self.earliest:
            return (
                f"event time {time.isoformat()} is before {self.earliest.isoformat()} "
                "(a zeroed or corrupt device clock?); CORRELATOR_EVENT_EARLIEST sets this bound"
            )
        if time - reference > self.ahead:
            ahead = format_us((time - reference) // timedelta(microseconds=1))
            return (
                f"event time {time.isoformat()} is {ahead} ahead of {reference.isoformat()}, "
                f"more than the {format_us(self.ahead // timedelta(microseconds=1))} allowed "
                "(check the device clock and time zone); CORRELATOR_EVENT_MAX_AHEAD sets this "
                "bound"
            )
        return None


def time_bounds(settings: Settings) -> TimeBounds:
    """The bounds the operator configured (``CORRELATOR_EVENT_EARLIEST``, ``..._MAX_AHEAD``)."""
    ahead = timedelta(microseconds=parse_us(settings.event_max_ahead))
    return TimeBounds(earliest=settings.event_earliest, ahead=ahead)
