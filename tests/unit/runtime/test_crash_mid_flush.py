"""A worker killed while it writes a record's state changes loses no alert.

The worker holds the engine's writes of one record in a :class:`.TableStore` and writes them
to the table (so to its changelog) after the record's alerts are out; a ``kill -9`` can stop
that flush after any number of its writes, and the restarted worker reads the record again
from the table the flush left. Spilled keys change several values at once (their state and
their buckets), so the order of a flush matters: these tests crash at every point of it.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import orjson
import pytest

from correlator.runtime.tablestore import TableStore


class Killed(Exception):
    """The worker was killed in the middle of a flush."""


class Table(MutableMapping[str, Any]):
    """A table that keeps values encoded (as the changelog does), and that stops taking
    writes, as a killed worker, after ``left`` more of them."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.left: int | None = None

    def _write(self) -> None:
        if self.left is not None:
            if self.left == 0:
                raise Killed
            self.left -= 1

    def __getitem__(self, key: str) -> Any:
        return orjson.loads(self.data[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self._write()
        self.data[key] = orjson.dumps(value)

    def __delitem__(self, key: str) -> None:
        self._write()
        del self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.data))

    def __len__(self) -> int:
        return len(self.data)


def test_a_flush_writes_keys_in_the_order_of_their_last_change() -> None:
    table = Table()
    store = TableStore(table, "0/")
    store.put("a", 1)
    store.put("b", 2)
    store.put("a", 3)  # a is now written after b
    store.delete("c")
    table.left = 1
    with pytest.raises(Killed):
        store.flush()
    assert table.data == {"0/b": orjson.dumps(2)}
