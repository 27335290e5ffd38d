"""Raw feeds played back in accelerated event time through the connectors' delivery path.

A simulator output holds one file per device type, each written in its own order (door
controllers' CSV exports arrive in batches). Live devices would send each record when it
happens, so playback cuts every file into records with its format's framer, reads each
record's event time with its parser, and sends all records of all feeds merged by that time,
at ``speed`` simulated seconds per wall-clock second. Sending is what ``correlator connect``
does (:class:`~correlator_connectors.transports.delivery.Delivery`: parse, produce events,
dead-letter rejects, await the broker's acknowledgement), one connector per feed.

Merging by time matters beyond realism: identity resolves an IDS alert through the DHCP
lease before it, so the lease must reach the worker first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from correlator_connectors.formats import get_parser
from correlator_connectors.parsers.base import ParseContext, Parser, Reject
from correlator_connectors.transports.delivery import Delivery, Record

from correlator.settings import Settings

_BEFORE_ALL = datetime.min.replace(tzinfo=UTC)
SLICE = 0.05
"""Wall-clock seconds between sends: records due within a slice go out together."""


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    """Also the connector name (it names the events' source)."""
    format: str
    path: Path


@dataclass(frozen=True, slots=True)
class Scheduled:
    time: datetime
    """The record's earliest event time; a record without events (a header) keeps the time
    of the record before it in its file, so it stays in front of what it describes."""
    feed: int
    record: Record


@dataclass(slots=True)
class Progress:
    """What playback has done so far; ``now`` is the simulated clock."""

    now: datetime
    records: int = 0
    events: int = 0
    rejects: int = 0


def feeds_of(out: Path, manifest: dict[str, Any]) -> list[Feed]:
    """The feeds a simulator manifest lists."""
    return [Feed(f["name"], f["format"], out / f["path"]) for f in manifest["feeds"]]


def schedule(feeds: Sequence[Feed]) -> list[Scheduled]:
    """Every record of every feed, in event-time order (ties keep feed and file order)."""
    planned: list[Scheduled] = []
    for index, feed in enumerate(feeds):
        parser = get_parser(feed.format)
        framer = parser.framer()
        data = feed.path.read_bytes()
        last = _BEFORE_ALL
        for frame in framer.feed(data) + framer.flush():
            record = Record(frame.data, f"{feed.path}:{frame.offset}")
            last = _time(parser, feed.name, record) or last
            planned.append(Scheduled(last, index, record))
    planned.sort(key=lambda s: s.time)
    return planned


def _time(parser: Parser, connector: str, record: Record) -> datetime | None:
    ctx = ParseContext(connector=connector, ingest_time=datetime.now(UTC),
                       position=record.position)  # fmt: skip
    result = parser.parse(record.data, ctx)
    if isinstance(result, Reject) or not result:
        return None
    return min(event.time for event in result)


class Playback:
    """Sends a schedule at ``speed`` (simulated seconds per second); ``on_hour`` is called
    each time the simulated clock passes a whole hour, and once at the end."""

    def __init__(self, settings: Settings, feeds: Sequence[Feed], speed: float,
                 on_hour: Callable[[Progress], None]) -> None:  # fmt: skip
        self.settings = settings
        self.feeds = list(feeds)
        self.speed = speed
        self.on_hour = on_hour
        self._parsers = [get_parser(feed.format) for feed in self.feeds]
        self._deliveries = [Delivery(settings, f.name, f.format) for f in self.feeds]

    async def run(self, planned: Sequence[Scheduled], start: datetime) -> Progress:
        """Play ``planned`` with the simulated clock starting at ``start``."""
        progress = Progress(now=start)
        for delivery in self._deliveries:
            await delivery.start()
        try:
            began = time.monotonic()
            next_hour = start + timedelta(hours=1)
            index = 0
            while index < len(planned):
                elapsed = time.monotonic() - began
                progress.now = start + timedelta(seconds=elapsed * self.speed)
                due = index
                while due < len(planned) and planned[due].time <= progress.now:
                    due += 1
                await self._send(planned[index:due], progress)
                index = due
                while next_hour <= progress.now:
                    self.on_hour(_at(progress, next_hour))
                    next_hour += timedelta(hours=1)
                await asyncio.sleep(SLICE)
        finally:
            for delivery in self._deliveries:
                await delivery.stop()
        self.on_hour(progress)
        return progress

    async def _send(self, due: Sequence[Scheduled], progress: Progress) -> None:
        """Consecutive records of one feed go as one batch, batches in schedule order."""
        start = 0
        while start < len(due):
            feed = due[start].feed
            end = start
            while end < len(due) and due[end].feed == feed:
                end += 1
            records = [s.record for s in due[start:end]]
            outcome = await self._deliveries[feed].send(self._parsers[feed], records, "file")
            progress.records += len(records)
            progress.events += outcome.events
            progress.rejects += outcome.rejects
            start = end


def _at(progress: Progress, now: datetime) -> Progress:
    return Progress(now, progress.records, progress.events, progress.rejects)
