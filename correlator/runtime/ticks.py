"""The event time a worker tells the ``correlate`` partitions in its ticks: the newest it has
seen, held back to the newest of any input partition that still has records waiting.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

Partition = tuple[str, int]


class InputClock:
    """Per input partition of one worker: the newest event time read and the next offset."""

    def __init__(self) -> None:
        self.newest: dict[Partition, datetime] = {}
        self.next_offset: dict[Partition, int] = {}

    def saw(self, partition: Partition, offset: int, time: datetime | None) -> None:
        """A record handled; ``time``: its event's, None for a record that was not a valid
        event (dead-lettered: it still counts as read)."""
        self.next_offset[partition] = offset + 1
        if time is not None and (partition not in self.newest or time > self.newest[partition]):
            self.newest[partition] = time

    def forget(self, partitions: set[Partition]) -> None:
        """Partitions that went to another worker."""
        for partition in partitions:
            self.newest.pop(partition, None)
            self.next_offset.pop(partition, None)

    def tick_time(self, waiting: Mapping[Partition, bool]) -> datetime | None:
        """The time to tell, given which held partitions have records waiting; None: hold."""
        if not self.newest:
            return None
        if any(behind and p not in self.newest for p, behind in waiting.items()):
            return None  # records waiting, their time unknown yet
        slowest = self.slowest(waiting)
        return max(self.newest.values()) if slowest is None else slowest[1]

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
        consumer reads from, for a partition this worker has not read from yet)."""
        if end is None:
            return False
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
    """

    def __init__(self, drift: timedelta) -> None:
        if drift < timedelta(0):
            raise ValueError(f"alignment drift must not be negative, not {drift}")
        self.drift = drift
        self.held: set[Partition] = set()
        self._limit: datetime | None = None
        self._slowest: Partition | None = None

    def update(
        self, clock: InputClock, waiting: Mapping[Partition, bool]
    ) -> tuple[set[Partition], set[Partition]]:
        """At a tick: (the partitions to hold, the held ones to release)."""
        slowest = clock.slowest(waiting)
        if slowest is None:
            self._limit = self._slowest = None
            hold: set[Partition] = set()
        else:
            self._slowest, newest = slowest
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
