"""The worker's gauges: watermark lag, state size and consumer lag, sampled on a timer.

They describe the worker's state rather than its records, so they are read every few
seconds instead of being updated per event: counting a table's keys or asking the consumer
for its positions costs too much to do per record, and a scrape every few seconds sees the
same picture. Each sample replaces the previous one, so series of partitions this worker no
longer holds disappear.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from correlator.core.engine import Engine
from correlator.runtime.metrics import RuntimeMetrics

INTERVAL = 5.0
"""Seconds between two samples."""

Engines = Callable[[], Iterable[tuple[int, Engine]]]
"""The live engines of the worker, each with its ``correlate`` partition."""


def watermark_lags(newest: Mapping[int, datetime], engines: Iterable[tuple[int, Engine]]
                   ) -> dict[int, float]:  # fmt: skip
    """Seconds from each partition's newest event time to its slowest engine's watermark.

    A partition's engines (one per key kind) share the ticks, so they mostly agree; the
    slowest one holds alerts back the longest, which is what the gauge is for.
    """
    slowest: dict[int, datetime] = {}
    for partition, engine in engines:
        watermark = engine.watermark
        if watermark is not None and (partition not in slowest or watermark < slowest[partition]):
            slowest[partition] = watermark
    return {
        partition: max(0.0, (newest[partition] - watermark).total_seconds())
        for partition, watermark in slowest.items()
        if partition in newest
    }


class Gauges:
    """Samples the gauges of one worker (``sample`` is its timer)."""

    def __init__(self, app: Any, metrics: RuntimeMetrics, tables: Mapping[str, Collection[Any]],
                 topics: Collection[str], engines: Engines, newest: Mapping[int, datetime]
                 ) -> None:  # fmt: skip
        self._app = app
        self._metrics = metrics
        self._tables = tables
        self._topics = topics
        self._engines = engines
        self._newest = newest

    async def sample(self) -> None:
        lags = watermark_lags(self._newest, self._engines())
        self._metrics.watermark_lag.clear()
        for partition, seconds in lags.items():
            self._metrics.watermark_lag.labels(str(partition)).set(seconds)
        for name, table in self._tables.items():
            self._metrics.state_keys.labels(name).set(len(table))
        await self._consumer_lag()

    async def _consumer_lag(self) -> None:
        """End of each held input partition minus the consumer's position in it."""
        consumer = self._app.consumer
        behind: dict[tuple[str, int], int] = {}
        for tp in consumer.assignment():
            if tp.topic not in self._topics:
                continue  # changelogs are read by recovery, not by the agents
            try:
                highwater = consumer.highwater(tp)
                position = await consumer.position(tp)
            except Exception:  # a rebalance took the partition meanwhile: skip it this time
                continue
            if highwater is not None and position is not None:
                behind[(tp.topic, tp.partition)] = max(0, highwater - position)
        self._metrics.consumer_lag.clear()
        for (topic, partition), count in behind.items():
            self._metrics.consumer_lag.labels(topic, str(partition)).set(count)
