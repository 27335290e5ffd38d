"""A vendor CSV door-event export, read by the shipped ``csv-doors`` mapping.

Door controllers buffer and upload in batches: the file is in upload order, not event
order (the feed layer decides the order; this writer only formats a row).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from correlator.sim.facts import Badge, DoorAlarm, Fact

COLUMNS = [
    "Timestamp",
    "Event",
    "Card",
    "Cardholder",
    "Site",
    "Door",
    "Reader",
    "Controller",
    "Reason",
]


def _row(values: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue().encode()


class CsvDoorsWriter:
    """Local time with its UTC offset, the way most access-control exports print it."""

    format = "csv-doors"
    suffix = ".csv"

    def __init__(self, tz: str) -> None:
        self._tz = ZoneInfo(tz)

    def header(self, start: datetime) -> bytes:
        return _row(COLUMNS)

    def record(self, fact: Fact, when: datetime) -> bytes:
        stamp = when.astimezone(self._tz).isoformat(timespec="seconds")
        controller = f"ctl-{fact.site}" if isinstance(fact, Badge | DoorAlarm) else ""
        if isinstance(fact, Badge):
            event = "Granted" if fact.granted else "Denied"
            return _row(
                [
                    stamp,
                    event,
                    fact.badge,
                    fact.holder or "",
                    fact.site,
                    fact.door,
                    fact.reader,
                    controller,
                    fact.reason or "",
                ]
            )
        if isinstance(fact, DoorAlarm):
            event = "Forced Open" if fact.state == "DoorForcedOpen" else "Held Open"
            return _row([stamp, event, "", "", fact.site, fact.door, "", controller, ""])
        raise TypeError(f"csv-doors writer: cannot write {type(fact).__name__}")
