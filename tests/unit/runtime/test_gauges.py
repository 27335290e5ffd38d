"""The watermark lag gauge: newest event time of a partition minus its slowest engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from correlator.core.engine import Engine
from correlator.model.event import Event, Source
from correlator.runtime.gauges import watermark_lags

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def engine_at(watermark: datetime | None) -> Engine:
    engine = Engine([], lateness=timedelta(minutes=1))
    if watermark is not None:
        engine.advance(watermark)
    return engine


def test_the_slowest_engine_of_a_partition_sets_its_lag() -> None:
    engines = [(0, engine_at(T0)), (0, engine_at(T0 + timedelta(seconds=30))),
               (1, engine_at(T0 + timedelta(seconds=50)))]  # fmt: skip
    newest = {0: T0 + timedelta(seconds=60), 1: T0 + timedelta(seconds=60)}
    assert watermark_lags(newest, engines) == {0: 60.0, 1: 10.0}


def test_partitions_without_a_watermark_or_an_event_have_no_lag() -> None:
    engines = [(0, engine_at(None)), (1, engine_at(T0)), (2, engine_at(T0))]
    newest = {0: T0, 2: T0 - timedelta(seconds=5)}
    assert watermark_lags(newest, engines) == {2: 0.0}  # never negative


def test_an_engine_fed_events_reports_its_lateness_as_lag() -> None:
    engine = Engine([], lateness=timedelta(seconds=20))
    at = T0 + timedelta(seconds=90)
    source = Source(connector="gen", format="test")
    engine.process(Event(id="e1", time=at, ingest_time=at, source=source, domain="access",
                         activity="access_denied"))  # fmt: skip
    assert watermark_lags({0: at}, [(0, engine)]) == {0: 20.0}
