"""Tick times: the newest event time seen, held back to partitions with records waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from correlator.runtime.ticks import InputClock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ACCESS, AUTH = ("events.access", 0), ("events.auth", 0)


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
