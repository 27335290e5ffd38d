"""Tick times: the newest event time seen, held back to partitions with records waiting; and
the input partitions paused for running ahead (watermark alignment)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.errors import IllegalStateError
from aiokafka.structs import TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from correlator.runtime.correlating import set_paused
from correlator.runtime.ticks import Alignment, InputClock, Partition

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ACCESS, AUTH = ("events.access", 0), ("events.auth", 0)
IDS = ("events.ids", 0)


def clock_with(**minutes: int) -> InputClock:
    clock = InputClock()
    for name, offset in (("access", 0), ("auth", 0)):
        if name in minutes:
            clock.saw((f"events.{name}", offset), 9, T0 + timedelta(minutes=minutes[name]))
    return clock


def test_with_every_partition_read_to_its_end_the_newest_time_is_told() -> None:
    clock = clock_with(access=90, auth=10)
    assert clock.tick_time({ACCESS: False, AUTH: False}) == T0 + timedelta(minutes=90)


def test_a_partition_with_records_waiting_holds_the_time_back_to_its_newest() -> None:
    clock = clock_with(access=90, auth=10)
    assert clock.tick_time({ACCESS: False, AUTH: True}) == T0 + timedelta(minutes=10)


def test_records_waiting_where_nothing_was_read_yet_hold_the_ticks() -> None:
    clock = clock_with(access=90)
    assert clock.tick_time({ACCESS: False, AUTH: True}) is None
    assert clock.tick_time({ACCESS: False, AUTH: False}) == T0 + timedelta(minutes=90)
    assert InputClock().tick_time({}) is None


def test_a_partition_is_behind_until_read_to_its_end() -> None:
    clock = InputClock()
    assert clock.behind(ACCESS, end=10, position=4)  # not read here yet, from offset 4
    assert not clock.behind(ACCESS, end=10, position=10)  # committed at its end before
    assert not clock.behind(ACCESS, end=None, position=0)  # end unknown yet
    clock.saw(ACCESS, 9, T0)
    assert not clock.behind(ACCESS, end=10, position=4)
    assert clock.behind(ACCESS, end=12, position=4)


def test_the_position_is_asked_only_where_it_can_change_the_answer() -> None:
    clock = InputClock()
    assert clock.needs_position(ACCESS, 10)  # records there, none read here yet
    assert not clock.needs_position(ACCESS, 0)  # empty
    assert not clock.needs_position(ACCESS, None)  # end not known yet
    clock.saw(ACCESS, 9, T0)
    assert not clock.needs_position(ACCESS, 12)  # read here: the next offset is known
    for end in (None, 0, 5, 10, 12):
        for partition in (ACCESS, AUTH):
            if not clock.needs_position(partition, end):
                answers = {clock.behind(partition, end, p) for p in (None, 0, 3, 10, 20)}
                assert answers == {clock.behind(partition, end, None)}


def test_partitions_given_away_are_forgotten() -> None:
    clock = clock_with(access=90, auth=10)
    clock.forget({AUTH})
    assert clock.tick_time({ACCESS: False}) == T0 + timedelta(minutes=90)
    assert AUTH not in clock.next_offset


def test_a_dead_lettered_record_counts_as_read_without_a_time() -> None:
    clock = clock_with(access=90)
    clock.saw(ACCESS, 10, None)
    assert not clock.behind(ACCESS, end=11, position=0)
    assert clock.newest[ACCESS] == T0 + timedelta(minutes=90)


def test_the_slowest_partition_is_the_one_with_records_waiting_read_least_far() -> None:
    clock = clock_with(access=90, auth=10)
    clock.saw(IDS, 3, T0 + timedelta(minutes=5))
    slowest = clock.slowest({ACCESS: True, AUTH: True, IDS: False})
    assert slowest == (AUTH, T0 + timedelta(minutes=10))
    assert clock.slowest({ACCESS: False, AUTH: False, IDS: False}) is None  # none waits
    assert clock.slowest({("events.video", 0): True, ACCESS: True}) is None  # time unknown


def test_partitions_past_the_drift_are_held_until_the_slowest_catches_up() -> None:
    align = Alignment(timedelta(minutes=1))
    clock = clock_with(access=90, auth=10)
    clock.saw(IDS, 3, T0 + timedelta(minutes=11))  # within the drift of auth
    waiting = {ACCESS: True, AUTH: True, IDS: True}
    assert align.update(clock, waiting) == ({ACCESS}, set())
    assert align.update(clock, waiting) == ({ACCESS}, set())  # held again at every tick
    clock.saw(AUTH, 20, T0 + timedelta(minutes=89))
    clock.saw(IDS, 9, T0 + timedelta(minutes=90))
    assert align.update(clock, waiting) == (set(), {ACCESS})  # within the drift again
    assert align.held == set()


def test_nothing_is_held_when_no_partition_waits_or_the_slowest_time_is_unknown() -> None:
    align = Alignment(timedelta(0))
    clock = clock_with(access=90, auth=10)
    assert align.update(clock, {ACCESS: True, AUTH: True}) == ({ACCESS}, set())
    assert align.update(clock, {ACCESS: False, AUTH: False}) == (set(), {ACCESS})  # live
    align.update(clock, {ACCESS: True, AUTH: True})
    unknown = {ACCESS: True, AUTH: True, IDS: True}  # ids has records, none read yet
    assert align.update(clock, unknown) == (set(), {ACCESS})
    assert not align.overtakes(AUTH, T0 + timedelta(hours=9))  # no limit: nothing held


def test_a_record_past_the_limit_holds_its_partition_at_once_but_never_the_slowest() -> None:
    align = Alignment(timedelta(minutes=1))
    clock = clock_with(access=1, auth=1)
    clock.saw(IDS, 3, T0)
    align.update(clock, {ACCESS: True, AUTH: True, IDS: True})  # slowest: ids; limit 08:01
    assert not align.overtakes(ACCESS, T0 + timedelta(minutes=1))  # at the limit
    assert align.overtakes(ACCESS, T0 + timedelta(minutes=2))
    assert not align.overtakes(ACCESS, T0 + timedelta(minutes=3))  # held already
    assert not align.overtakes(IDS, T0 + timedelta(hours=5))  # it moves the limit
    assert align.held == {ACCESS}
    align.forget({ACCESS, IDS})  # went to another worker
    assert align.held == set()
    assert not align.overtakes(AUTH, T0 + timedelta(hours=5))


def test_a_negative_drift_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Alignment(timedelta(seconds=-1))


@given(
    newest=st.lists(st.integers(0, 600), min_size=1, max_size=6),
    waits=st.lists(st.booleans(), min_size=6, max_size=6),
    drift=st.integers(0, 120),
    reads=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 900)), max_size=20),
)
def test_alignment_always_leaves_a_waiting_partition_to_read(
    newest: list[int], waits: list[bool], drift: int, reads: list[tuple[int, int]]
) -> None:
    """Whatever the times, a partition with records waiting is never all held: the slowest
    one is read on, after a tick and between ticks."""
    clock = InputClock()
    parts: list[Partition] = [(f"events.t{i}", 0) for i in range(len(newest))]
    for part, minute in zip(parts, newest, strict=True):
        clock.saw(part, 0, T0 + timedelta(minutes=minute))
    waiting = {part: waits[i] for i, part in enumerate(parts)}
    align = Alignment(timedelta(minutes=drift))
    hold, _ = align.update(clock, waiting)
    limit = min((clock.newest[p] for p, w in waiting.items() if w), default=None)
    for part in hold:
        assert limit is not None
        assert clock.newest[part] > limit + align.drift
    for index, minute in reads:
        part = parts[index % len(parts)]
        if part not in align.held:
            clock.saw(part, 1, T0 + timedelta(minutes=minute))
            align.overtakes(part, T0 + timedelta(minutes=minute))
    if any(waiting.values()):
        assert {p for p, w in waiting.items() if w} - align.held
        slowest = clock.slowest(waiting)
        assert slowest is not None
        assert slowest[0] not in align.update(clock, waiting)[0]


class FakeClient:
    """aiokafka's pause bookkeeping: a partition not assigned raises, as aiokafka does."""

    def __init__(self, assigned: set[TopicPartition], paused: set[TopicPartition]) -> None:
        self.assigned = assigned
        self._paused = set(paused)

    def paused(self) -> set[TopicPartition]:
        return set(self._paused)

    def pause(self, tp: TopicPartition) -> None:
        if tp not in self.assigned:
            raise IllegalStateError(f"no current assignment for partition {tp}")
        self._paused.add(tp)

    def resume(self, tp: TopicPartition) -> None:
        if tp not in self.assigned:
            raise IllegalStateError(f"no current assignment for partition {tp}")
        self._paused.discard(tp)


def test_the_clients_paused_set_is_made_to_match_skipping_partitions_taken_meanwhile() -> None:
    a, b, c, gone = (TopicPartition("events.auth", n) for n in range(4))
    client = FakeClient(assigned={a, b, c}, paused={b, c})
    set_paused(client, {gone: True, a: True, b: False, c: True})
    assert client.paused() == {a, c}
    set_paused(client, {a: False, b: False, c: False})
    assert client.paused() == set()
