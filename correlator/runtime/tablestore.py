"""A Faust table as a core :class:`~correlator.state.store.Store`, written back after the
alerts of a record are safe.

Each engine of the worker owns the keys under its prefix (``"<partition>/<by>/"``), so the
core's ``"@watermark"`` is per engine and ``keys()`` yields only that engine's state. Writes
must happen while the agent handles a record of the same partition: Faust sends each change
to that partition of the table's changelog, which is what a restarted or new owner of the
partition restores from.

Changes are held until :meth:`TableStore.flush`. The agent flushes after the broker has
acknowledged the record's alerts: were the state sent first and the worker killed before its
alerts went out, a restarted worker would find the rule's run already fired (or suppressed)
and never send them. Flushing once per record also sends one changelog record per changed
key instead of one per write.

A flush writes the keys in the order of their last change, so a worker killed in the middle
of it leaves the table as the engine's writes would have, in that order, with each key's
earlier writes skipped: a key the engine writes after others (a spilled key's state before
the buckets it emptied, see :mod:`correlator.core.engine`) is never written ahead of them.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from correlator.state.store import StoreValue

_DELETED = object()


class TableStore:
    """The keys of ``table`` that start with ``prefix``, with the prefix removed."""

    def __init__(self, table: MutableMapping[str, Any], prefix: str = "") -> None:
        self._table = table
        self._prefix = prefix
        self._changes: dict[str, Any] = {}

    def get(self, key: str) -> StoreValue | None:
        full = self._prefix + key
        if full in self._changes:
            value = self._changes[full]
            return None if value is _DELETED else value
        return self._table.get(full)

    def put(self, key: str, value: StoreValue) -> None:
        self._change(self._prefix + key, value)

    def delete(self, key: str) -> None:
        self._change(self._prefix + key, _DELETED)

    def _change(self, full: str, value: Any) -> None:
        self._changes.pop(full, None)  # moved to the end: flushed in last-change order
        self._changes[full] = value

    def keys(self) -> Iterator[str]:
        size = len(self._prefix)
        found = {k for k in self._table.keys() if k.startswith(self._prefix)}  # noqa: SIM118
        for full, value in self._changes.items():
            if value is _DELETED:
                found.discard(full)
            else:
                found.add(full)
        return iter(sorted(k[size:] for k in found))

    def flush(self) -> None:
        """Write the held changes to the table (and so to its changelog)."""
        for full, value in self._changes.items():
            if value is not _DELETED:
                self._table[full] = value
            elif full in self._table:  # not pop(): it reads and decodes the value it drops
                del self._table[full]
        self._changes.clear()
