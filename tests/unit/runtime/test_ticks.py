"""Ticks: what a worker reports of its input partitions, the time a ``correlate`` partition's
board of reports allows (the newest event time, held back to partitions with records
waiting, whichever worker reads them); and the input partitions paused for running ahead
(watermark alignment)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from aiokafka.errors import IllegalStateError
from aiokafka.structs import TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from correlator.runtime.correlating import SOURCE_HEADER, set_paused, source_header, source_of
from correlator.runtime.ticks import (
    Alignment,
    Board,
    InputClock,
    Partition,
    Report,
    Told,
    read_report,
    report_message,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ACCESS, AUTH = ("events.access", 0), ("events.auth", 0)
IDS = ("events.ids", 0)


def clock_with(**minutes: int) -> InputClock:
    clock = InputClock()
    for name, offset in (("access", 0), ("auth", 0)):
        if name in minutes:
            clock.saw((f"events.{name}", offset), 9, T0 + timedelta(minutes=minutes[name]))
    return clock


TOPICS = {"events.access": 1, "events.auth": 1}


def allowed(clock: InputClock, waiting: dict[Partition, bool]) -> datetime | None:
    """The time one worker reading every partition in ``waiting`` lets the board move to."""
    board = Board(TOPICS)
    board.take(1, TOPICS, clock.report(waiting))
    return board.time()


def test_with_every_partition_read_to_its_end_the_newest_time_is_told() -> None:
    clock = clock_with(access=90, auth=10)
    assert allowed(clock, {ACCESS: False, AUTH: False}) == T0 + timedelta(minutes=90)


def test_a_partition_with_records_waiting_holds_the_time_back_to_its_newest() -> None:
    clock = clock_with(access=90, auth=10)
    assert allowed(clock, {ACCESS: False, AUTH: True}) == T0 + timedelta(minutes=10)


def test_records_waiting_where_nothing_was_read_yet_hold_the_ticks() -> None:
    clock = clock_with(access=90)
    assert allowed(clock, {ACCESS: False, AUTH: True}) is None
    assert allowed(clock, {ACCESS: False, AUTH: False}) == T0 + timedelta(minutes=90)
    assert allowed(InputClock(), {ACCESS: False, AUTH: False}) is None  # nothing read


def test_a_partition_nobody_has_reported_holds_the_board() -> None:
    board = Board(TOPICS)
    assert board.time() is None
    board.take(1, {"events.access": 1}, {ACCESS: Told(T0, False)})
    assert board.time() is None  # the auth topic's partition count is not known yet
    board.take(1, TOPICS, {ACCESS: Told(T0, False)})
    assert board.time() is None  # events.auth/0 not reported: its reader was not heard of
    board.take(1, TOPICS, {AUTH: Told(None, False)})  # reported, empty
    assert board.time() == T0


def test_each_partition_is_told_by_its_own_reader_and_the_slowest_waiting_one_wins() -> None:
    board = Board({"events.access": 2, "events.auth": 1})
    other = ("events.access", 1)
    ahead, behind = T0 + timedelta(hours=5), T0 + timedelta(minutes=10)
    board.take(3, {"events.access": 2, "events.auth": 1}, {ACCESS: Told(ahead, True)})
    board.take(
        3,
        {"events.access": 2, "events.auth": 1},
        {other: Told(behind, True), AUTH: Told(ahead, False)},
    )
    assert board.time() == behind  # the second worker's backlog holds the first one's ticks
    board.take(3, {}, {other: Told(ahead, False)})  # caught up
    assert board.time() == ahead


def test_a_report_of_an_earlier_generation_is_ignored() -> None:
    board = Board(TOPICS)
    board.take(5, TOPICS, {ACCESS: Told(T0, True), AUTH: Told(T0, False)})
    board.take(4, TOPICS, {ACCESS: Told(T0 + timedelta(hours=1), False)})  # its old reader, late
    assert board.reports[ACCESS] == (5, T0, True)
    board.take(5, TOPICS, {ACCESS: Told(T0 + timedelta(minutes=2), True)})  # same reader: newer
    board.take(6, TOPICS, {ACCESS: Told(T0 + timedelta(minutes=1), True)})  # re-read from a commit
    assert board.time() == T0 + timedelta(minutes=1)


def test_a_report_goes_through_json_unchanged_and_old_ticks_are_ignored() -> None:
    report: Report = {ACCESS: Told(T0, True, 120), AUTH: Told(None, False)}
    message = json.loads(json.dumps(report_message(7, TOPICS, report)))
    assert read_report(message) == (7, TOPICS, report)
    assert read_report({"tick": T0.isoformat()}) is None


def test_a_partition_is_behind_until_read_to_its_end() -> None:
    clock = InputClock()
    assert clock.behind(ACCESS, end=10, position=4)  # not read here yet, from offset 4
    assert not clock.behind(ACCESS, end=10, position=10)  # committed at its end before
    assert clock.behind(ACCESS, end=None, position=0)  # end unknown yet: not fetched
    clock.saw(ACCESS, 9, T0)
    assert not clock.behind(ACCESS, end=10, position=4)
    assert clock.behind(ACCESS, end=12, position=4)
    assert not clock.behind(ACCESS, end=None, position=0)  # read here: its time is known


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


def test_a_record_before_the_furthest_offset_reported_was_forwarded_already() -> None:
    board = Board(TOPICS)
    assert not board.forwarded(ACCESS, 0)  # nothing reported: a copy behind is truly late
    board.take(4, TOPICS, {ACCESS: Told(T0, True, 500)})  # the old reader, up to 499
    board.take(5, TOPICS, {ACCESS: Told(T0, True, 200)})  # the new one, again from 120
    assert board.forwarded(ACCESS, 120)
    assert board.forwarded(ACCESS, 499)
    assert not board.forwarded(ACCESS, 500)
    assert not board.forwarded(AUTH, 3)


def test_the_offset_reported_read_to_stops_at_a_record_not_handled() -> None:
    clock = InputClock()
    for offset in (40, 41, 42):
        clock.saw(ACCESS, offset, T0)
    assert clock.report({ACCESS: False})[ACCESS].read_to == 43
    clock.saw(ACCESS, 44, T0)  # 43 never came (lost on the way): the report claims no more
    assert clock.report({ACCESS: True})[ACCESS].read_to == 43
    assert clock.next_offset[ACCESS] == 45
    clock.saw(ACCESS, 43, T0)  # read again from the committed offset, in order
    clock.saw(ACCESS, 44, T0)
    assert clock.report({ACCESS: False})[ACCESS].read_to == 45


def test_partitions_given_away_are_forgotten() -> None:
    clock = clock_with(access=90, auth=10)
    clock.forget({AUTH})
    assert clock.report({ACCESS: False}) == {ACCESS: Told(T0 + timedelta(minutes=90), False, 10)}
    assert AUTH not in clock.next_offset
    assert AUTH not in clock.newest


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


def test_a_slower_partition_of_another_worker_holds_every_partition_here() -> None:
    align = Alignment(timedelta(minutes=1))
    clock = clock_with(access=30, auth=10)
    waiting = {ACCESS: True, AUTH: True}
    assert align.update(clock, waiting, floor=T0 + timedelta(minutes=5)) == ({ACCESS, AUTH}, set())
    assert align.update(clock, waiting, floor=T0 + timedelta(minutes=20)) == ({ACCESS}, {AUTH})
    assert not align.overtakes(AUTH, T0 + timedelta(hours=1))  # the slowest of all: read on
    align.update(clock, waiting, floor=T0 + timedelta(minutes=5))
    align.held.clear()
    assert align.overtakes(AUTH, T0 + timedelta(minutes=7))  # the floor binds: no exemption


def test_the_floor_is_the_slowest_waiting_partition_of_the_others() -> None:
    board = Board(TOPICS)
    board.take(1, TOPICS, {ACCESS: Told(T0, True), AUTH: Told(T0 + timedelta(hours=1), True)})
    assert board.slowest(exclude={ACCESS}) == T0 + timedelta(hours=1)
    assert board.slowest(exclude=set()) == T0
    board.take(1, TOPICS, {AUTH: Told(T0, False)})
    assert board.slowest(exclude={ACCESS}) is None  # none of the others waits
    board.take(1, TOPICS, {AUTH: Told(None, True)})
    assert board.slowest(exclude={ACCESS}) is None  # one waits, its time unknown


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


@given(
    parts=st.lists(
        st.tuples(st.booleans(), st.one_of(st.none(), st.integers(0, 600))),
        min_size=1,
        max_size=6,
    ),
    readers=st.lists(st.integers(0, 2), min_size=6, max_size=6),
    order=st.permutations(range(3)),
    stale=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 900)), max_size=4),
)
def test_the_board_never_passes_a_partition_with_records_waiting(
    parts: list[tuple[bool, int | None]],
    readers: list[int],
    order: list[int],
    stale: list[tuple[int, int]],
) -> None:
    """However the input partitions are split between workers and in whatever order their
    reports (and stale ones of an earlier generation) arrive: the board holds while one is
    unreported, and never allows a time past the newest of one with records waiting."""
    topics = {"events.t": len(parts)}
    current: Report = {
        ("events.t", n): Told(None if m is None else T0 + timedelta(minutes=m), waits)
        for n, (waits, m) in enumerate(parts)
    }
    by_worker: list[Report] = [{}, {}, {}]
    for (partition, told), reader in zip(current.items(), readers, strict=False):
        by_worker[reader][partition] = told
    board = Board(topics)
    arrivals = [(2, by_worker[w]) for w in order]
    arrivals += [(1, {("events.t", n % len(parts)): Told(T0 + timedelta(minutes=m), False)})
                 for n, m in stale]  # fmt: skip
    for done, (generation, report) in enumerate(arrivals, 1):
        board.take(generation, topics, report)
        time = board.time()
        heard = {p for _, r in arrivals[:done] if _ == 2 for p in r}
        if heard != set(current):
            assert time is None
            continue
        waiting = [told.newest for told in current.values() if told.waiting]
        if any(t is None for t in waiting):
            assert time is None
        elif waiting:
            assert time == min(t for t in waiting if t is not None)
        else:
            newest = (told.newest for told in current.values() if told.newest is not None)
            assert time == max(newest, default=None)


def test_a_forwarded_event_names_the_input_record_it_came_from() -> None:
    header = source_header(SimpleNamespace(topic="t1.events.access", partition=3, offset=1234))
    assert header == b"t1.events.access[3]@1234"
    assert source_of([(SOURCE_HEADER, header)]) == (("t1.events.access", 3), 1234)
    assert source_of({SOURCE_HEADER: header}) == (("t1.events.access", 3), 1234)
    assert source_of(None) is None  # forwarded by an earlier version
    assert source_of([("other", header)]) is None
    assert source_of([(SOURCE_HEADER, b"events.access@x")]) is None
