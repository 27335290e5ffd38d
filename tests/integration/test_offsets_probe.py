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
    """Offsets 0 and 1 plain, 2 and 3 in a transaction (its commit marker at 4), 5 plain."""
    plain = AIOKafkaProducer(**client_options(settings))
    txn = AIOKafkaProducer(transactional_id=f"{topic}-txn", **client_options(settings))
    await plain.start()
    await txn.start()
    try:
        for n in range(2):
            await plain.send_and_wait(topic, b"%d" % n, partition=0)
        async with txn.transaction():
            for n in range(2, 4):
                await txn.send_and_wait(topic, b"%d" % n, partition=0)
        await plain.send_and_wait(topic, b"5", partition=0)
    finally:
        await txn.stop()
        await plain.stop()


def test_the_probe_finds_the_first_record_at_or_after_an_offset(kafka_settings: Settings) -> None:
    topic = kafka_settings.topic("probed")
    ensure_topics(kafka_settings, [TopicSpec(topic, 1)])
    asyncio.run(produce(kafka_settings, topic))
    probe = broker_probe(kafka_settings)

    async def ask() -> list[int | None]:
        return [await probe(topic, 0, offset) for offset in (0, 3, 4)]

    assert asyncio.run(ask()) == [0, 3, 5]  # 4 holds the marker: the next record is 5
