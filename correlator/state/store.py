"""The state store interface and its two local implementations.

Values are plain data (dicts, lists, strings, numbers, booleans, None), so every backend can
hold them: :class:`DictStore` keeps the objects, :class:`RocksdictStore` stores them as JSON,
and the Faust runtime adapts a Table to the same protocol. Treat a value as immutable once it
has been ``put``: build a new one and ``put`` it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from correlator import serde

StoreValue = Any
"""Plain JSON-compatible data."""


class Store(Protocol):
    """Key-value state: the only way the core keeps anything between events."""

    def get(self, key: str) -> StoreValue | None: ...

    def put(self, key: str, value: StoreValue) -> None: ...

    def delete(self, key: str) -> None: ...

    def keys(self) -> Iterator[str]: ...


class DictStore:
    """In-memory store: tests, offline replay, benchmarks."""

    def __init__(self) -> None:
        self._data: dict[str, StoreValue] = {}

    def get(self, key: str) -> StoreValue | None:
        return self._data.get(key)

    def put(self, key: str, value: StoreValue) -> None:
        self._data[key] = value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def keys(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


class RocksdictStore:
    """RocksDB-backed store through rocksdict; values are JSON via :mod:`correlator.serde`."""

    def __init__(self, path: Path) -> None:
        from rocksdict import Rdict

        path.mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(path))

    def get(self, key: str) -> StoreValue | None:
        raw = self._db.get(key.encode())
        return None if raw is None else serde.loads(raw)

    def put(self, key: str, value: StoreValue) -> None:
        self._db[key.encode()] = serde.dumps(value)

    def delete(self, key: str) -> None:
        del self._db[key.encode()]

    def keys(self) -> Iterator[str]:
        for key in self._db.keys():  # noqa: SIM118 (Rdict.__iter__ is not over keys)
            yield key.decode() if isinstance(key, bytes) else str(key)

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return sum(1 for _ in self._db.keys())  # noqa: SIM118
