"""Helpers for the correlating worker tests: publish rules and directory, feed events, wait
until the worker has consumed everything, and read the alert ids it produced."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from correlator import serde
from correlator.cli import main
from correlator.commands import directory, rules
from correlator.model import Alert, Event, Source
from correlator.runtime.correlating import APP_ID
from correlator.runtime.topics import DOMAINS, ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from tests.integration.connectors import read_all
from tests.integration.kafka import consume_until, produce_topics

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "replay"


def prepare(settings: Settings, rule_paths: list[Path], directory_file: Path | None) -> None:
    """Topics, rules and (optionally) the directory, through the CLI handlers."""
    ensure_topics(settings, standard_topics(settings))
    assert rules.run_publish(argparse.Namespace(paths=rule_paths), settings) == 0
    if directory_file is not None:
        assert directory.run_load(argparse.Namespace(file=directory_file), settings) == 0


def message_key(event: Event) -> bytes:
    """What the connectors key events by: site, else device host, else connector name."""
    site = event.location.site if event.location is not None else None
    return (site or event.source.host or event.source.connector).encode()


def send_events(settings: Settings, events: Iterable[Event]) -> None:
    by_topic: dict[str, list[tuple[bytes | None, bytes]]] = {}
    for event in events:
        record = (message_key(event), serde.encode_model(event))
        by_topic.setdefault(event_topic(settings, event.domain), []).append(record)
    produce_topics(settings.bootstrap_servers, by_topic)


def heartbeat(time: datetime, n: int = 0) -> Event:
    """An event no rule uses, far ahead in event time: moves every watermark past the data
    (the worker never flushes like a replay does at the end of its input)."""
    source = Source(connector="test-clock", format="test")
    return Event(id=f"heartbeat-{n}", time=time, ingest_time=time, source=source,
                 domain="network", activity="heartbeat")  # fmt: skip


# A rebalance after a kill -9 (session timeout, then table recovery) can take tens of seconds
# on a loaded 2-core machine: waits are generous, and return as soon as the condition holds.
PATIENCE = 150.0


def wait_consumed(settings: Settings, timeout: float = PATIENCE) -> None:
    """Until the worker's group has committed the end of every events and correlate
    partition (so every record read so far has been fully processed)."""
    group = settings.topic(APP_ID)
    topics = [event_topic(settings, d) for d in DOMAINS] + [settings.topic("correlate")]
    parts = [TopicPartition(t, p) for t in topics for p in range(settings.partitions)]

    async def run() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
        await admin.start()
        await consumer.start()
        try:
            deadline = time.monotonic() + timeout
            while True:
                ends = await consumer.end_offsets(parts)
                try:
                    done = await admin.list_consumer_group_offsets(group)
                except KafkaError:  # the group does not exist yet: the worker is starting
                    done = {}
                behind = [tp for tp in parts if ends[tp] and _at(done, tp) < ends[tp]]
                if not behind:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"worker did not consume {behind} within {timeout}s")
                await asyncio.sleep(0.3)
        finally:
            await consumer.stop()
            await admin.close()

    asyncio.run(run())


def _at(committed: dict[TopicPartition, object], tp: TopicPartition) -> int:
    found = committed.get(tp)
    return -1 if found is None else int(getattr(found, "offset", -1))


def alert_ids(settings: Settings) -> list[str]:
    return [value["id"] for value in read_all(settings, settings.topic("alerts"))]


def wait_alerts(settings: Settings, expected: set[str], timeout: float = PATIENCE) -> list[str]:
    """Every alert id on the topic once all of ``expected`` are there (or at the timeout)."""
    consume_until(
        settings.bootstrap_servers,
        settings.topic("alerts"),
        lambda recs: {serde.loads(r.value)["id"] for r in recs} >= expected,
        timeout=timeout,
    )
    return alert_ids(settings)


def replay_ids(
    tmp_path: Path, rule_dir: Path, directory_file: Path | None, *inputs: str
) -> set[str]:
    """Alert ids of ``correlator replay`` over the same input (the reference)."""
    out = tmp_path / "replay-alerts.jsonl"
    argv = ["replay", "--rules", str(rule_dir), *inputs, "-o", str(out)]
    if directory_file is not None:
        argv[3:3] = ["--directory", str(directory_file)]
    assert main(argv) == 0
    return {serde.decode_model(Alert, line).id for line in out.read_bytes().splitlines()}


def fixture_events() -> list[Event]:
    lines = (FIXTURES / "events.jsonl").read_bytes().splitlines()
    return [serde.decode_model(Event, line) for line in lines if line.strip()]
