"""A worker killed while it writes a record's state changes loses no alert.

The worker holds the engine's writes of one record in a :class:`.TableStore` and writes them
to the table (so to its changelog) after the record's alerts are out; a ``kill -9`` can stop
that flush after any number of its writes, and the restarted worker reads the record again
from the table the flush left. Spilled keys change several values at once (their state and
their buckets), so the order of a flush matters: these tests crash at every point of it.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.core.engine import Engine
from correlator.core.rules.model import Rule
from correlator.model import Alert, Event
from correlator.runtime.tablestore import TableStore
from tests.unit.core.kit import at, ev
from tests.unit.core.test_engine_properties import LATENESS, RULES, streams
from tests.unit.core.test_engine_scenarios import THRESHOLD
from tests.unit.core.test_engine_spill import INLINE


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


Record = Event | datetime | None
"""What the worker's engine handles: an event, a tick (the watermark it allows), or the end
(the test's own flush of every window)."""


def handle(engine: Engine, record: Record) -> list[Alert]:
    if isinstance(record, Event):
        return engine.process(record).alerts
    if record is None:
        return engine.flush()
    return engine.advance(record)


def run(
    records: list[Record],
    spill_at: int,
    kills: dict[int, int] | None = None,
    rules: list[Rule] = RULES,
) -> list[str]:
    """Alert ids of the records through a worker's engine. ``kills``: record position ->
    writes; the worker is killed once that record's flush has made that many writes, then
    restarted from the table, and given that record again."""
    table = Table()
    lateness = timedelta(seconds=LATENESS)
    kills = dict(kills or {})

    def start() -> tuple[Engine, TableStore]:
        store = TableStore(table, "0/site/")
        # What the restore changes is written with the changes of the record it is made for.
        engine = Engine(rules, store, lateness=lateness, follow_events=False, spill_at=spill_at)
        return engine, store

    engine, store = start()
    alerts: list[Alert] = []
    position = 0
    while position < len(records):
        alerts += handle(engine, records[position])  # sent before the state is written
        table.left = kills.pop(position, None)
        try:
            store.flush()
        except Killed:
            table.left = None
            engine, store = start()
            continue  # the record was not committed: it is read again
        table.left = None
        position += 1
    return sorted({alert.id for alert in alerts})


@st.composite
def worked(draw: st.DrawFn) -> list[Record]:
    """A stream in a worker's arrival order (each event up to the lateness behind the
    newest, so none is late), with ticks between events and the end after them."""
    events = draw(streams())
    rnd = draw(st.randoms(use_true_random=False))
    jitter = {e.id: rnd.uniform(0, LATENESS) for e in events}
    arrived = sorted(events, key=lambda e: e.time + timedelta(seconds=jitter[e.id]))
    records: list[Record] = []
    newest: datetime | None = None
    for event in arrived:
        records.append(event)
        newest = event.time if newest is None else max(newest, event.time)
        if draw(st.booleans()):
            records.append(newest - timedelta(seconds=LATENESS))
    records.append(None)
    return records


@settings(max_examples=200, deadline=None)
@given(worked(), st.sampled_from([0, 1, 3]), st.data())
def test_a_worker_killed_during_any_flush_gives_the_alerts_of_one_never_killed(
    records: list[Record], spill_at: int, data: st.DataObject
) -> None:
    # Killed in the flush of many records, each after any number of writes.
    size = len(records)
    writes = data.draw(st.lists(st.none() | st.integers(0, 20), min_size=size, max_size=size))
    kills = {position: w for position, w in enumerate(writes) if w is not None}
    assert run(records, spill_at, kills) == run(records, INLINE)


def test_a_key_emptied_by_its_buckets_keeps_what_it_took_until_they_are_deleted() -> None:
    # Three denials in a minute fire; the third is the only hit of its bucket, and the move
    # that takes it empties the key. Killed once the state is written and before the bucket
    # is deleted, the restarted worker must not count the third denial again: with 22 and 23
    # it would make a second run of three that the worker never killed does not see.
    records: list[Record] = [
        ev(0, "access_denied"),
        ev(1, "access_denied"),
        at(10),
        ev(20, "access_denied"),
        at(21),  # takes the denial at 20: the rule fires, the key holds nothing more
        ev(22, "access_denied"),
        ev(23, "access_denied"),
        None,
    ]
    never_killed = run(records, INLINE, rules=[THRESHOLD])
    assert len(never_killed) == 1
    for writes in range(4):  # the watermark, the state, the bucket, and past them
        assert run(records, 0, {4: writes}, rules=[THRESHOLD]) == never_killed


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
