"""SharedStore: this worker's writes and the changelog's, newest write first per key."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from correlator import serde
from correlator.runtime.sharedstore import TOMBSTONE_MEMORY, SharedStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def shared() -> tuple[SharedStore, dict[str, Any], Clock]:
    clock = Clock()
    store = SharedStore(clock)
    table: dict[str, Any] = {}
    store.table = table
    return store, table, clock


def changelog(store: SharedStore, key: str, value: Any, stamp: float) -> None:
    raw = None if value is None else serde.dumps(value)
    message = SimpleNamespace(key=serde.dumps(key), value=raw, timestamp=stamp)
    asyncio.run(store.on_changelog_event(SimpleNamespace(message=message)))


def test_writes_go_to_the_table_and_read_back() -> None:
    store, table, _ = shared()
    store.put("a", [1, 2])
    assert store.get("a") == [1, 2]
    assert table == {"a": [1, 2]}
    store.delete("a")
    assert store.get("a") is None
    assert table == {}
    assert list(store.keys()) == []


def test_another_workers_change_is_read_at_once() -> None:
    store, table, _ = shared()
    changelog(store, "a", {"x": 1}, 999.0)
    assert store.get("a") == {"x": 1}
    assert list(store.keys()) == ["a"]
    assert table == {}  # read from the changelog, not written again


def test_an_older_change_from_another_partition_loses_to_a_newer_write() -> None:
    store, _, clock = shared()
    store.put("a", "mine")
    changelog(store, "a", "theirs, older", clock.now - 1)
    assert store.get("a") == "mine"
    changelog(store, "a", "theirs, newer", clock.now + 1)
    assert store.get("a") == "theirs, newer"


def test_a_deleted_key_stays_deleted_against_older_changes_for_a_while() -> None:
    store, _, clock = shared()
    store.put("a", 1)
    clock.now += 10
    store.delete("a")
    changelog(store, "a", 1, clock.now - 5)  # written before the delete, arriving after it
    assert store.get("a") is None
    changelog(store, "a", None, clock.now + 1)  # another worker's delete
    clock.now += TOMBSTONE_MEMORY + 10
    assert list(store.keys()) == []
    assert len(store) == 0
    changelog(store, "a", 2, clock.now)
    assert store.get("a") == 2
