"""Watching a worker from outside: alerts as they arrive, late events, dead letters, and
whether its consumer group has read everything.

Alerts are delivered at least once; the watch keeps the first of each id, so a repeat after
a rebalance is neither printed nor counted twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from correlator import serde
from correlator.model import Alert
from correlator.runtime.security import aiokafka_options
from correlator.runtime.topics import DOMAINS, event_topic
from correlator.settings import Settings
from correlator.text import escape_controls

SEVERITY_WIDTH = len("critical")


def alert_line(alert: Alert) -> str:
    """One readable line: event time, severity, rule, entity, summary (controls escaped)."""
    when = alert.time.strftime("%a %H:%M:%S")
    entity = f"{alert.entity.type}:{alert.entity.id}"
    text = f"{when}  {alert.severity.upper():<{SEVERITY_WIDTH}}  {alert.rule:<32} {entity:<28} "
    return escape_controls(text + alert.summary)


class AlertWatch:
    """Follows ``alerts``, ``late`` and ``dlq`` from their beginning; ``on_alert`` gets each
    alert id once."""

    def __init__(self, settings: Settings, on_alert: Callable[[Alert], None]) -> None:
        self.settings = settings
        self.on_alert = on_alert
        self.alerts: dict[str, Alert] = {}
        self.late = 0
        self.dead_letters = 0
        self.last_arrival = time.monotonic()
        self._consumer = AIOKafkaConsumer(
            settings.topic("alerts"), settings.topic("late"), settings.topic("dlq"),
            bootstrap_servers=settings.bootstrap_servers, auto_offset_reset="earliest",
            enable_auto_commit=False, **aiokafka_options(settings),
        )  # fmt: skip

    async def run(self, stop: asyncio.Event) -> None:
        await self._consumer.start()
        try:
            while not stop.is_set():
                batches = await self._consumer.getmany(timeout_ms=200)
                for tp, records in batches.items():
                    for record in records:
                        self._take(tp.topic, record.value)
        finally:
            await self._consumer.stop()

    def _take(self, topic: str, value: bytes | None) -> None:
        if topic == self.settings.topic("late"):
            self.late += 1
        elif topic == self.settings.topic("dlq"):
            self.dead_letters += 1
        elif value is not None:
            alert = serde.decode_model(Alert, value)
            if alert.id not in self.alerts:
                self.alerts[alert.id] = alert
                self.last_arrival = time.monotonic()
                self.on_alert(alert)


async def group_state(settings: Settings, group: str) -> str | None:
    """The consumer group's state (``Stable`` once its members have partitions), if known."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, **aiokafka_options(settings)
    )
    await admin.start()
    try:
        for response in await admin.describe_consumer_groups([group]):
            for described in response.groups:
                state: Any = described[2]
                return str(state) if state else None
        return None
    finally:
        await admin.close()


async def behind(settings: Settings, group: str, topics: Sequence[str] | None = None) -> int:
    """Records on ``topics`` (default: the events and ``correlate`` topics) the group has not
    committed yet."""
    if topics is None:
        topics = [event_topic(settings, d) for d in DOMAINS] + [settings.topic("correlate")]
    parts = [TopicPartition(t, p) for t in topics for p in range(settings.partitions)]
    options = aiokafka_options(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **options)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, **options)
    await admin.start()
    await consumer.start()
    try:
        ends = await consumer.end_offsets(parts)
        try:
            done = await admin.list_consumer_group_offsets(group)
        except KafkaError:  # no group yet: nothing committed
            done = {}
        total = 0
        for tp in parts:
            committed = done.get(tp)
            offset = int(getattr(committed, "offset", -1)) if committed is not None else -1
            total += max(0, ends[tp] - max(offset, 0))
        return total
    finally:
        await consumer.stop()
        await admin.close()
