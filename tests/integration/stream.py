"""A simulated organisation's feeds as normalized events in arrival order, fed to a running
worker in bounded chunks.

Arrival order, not event time: each feed's file is in the order its device sent it (late
uploads and batched door exports sit behind newer records), and a record arrives once the
newest record before it in its file has happened. Merging the feeds by that moment keeps
every out-of-order arrival and late upload of the simulation.

Feeding models live sources: the stream goes in slices of arrival time, a little at a time
while the worker runs, so the worker reads its topics at about the same event time (it
resolves identity in the order events reach it: a lease or a badge read processed hours
after the events it explains would change the alerts). A fault stops the sources until the
worker has caught up again, as a source's buffer would absorb a short outage.
"""

from __future__ import annotations

import heapq
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeVar

from correlator_connectors.formats import get_parser
from correlator_connectors.parsers.base import ParseContext, Reject

from correlator.model import Event
from correlator.runtime.control import directory_record
from correlator.runtime.playback import feeds_of
from correlator.settings import Settings
from correlator.sim import Scenario, simulate
from tests.integration.workers import send_events, wait_consumed

T = TypeVar("T")

SCENARIO = Scenario(
    seed=3,
    people=int(os.environ.get("CORRELATOR_FAULT_PEOPLE", "2500")),
    sites=3,
    hours=int(os.environ.get("CORRELATOR_FAULT_HOURS", "40")),
)
"""2,500 people over 40 hours: 52,999 events in ``make test``; ``make soak`` sets 5,000 people
over 60 hours: 149,534."""

MINIMUM_EVENTS = int(os.environ.get("CORRELATOR_FAULT_MINIMUM_EVENTS", "50000"))
"""The least events the stream must have: a smaller scenario, for a quicker run while
developing, sets ``CORRELATOR_FAULT_MINIMUM_EVENTS`` lower as well."""


@dataclass(frozen=True)
class Simulated:
    events: list[Event]
    """In arrival order."""
    arrivals: list[datetime]
    """When each event arrives (in event time)."""
    directory: Path
    lateness: str

    @cached_property
    def directory_record(self) -> tuple[bytes, bytes]:
        """The ``directory`` topic's record, as ``correlator directory load`` publishes it:
        validated once (about ten seconds for 2,500 people), then sent to every run's topic."""
        return directory_record(self.directory)


def simulated(out: Path) -> Simulated:
    manifest = simulate(SCENARIO, out)
    feeds = feeds_of(out, manifest)
    arrivals = heapq.merge(*(_arrivals(f.name, f.format, f.path, i) for i, f in enumerate(feeds)))
    merged = list(arrivals)
    events = [event for _, _, _, event in merged]
    times = [arrival for arrival, _, _, _ in merged]
    return Simulated(events, times, out / manifest["directory"], manifest["lateness"])


def _arrivals(
    name: str, fmt: str, path: Path, feed: int
) -> Iterator[tuple[datetime, int, int, Event]]:
    """A feed's events keyed by when they arrive: the newest event time so far in the file."""
    parser = get_parser(fmt)
    framer = parser.framer()
    newest = datetime.min.replace(tzinfo=UTC)
    seq = 0
    for frame in framer.feed(path.read_bytes()) + framer.flush():
        ctx = ParseContext(connector=name, ingest_time=datetime(2026, 1, 1, tzinfo=UTC),
                           position=f"{path.name}:{frame.offset}")  # fmt: skip
        result = parser.parse(frame.data, ctx)
        if isinstance(result, Reject):
            continue
        for event in result:
            newest = max(newest, event.time)
            seq += 1
            yield newest, feed, seq, event


def slices(stream: Simulated, width: timedelta) -> list[list[Event]]:
    """The stream cut every ``width`` of arrival time."""
    out: list[list[Event]] = []
    end: datetime | None = None
    for event, arrival in zip(stream.events, stream.arrivals, strict=True):
        if end is None or arrival >= end:
            out.append([])
            end = (end or arrival) + width
            while arrival >= end:
                end += width
        out[-1].append(event)
    return out


def feed(settings: Settings, stream: Simulated, fault: Callable[[float], bool] | None = None,
         ) -> None:  # fmt: skip
    """Send the stream slice by slice while the worker runs, letting it catch up every few
    slices; ``fault(done)`` runs after each slice with the fraction of the events sent so
    far (not of the slices: nights are nearly empty, and a fault there would find the worker
    idle) and returns whether it did something, after which sources wait for the worker to
    catch up."""
    parts = slices(stream, SLICE)
    sent = 0
    for n, part in enumerate(parts, start=1):
        send_events(settings, part)
        sent += len(part)
        if (fault is not None and fault(sent / len(stream.events))) or n % CATCH_UP_EVERY == 0:
            wait_consumed(settings, CATCH_UP_PATIENCE)
        else:
            time.sleep(PAUSE)
    wait_consumed(settings, CATCH_UP_PATIENCE)


SLICE = timedelta(minutes=30)
PAUSE = 0.2
"""Seconds between two slices."""
CATCH_UP_EVERY = 4
"""Slices between two waits for the worker (two hours of arrival time)."""
CATCH_UP_PATIENCE = 600.0
"""Seconds a wait for the worker may take: the busiest two hours of arrival hold 7,910 events
(14,735 in ``make soak``), and the worker spends about 3.5 ms of CPU on each with the rule
library, up to twice that while other processes share the cores."""


class Background(Generic[T]):
    """``work()`` in a thread of its own, started at once: runs over the stream go side by
    side (two runs take about as long as one here: a worker waits on the broker much of the
    time)."""

    def __init__(self, work: Callable[[], T], name: str) -> None:
        self._work = work
        self._done = threading.Event()
        self._value: list[T] = []
        self._error: list[BaseException] = []
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        try:
            self._value.append(self._work())
        except BaseException as exc:  # raised again by result(), in the test
            self._error.append(exc)
        finally:
            self._done.set()

    def result(self) -> T:
        """Its value once it has ended, or its exception raised."""
        self._done.wait()
        if self._error:
            raise self._error[0]
        return self._value[0]
