"""The event time a worker tells the ``correlate`` partitions in its ticks: the newest it has
seen, held back to the newest of any input partition that still has records waiting.

Topics are read at different paces: after a restart, or with one source much busier than
another, the records waiting in one partition can be hours of event time behind those just
read from another. A tick with the newest time seen would move the watermark past the
waiting events and count them late. A partition read to its end holds nothing back (a quiet
source must not stop the clock), and one with records waiting but none read yet holds the
ticks until its first record tells its time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

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
        bound = max(self.newest.values())
        for partition, behind in waiting.items():
            if not behind:
                continue
            if partition not in self.newest:
                return None  # records waiting, their time unknown yet
            bound = min(bound, self.newest[partition])
        return bound

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
