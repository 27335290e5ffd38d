"""A Faust table as a core :class:`~correlator.state.store.Store`.

Each engine of the worker owns the keys under its prefix (``"<partition>/<by>/"``), so the
core's ``"@watermark"`` is per engine and ``keys()`` yields only that engine's state. Writes
must happen while the agent handles a record of the same partition: Faust sends each change
to that partition of the table's changelog, which is what a restarted or new owner of the
partition restores from.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from correlator.state.store import StoreValue


class TableStore:
    """The keys of ``table`` that start with ``prefix``, with the prefix removed."""

    def __init__(self, table: MutableMapping[str, Any], prefix: str = "") -> None:
        self._table = table
        self._prefix = prefix

    def get(self, key: str) -> StoreValue | None:
        return self._table.get(self._prefix + key)

    def put(self, key: str, value: StoreValue) -> None:
        self._table[self._prefix + key] = value

    def delete(self, key: str) -> None:
        self._table.pop(self._prefix + key, None)

    def keys(self) -> Iterator[str]:
        size = len(self._prefix)
        found = [k for k in self._table.keys() if k.startswith(self._prefix)]  # noqa: SIM118
        return iter([k[size:] for k in found])
