"""The time the ``correlate`` partitions move their watermark to: the newest event time read,
held back to the newest of any input partition that still has records waiting.

Topics are read at different paces: after a restart, or with one source much busier than
another, the records waiting in one partition can be hours of event time behind those just
read from another. A tick with the newest time seen would move the watermark past the
waiting events and count them late. A partition read to its end holds nothing back (a quiet
source must not stop the clock), and one with records waiting but none read yet holds the
ticks until its first record tells its time.

Holding the ticks back keeps the events of a slow partition on time, but the events read
ahead wait in the engines' state (as pending hits) until the watermark reaches them, and a
key's pending hits are rewritten on every hit: the further ahead a partition runs, the more
each event costs. :class:`Alignment` keeps the partitions within a drift of the slowest one
with records waiting by pausing the fetch of those that run further ahead (as watermark
alignment does in other stream processors).

With several workers, each reads some of the input partitions, and each ``correlate``
partition takes ticks from all of them. A tick is therefore not a time but a **report**:
for every input partition the worker reads, its newest time and whether records wait in it.
Each ``correlate`` partition keeps the latest report of every input partition on a
:class:`Board` and moves its watermark with the time the whole set of input partitions
allows, the same rule one worker applies to its own partitions. An input partition nobody
has reported yet holds the watermark: a worker that has not been heard from cannot make
another's events late.

A report also tells how far each input partition was read. When a partition changes
workers, the new one reads again from the last committed offset records the old one had
already forwarded; a ``correlate`` partition that finds such a copy behind its watermark
knows from the board that it is a record read twice, not a late event.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

Partition = tuple[str, int]


class Told(NamedTuple):
    """What a worker tells of one input partition it reads."""

    newest: datetime | None
    """The newest event time read from it; None: nothing read yet."""
    waiting: bool
    """Whether records wait in it."""
    read_to: int | None = None
    """The offset it reads next (every record before it was forwarded); None: not known."""


Report = dict[Partition, Told]


class InputClock:
    """Per input partition of one worker: the newest event time read and the next offset."""

    def __init__(self) -> None:
        self.newest: dict[Partition, datetime] = {}
        self.next_offset: dict[Partition, int] = {}
        self.read_to: dict[Partition, int] = {}
        """Per partition: the offset after the run of records handled without a gap since
        the first one read here (a record Faust lost, or an offset gap a transactional
        producer leaves, stops it: the reports then claim less, never more)."""

    def saw(self, partition: Partition, offset: int, time: datetime | None) -> None:
        """A record handled; ``time``: its event's, None for a record that was not a valid
        event (dead-lettered: it still counts as read)."""
        self.next_offset[partition] = offset + 1
        if self.read_to.setdefault(partition, offset) == offset:
            self.read_to[partition] = offset + 1
        if time is not None and (partition not in self.newest or time > self.newest[partition]):
            self.newest[partition] = time

    def forget(self, partitions: set[Partition]) -> None:
        """Partitions that went to another worker."""
        for partition in partitions:
            self.newest.pop(partition, None)
            self.next_offset.pop(partition, None)
            self.read_to.pop(partition, None)

    def report(self, waiting: Mapping[Partition, bool]) -> Report:
        """What to tell of the partitions in ``waiting`` (those this worker reads)."""
        return {
            p: Told(self.newest.get(p), behind, self.read_to.get(p))
            for p, behind in waiting.items()
        }

    def slowest(self, waiting: Mapping[Partition, bool]) -> tuple[Partition, datetime] | None:
        """The partition with records waiting that was read the least far, and its newest
        time; None when none waits, or when one that waits was not read yet (its time is
        unknown: everything is held for it)."""
        found: tuple[Partition, datetime] | None = None
        for partition, behind in waiting.items():
            if not behind:
                continue
            newest = self.newest.get(partition)
            if newest is None:
                return None
            if found is None or newest < found[1]:
                found = (partition, newest)
        return found

    def needs_position(self, partition: Partition, end: int | None) -> bool:
        """Whether :meth:`behind` needs the consumer's read position of ``partition``: only
        for one not read here yet that holds records (an empty partition, or one whose end is
        not known yet, has none waiting). Asking costs a round trip to the consumer's thread,
        on every tick for every empty input partition."""
        return partition not in self.next_offset and bool(end)

    def behind(self, partition: Partition, end: int | None, position: int | None) -> bool:
        """Whether records wait in ``partition`` (end: its end offset; position: where the
        consumer reads from, for a partition this worker has not read from yet).

        A partition not read here whose end is not known yet (just assigned, not fetched
        yet) counts as waiting: its time is unknown, so it holds the ticks until its first
        fetch tells (a partition taken over from another worker may hold a backlog)."""
        if end is None:
            return partition not in self.next_offset
        read_to = self.next_offset.get(partition, position)
        return read_to is not None and read_to < end


class Alignment:
    """Which input partitions to pause because they run ahead of the slowest one.

    At every tick, :meth:`update` computes the limit (the newest time of the slowest
    partition with records waiting, plus ``drift``) and holds the partitions with records
    waiting whose newest time is past it; it releases the others. Between ticks,
    :meth:`overtakes` holds a partition as soon as it reads a record past the limit, except
    the slowest one, which must go on for the limit to move (so at least one partition
    with records waiting is always read: alignment cannot stall the worker). When no
    partition waits (live traffic) or the slowest one's time is unknown, nothing is held.

    With several workers, ``floor`` (from a :class:`Board`) is the newest time of the slowest
    partition with records waiting that another worker reads: when it is behind this
    worker's slowest, the limit follows it and every partition here may be held, since the
    other worker reads the slowest one. The worker that reads the slowest partition of all
    never holds it, so the group cannot stall; a floor that lags behind (the board learns of
    reports through the ``correlate`` topic) only holds partitions longer than needed.
    """

    def __init__(self, drift: timedelta) -> None:
        if drift < timedelta(0):
            raise ValueError(f"alignment drift must not be negative, not {drift}")
        self.drift = drift
        self.held: set[Partition] = set()
        self._limit: datetime | None = None
        self._slowest: Partition | None = None

    def update(
        self, clock: InputClock, waiting: Mapping[Partition, bool], floor: datetime | None = None
    ) -> tuple[set[Partition], set[Partition]]:
        """At a tick: (the partitions to hold, the held ones to release)."""
        slowest = clock.slowest(waiting)
        if slowest is None:
            self._limit = self._slowest = None
            hold: set[Partition] = set()
        else:
            self._slowest, newest = slowest
            if floor is not None and floor < newest:
                self._slowest, newest = None, floor  # another worker reads the slowest
            self._limit = limit = newest + self.drift
            hold = {p for p, behind in waiting.items() if behind and clock.newest[p] > limit}
        release = self.held - hold
        self.held = hold
        return hold, release

    def overtakes(self, partition: Partition, time: datetime) -> bool:
        """A record of ``partition`` at ``time`` was read: whether to hold the partition now
        (True once, until it is released)."""
        limit = self._limit
        if limit is None or time <= limit or partition == self._slowest:
            return False
        if partition in self.held:
            return False
        self.held.add(partition)
        return True

    def held_now(self) -> set[Partition]:
        """The partitions held at this moment."""
        return self.held

    def forget(self, partitions: set[Partition]) -> None:
        """Partitions that went to another worker."""
        self.held -= partitions
        if self._slowest in partitions:
            self._limit = self._slowest = None


class Board:
    """Per ``correlate`` partition: the latest report of every input partition, from
    whichever worker reads it, and the time they allow the watermark to move to.

    That time is the newest time of the slowest input partition with records waiting; when
    none waits (live traffic), the newest time of all. It is unknown (hold) while an input
    partition has not been reported, or has records waiting of which nothing was read yet.
    A partition's report is replaced by any report of a later or the same consumer group
    generation (a partition has one reader per generation, and its reports arrive in order);
    a report of an earlier generation, from a worker that had not yet learned the partition
    was taken from it, is ignored.
    """

    def __init__(self, topics: Iterable[str]) -> None:
        self.topics = frozenset(topics)
        self.counts: dict[str, int] = {}
        self.reports: dict[Partition, tuple[int, datetime | None, bool]] = {}
        self.read_to: dict[Partition, int] = {}
        """Per input partition: the furthest offset any report told it was read to."""

    def take(self, generation: int, counts: Mapping[str, int], report: Report) -> None:
        """A worker's report: its group generation, the partition count of each input topic,
        and its partitions'."""
        for topic, count in counts.items():
            if topic in self.topics:
                self.counts[topic] = count
        for partition, (newest, waiting, read_to) in report.items():
            known = self.reports.get(partition)
            if known is None or generation >= known[0]:
                self.reports[partition] = (generation, newest, waiting)
            if read_to is not None and read_to > self.read_to.get(partition, 0):
                self.read_to[partition] = read_to

    def forwarded(self, partition: Partition, offset: int) -> bool:
        """Whether the record at ``offset`` of an input partition was read and forwarded
        before a report this board has taken (so a copy of it arriving now was read again,
        by a worker that took the partition over from its last committed offset)."""
        return offset < self.read_to.get(partition, 0)

    def slowest(self, exclude: Collection[Partition]) -> datetime | None:
        """The newest time of the slowest input partition with records waiting, of those not
        in ``exclude`` (the ones this worker reads: it knows them better); None when none
        waits, or one that waits has no time yet."""
        found: datetime | None = None
        for partition, (_, newest, waiting) in self.reports.items():
            if not waiting or partition in exclude:
                continue
            if newest is None:
                return None
            if found is None or newest < found:
                found = newest
        return found

    def time(self) -> datetime | None:
        """The time the input partitions allow; None: hold."""
        if self.counts.keys() != self.topics:
            return None  # a topic's partition count is not known yet
        slowest: datetime | None = None
        newest_all: datetime | None = None
        for topic, count in self.counts.items():
            for number in range(count):
                known = self.reports.get((topic, number))
                if known is None:
                    return None  # not heard of yet
                _, newest, waiting = known
                if waiting and newest is None:
                    return None  # records waiting, their time unknown yet
                if newest is None:
                    continue
                if waiting and (slowest is None or newest < slowest):
                    slowest = newest
                if newest_all is None or newest > newest_all:
                    newest_all = newest
        return slowest if slowest is not None else newest_all


def report_message(generation: int, counts: Mapping[str, int], report: Report) -> dict[str, Any]:
    """A report as the JSON a tick carries."""
    inputs = [
        [topic, number, None if told.newest is None else told.newest.astimezone(UTC).isoformat(),
         told.waiting, told.read_to]
        for (topic, number), told in sorted(report.items())
    ]  # fmt: skip
    return {"generation": generation, "topics": dict(counts), "inputs": inputs}


def read_report(message: Mapping[str, Any]) -> tuple[int, dict[str, int], Report] | None:
    """A tick's report (see :func:`report_message`); None for a tick of an earlier version,
    which carried one time for all partitions and is ignored."""
    if "inputs" not in message:
        return None
    report: Report = {}
    for topic, number, newest, waiting, read_to in message["inputs"]:
        time = None if newest is None else datetime.fromisoformat(newest)
        at = None if read_to is None else int(read_to)
        report[(str(topic), int(number))] = Told(time, bool(waiting), at)
    counts = {str(topic): int(count) for topic, count in message["topics"].items()}
    return int(message["generation"]), counts, report
