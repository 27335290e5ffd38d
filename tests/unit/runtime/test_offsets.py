"""The stall guard: a partition with a skipped record, or with records waiting and no
progress, is read again from its committed offset; a partition that moves is left alone."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, NamedTuple

from intervaltree import IntervalTree

from correlator.runtime.metrics import RuntimeMetrics
from correlator.runtime.offsets import IDLE_CHECKS, SafeConsumer, StallGuard, missing


class TP(NamedTuple):
    topic: str
    partition: int


EVENTS = TP("events.access", 0)


class FakeConsumer:
    """Faust's offset bookkeeping for one partition, and the calls the guard makes."""

    def __init__(self, highwater: int) -> None:
        self._acked: dict[Any, list[int]] = defaultdict(list)
        self._acked_index: dict[Any, set[int]] = defaultdict(set)
        self._gap: dict[Any, IntervalTree] = defaultdict(IntervalTree)
        self._committed_offset: dict[Any, int | None] = {}
        self._read_offset: dict[Any, int | None] = {}
        self.end = highwater
        self.fetched: int | None = None
        self.seeks: list[tuple[Any, int | None]] = []
        self._commit_fut: object | None = None
        self._unacked_messages: set[object] = set()

    def assignment(self) -> set[Any]:
        return {EVENTS}

    def highwater(self, tp: Any) -> int:
        return self.end

    async def position(self, tp: Any) -> int | None:
        return self.fetched

    async def seek(self, tp: Any, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def earliest_offsets(self, *tps: Any) -> dict[Any, int]:
        return dict.fromkeys(tps, 7)  # older records were deleted by retention

    def ack(self, *offsets: int) -> None:
        self._acked[EVENTS].extend(offsets)
        self._acked_index[EVENTS].update(offsets)


class FakeApp:
    def __init__(self, consumer: FakeConsumer) -> None:
        self.consumer = consumer
        self.rebalancing = False


def guard(consumer: FakeConsumer) -> tuple[StallGuard, FakeApp, RuntimeMetrics]:
    app = FakeApp(consumer)
    metrics = RuntimeMetrics()
    return StallGuard(app, metrics, {EVENTS.topic}), app, metrics


def checks(stall: StallGuard, times: int) -> None:
    for _ in range(times):
        asyncio.run(stall.check())


def rereads(metrics: RuntimeMetrics, kind: str) -> float:
    value = metrics.registry.get_sample_value(
        "correlator_worker_partition_rereads_total",
        {"topic": EVENTS.topic, "partition": "0", "kind": kind},
    )
    return value or 0.0


def test_a_record_is_missing_when_later_ones_were_acknowledged_and_it_was_not() -> None:
    consumer = FakeConsumer(highwater=20)
    consumer._committed_offset[EVENTS] = 10
    assert missing(consumer, EVENTS) is None  # nothing acknowledged yet: in flight
    consumer.ack(10, 11)
    assert missing(consumer, EVENTS) is None  # the run starts at the committed offset
    consumer._acked[EVENTS] = [11, 12]
    assert missing(consumer, EVENTS) == 10  # 10 was skipped
    consumer._gap[EVENTS].addi(10, 11)  # Faust counts 10 as done: no record there
    assert missing(consumer, EVENTS) is None


def test_a_skipped_record_is_read_again_at_the_second_check_even_while_later_ones_move() -> None:
    consumer = FakeConsumer(highwater=200)
    consumer._committed_offset[EVENTS] = 10
    consumer.fetched = 20
    consumer.ack(12, 13)
    stall, _, metrics = guard(consumer)
    checks(stall, 1)
    assert consumer.seeks == []
    consumer.fetched = 60  # a backlog behind it keeps being read
    consumer.ack(*range(14, 60))
    checks(stall, 1)
    assert consumer.seeks == [(EVENTS, 10)]
    assert not consumer._acked[EVENTS]
    assert not consumer._acked_index[EVENTS]
    assert rereads(metrics, "skipped") == 1


def test_an_idle_partition_with_records_waiting_is_read_again_from_the_start() -> None:
    consumer = FakeConsumer(highwater=50)  # never committed, never fetched
    stall, _, metrics = guard(consumer)
    checks(stall, IDLE_CHECKS - 1)
    assert consumer.seeks == []
    checks(stall, 1)
    assert consumer.seeks == [(EVENTS, 7)]
    assert rereads(metrics, "idle") == 1


def test_a_partition_that_moves_or_is_done_is_left_alone() -> None:
    consumer = FakeConsumer(highwater=50)
    consumer._committed_offset[EVENTS] = 0
    stall, _, _ = guard(consumer)
    for offset in range(1, 2 * IDLE_CHECKS + 1):
        consumer._committed_offset[EVENTS] = offset  # slow, but committing
        checks(stall, 1)
    consumer._committed_offset[EVENTS] = consumer.end  # all read
    checks(stall, 2 * IDLE_CHECKS)
    assert consumer.seeks == []


def test_nothing_is_done_while_a_rebalance_resets_positions() -> None:
    consumer = FakeConsumer(highwater=50)
    stall, app, _ = guard(consumer)
    checks(stall, IDLE_CHECKS - 1)
    app.rebalancing = True
    checks(stall, 1)
    app.rebalancing = False
    checks(stall, IDLE_CHECKS - 1)
    assert consumer.seeks == []  # the count started again after the rebalance


def test_nothing_is_done_while_a_commit_is_under_way() -> None:
    consumer = FakeConsumer(highwater=20)
    consumer._committed_offset[EVENTS] = 10
    consumer.fetched = 20
    consumer.ack(12, 13)  # 10 and 11 are being committed: taken out of the acknowledged ones
    consumer._commit_fut = object()
    stall, _, _ = guard(consumer)
    checks(stall, 5)
    assert consumer.seeks == []


def test_a_busy_worker_lets_a_partition_wait_its_turn() -> None:
    consumer = FakeConsumer(highwater=50)
    consumer._unacked_messages = {object()}  # records of other partitions in the streams
    stall, _, _ = guard(consumer)
    checks(stall, 3 * IDLE_CHECKS)
    assert consumer.seeks == []
    consumer._unacked_messages = set()  # nothing else in hand, and still nothing moves
    checks(stall, 1)
    assert consumer.seeks == [(EVENTS, 7)]


def test_a_partition_held_for_alignment_is_not_taken_for_a_stalled_one() -> None:
    consumer = FakeConsumer(highwater=50)
    consumer._committed_offset[EVENTS] = 10
    held = {(EVENTS.topic, EVENTS.partition)}  # read ahead of the others: waits for them
    stall = StallGuard(FakeApp(consumer), RuntimeMetrics(), {EVENTS.topic}, lambda: held)
    checks(stall, 3 * IDLE_CHECKS)
    assert consumer.seeks == []
    held.clear()  # resumed: it has as long as any other partition to move
    checks(stall, IDLE_CHECKS - 1)
    assert consumer.seeks == []
    checks(stall, 1)  # and still nothing moves
    assert consumer.seeks == [(EVENTS, 10)]


def safe_consumer() -> SafeConsumer:
    """A SafeConsumer with only Faust's offset bookkeeping (no app, no client)."""
    consumer = SafeConsumer.__new__(SafeConsumer)
    consumer._acked = defaultdict(list)
    consumer._acked_index = defaultdict(set)
    consumer._gap = defaultdict(IntervalTree)
    consumer._committed_offset = defaultdict(lambda: None)
    return consumer


def acknowledge(consumer: SafeConsumer, *offsets: int) -> None:
    consumer._acked[EVENTS].extend(offsets)
    consumer._acked_index[EVENTS].update(offsets)


def commit(consumer: SafeConsumer) -> int | None:
    offset = consumer._new_offset(EVENTS)
    if offset is not None:
        consumer._committed_offset[EVENTS] = offset
    return offset


def test_a_record_lost_between_two_handed_over_stops_the_commit_until_read_again() -> None:
    consumer = safe_consumer()
    consumer._committed_offset[EVENTS] = 100
    acknowledge(consumer, 100, 101)
    # Faust handed over 101, then 103: 102 was lost on the way.
    asyncio.run(consumer._add_gap(EVENTS, 102, 103))
    acknowledge(consumer, 103, 104)
    assert commit(consumer) == 102  # up to the lost record, not past it
    assert commit(consumer) is None
    assert missing(consumer, EVENTS) == 102  # the stall guard reads it again from there
    # Read again, 102 arrives: nothing was a gap.
    consumer._acked.pop(EVENTS)
    acknowledge(consumer, 102, 103, 104)
    assert commit(consumer) == 105


def test_offsets_where_the_broker_holds_no_record_are_committed_past_not_read_again() -> None:
    consumer = FakeConsumer(highwater=20)
    consumer._committed_offset[EVENTS] = 10  # a transaction marker at 10, say
    consumer.fetched = 20
    consumer.ack(11, 12)
    asked: list[tuple[str, int, int]] = []

    async def probe(topic: str, partition: int, offset: int) -> int | None:
        asked.append((topic, partition, offset))
        return 11  # the first record at or after 10

    stall = StallGuard(FakeApp(consumer), RuntimeMetrics(), {EVENTS.topic}, probe=probe)
    checks(stall, 3)
    assert asked == [(EVENTS.topic, 0, 10)]
    assert consumer.seeks == []
    assert missing(consumer, EVENTS) is None  # Faust commits past it now


def test_a_record_the_broker_holds_or_an_unanswered_probe_is_read_again() -> None:
    async def holds(topic: str, partition: int, offset: int) -> int | None:
        return offset

    async def fails(topic: str, partition: int, offset: int) -> int | None:
        raise ConnectionError("broker gone")

    for probe in (holds, fails):
        consumer = FakeConsumer(highwater=20)
        consumer._committed_offset[EVENTS] = 10
        consumer.fetched = 20
        consumer.ack(11, 12)
        stall = StallGuard(FakeApp(consumer), RuntimeMetrics(), {EVENTS.topic}, probe=probe)
        checks(stall, 2)
        assert consumer.seeks == [(EVENTS, 10)]
