"""Kafka source: an existing topic of raw records (for shops that already ship logs there).

The topic name is used as given (no prefix: it is not ours). The consumer group is
``<prefix>connect.<name>``; offsets are committed by hand, only after the events made from
the records were acknowledged, so a crash re-reads at most the batch in flight. A new group
starts at the earliest offset. Each partition gets its own parser, since a partition is one
ordered stream (CSV and Zeek headers stay with their rows).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from correlator.model.deadletter import kafka_position
from correlator.runtime.security import aiokafka_options
from correlator.settings import Settings
from correlator_connectors.parsers.base import Parser
from correlator_connectors.transports.delivery import Delivery, DeliveryError, Record

log = logging.getLogger(__name__)

MAX_RECORDS = 2_000


class KafkaRaw:
    def __init__(
        self,
        topic: str,
        settings: Settings,
        delivery: Delivery,
        parsers: Callable[[], Parser],
        name: str,
        *,
        once: bool = False,
    ) -> None:
        self.topic = topic
        self.group = settings.topic(f"connect.{name}")
        self.bootstrap = settings.bootstrap_servers
        self.security = aiokafka_options(settings)
        self.delivery = delivery
        self.parsers = parsers
        self.partition_parsers: dict[int, Parser] = {}
        self.once = once

    async def run(self, stop: asyncio.Event, ready: Callable[[str], None]) -> None:
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 << 20,
            **self.security,
        )
        try:
            await consumer.start()
        except KafkaError as exc:
            raise DeliveryError(f"kafka:{self.topic}: cannot start the consumer: {exc}") from exc
        try:
            ready(f"kafka:{self.topic} (group {self.group})")
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=MAX_RECORDS)
                if batch:
                    await self._deliver(consumer, batch)
                elif self.once and await _at_end(consumer):
                    return
        finally:
            await consumer.stop()

    async def _deliver(
        self,
        consumer: AIOKafkaConsumer,
        batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> None:
        offsets = {}
        for tp, records in batch.items():
            parser = self.partition_parsers.get(tp.partition)
            if parser is None:
                parser = self.partition_parsers[tp.partition] = self.parsers()
            raw = [
                Record(r.value or b"", kafka_position(tp.topic, tp.partition, r.offset))
                for r in records
            ]
            await self.delivery.send(parser, raw, "kafka")
            offsets[tp] = records[-1].offset + 1
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:
            # A rebalance took the partitions away: their new owner re-reads from the last
            # commit. Repeats (same event ids), never a loss.
            log.warning(
                "kafka:%s: commit after produce failed (%s); records may repeat", self.topic, exc
            )


async def _at_end(consumer: AIOKafkaConsumer) -> bool:
    """True when every assigned partition has been read to its end offset."""
    assigned = consumer.assignment()
    if not assigned:
        return False
    ends = await consumer.end_offsets(list(assigned))
    for tp in assigned:
        if await consumer.position(tp) < ends[tp]:
            return False
    return True
