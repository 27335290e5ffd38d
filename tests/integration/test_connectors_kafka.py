"""Kafka raw-topic source against the real broker: events out, a dead letter with
topic[partition]@offset, and offsets committed for everything delivered."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from correlator.runtime.topics import TopicSpec, ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from tests.integration.connectors import BAD, Connector, flow, read_all, wait_for
from tests.integration.kafka import client_options, produce


def committed(settings: Settings, group: str, topic: str, partitions: int) -> dict[int, int]:
    async def run() -> dict[int, int]:
        consumer = AIOKafkaConsumer(
            group_id=group, enable_auto_commit=False, **client_options(settings)
        )
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in range(partitions)]
            return {tp.partition: (await consumer.committed(tp)) or 0 for tp in parts}
        finally:
            await consumer.stop()

    return asyncio.run(run())


def test_raw_topic_source(kafka_settings: Settings, tmp_path: Path) -> None:
    settings = kafka_settings
    raw_topic = f"{settings.topic_prefix}shipped.suricata"  # someone else's topic, as named
    ensure_topics(settings, [*standard_topics(settings), TopicSpec(raw_topic, 2)])
    records = [flow(1), flow(2), BAD, flow(3), flow(4), flow(5)]
    produce(settings, raw_topic, [(b"sensor-a", r) for r in records])

    args = ("--format", "suricata", "--source", f"kafka:{raw_topic}", "--name", "shipped")
    connector = Connector(settings, tmp_path / "kafka.log", *args)
    try:
        wait_for(settings, event_topic(settings, "network"), lambda v: len(v) >= 5)
        wait_for(settings, settings.topic("dlq"), lambda v: len(v) >= 1)
    finally:
        assert connector.stop() == 0, connector.output()

    events = read_all(settings, event_topic(settings, "network"))
    assert sorted(e["attrs"]["flow_id"] for e in events) == [1, 2, 3, 4, 5]
    (letter,) = read_all(settings, settings.topic("dlq"))
    assert letter["raw"] == BAD.decode()
    assert letter["reason"].startswith("malformed: ")
    match = re.fullmatch(rf"{re.escape(raw_topic)}\[([01])\]@(\d+)", letter["position"])
    assert match is not None
    group = settings.topic("connect.shipped")
    offsets = committed(settings, group, raw_topic, 2)
    assert sum(offsets.values()) == len(records)  # all delivered records, no more

    # A restart resumes from the committed offsets: nothing is produced twice.
    produce(settings, raw_topic, [(b"sensor-a", flow(6))])
    again = Connector(settings, tmp_path / "kafka-2.log", *args, "--once")
    assert again.wait() == 0, again.output()
    events = read_all(settings, event_topic(settings, "network"))
    assert sorted(e["attrs"]["flow_id"] for e in events) == [1, 2, 3, 4, 5, 6]
