"""The stall guard's probe asks a real broker which offsets hold records: a transactional
producer's commit marker takes an offset that holds none (the guard commits past it instead
of reading the partition again for ever)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from correlator.runtime.offsets import broker_probe
from correlator.runtime.topics import TopicSpec, ensure_topics
from correlator.settings import Settings
from tests.integration.kafka import client_options


async def produce(settings: Settings, topic: str) -> None:
    """Two transactions: records at 0 and 1 with their commit marker at 2, then a record at
    3 with its marker at 4. (One producer: its second transaction waits for the first's
    markers, which the broker writes after answering the commit.)"""
    producer = AIOKafkaProducer(transactional_id=f"{topic}-txn", **client_options(settings))
    await producer.start()
    try:
        for values in ([b"0", b"1"], [b"3"]):
            async with producer.transaction():
                for value in values:
                    await producer.send_and_wait(topic, value, partition=0)
    finally:
        await producer.stop()


def test_the_probe_finds_the_first_record_at_or_after_an_offset(kafka_settings: Settings) -> None:
    topic = kafka_settings.topic("probed")
    ensure_topics(kafka_settings, [TopicSpec(topic, 1)])
    asyncio.run(produce(kafka_settings, topic))
    probe = broker_probe(kafka_settings)

    async def ask() -> list[int | None]:
        return [await probe(topic, 0, offset) for offset in (0, 1, 2)]

    assert asyncio.run(ask()) == [0, 1, 3]  # 2 holds a marker: the next record is 3
