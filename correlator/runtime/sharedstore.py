"""Identity state shared by every worker: a live copy of a global table's changelog.

Bindings and presence learned on one worker must resolve events and answer rule predicates
on every other worker at once. Faust's GlobalTable carries the changes (each worker writes
its own changes to the changelog partition of the event it handles, and reads every other
partition), but reading the table itself is not enough: a key written from events of two
partitions (a person badging on two sites) lives in both changelog partitions, so its RocksDB
store holds two copies and a read may find the older one, and nothing orders the two.

So :class:`SharedStore` keeps its own dict, fed by the table's ``on_changelog_event`` hook
(every change, at once, during recovery too) and by this worker's writes. When changes of
one key arrive from several partitions, the newest write wins (Kafka timestamp, i.e. the
writer's wall clock; two workers changing one key within the same few milliseconds is a race
either way). The identity core reads it through the ``Store`` protocol with ``mirror=False``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from correlator import serde
from correlator.state.store import StoreValue

TOMBSTONE_MEMORY = 3600.0
"""Seconds a deleted key remembers when it was deleted (an older write arriving late from
another partition must not bring it back)."""


class SharedStore:
    """A ``Store`` over a changelog-backed table, live with every worker's writes."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.table: MutableMapping[str, Any] | None = None  # set once the table exists
        self._clock = clock
        self._data: dict[str, tuple[float, StoreValue | None]] = {}

    def get(self, key: str) -> StoreValue | None:
        entry = self._data.get(key)
        return None if entry is None else entry[1]

    def put(self, key: str, value: StoreValue) -> None:
        self._data[key] = (self._clock(), value)
        self._writable()[key] = value

    def delete(self, key: str) -> None:
        entry = self._data.get(key)
        if entry is None or entry[1] is None:
            return
        self._data[key] = (self._clock(), None)
        # Faust sends the tombstone, then drops its own copy, which it may not hold yet (a write
        # of another worker not applied to the table so far): the KeyError comes after the send.
        with contextlib.suppress(KeyError):
            del self._writable()[key]

    def keys(self) -> Iterator[str]:
        horizon = self._clock() - TOMBSTONE_MEMORY
        gone = [k for k, (at, v) in self._data.items() if v is None and at < horizon]
        for key in gone:
            del self._data[key]
        return iter([k for k, (_, v) in self._data.items() if v is not None])

    def apply(self, key: str, value: StoreValue | None, stamp: float) -> None:
        """A change read from the changelog (``None``: deleted), written at ``stamp``."""
        entry = self._data.get(key)
        if entry is None or entry[0] <= stamp:
            self._data[key] = (stamp, value)

    async def on_changelog_event(self, event: Any) -> None:
        """The table's hook: every changelog record read (recovery and other workers)."""
        message = event.message
        key = serde.loads(message.key)
        value = None if message.value is None else serde.loads(message.value)
        self.apply(key, value, float(message.timestamp))

    def _writable(self) -> MutableMapping[str, Any]:
        # The table is made with this store's hook, then attached: nothing writes in between.
        assert self.table is not None, "SharedStore written before its table was attached"
        return self.table

    def __len__(self) -> int:
        return sum(1 for _, value in self._data.values() if value is not None)
