"""The runtime against the real broker: validate in the agent, count in a RocksDB table, DLQ
for bad records, and table state restored from the changelog after the local state is lost."""

from __future__ import annotations

import base64
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import ConsumerRecord

from correlator import serde
from correlator.model import Event, Source
from correlator.model.event import event_id
from correlator.runtime.app import worker_dir
from correlator.runtime.counting import APP_ID
from correlator.runtime.topics import ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from tests.integration.kafka import WorkerProcess, consume_until, produce

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SOURCE = Source(connector="test", format="test")


def access_event(n: int) -> bytes:
    raw = f"badge record {n}"
    event = Event(
        id=event_id(SOURCE, raw), time=T0 + timedelta(seconds=n), ingest_time=T0,
        source=SOURCE, domain="access", activity="access_granted", raw=raw,
    )  # fmt: skip
    return serde.encode_model(event)


def latest_counts(records: list[ConsumerRecord[bytes, bytes]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        value = serde.loads(record.value)
        counts[value["key"]] = max(counts.get(value["key"], 0), value["count"])
    return counts


def wait_for_counts(
    settings: Settings, expected: dict[str, int]
) -> list[ConsumerRecord[bytes, bytes]]:
    return consume_until(
        settings.bootstrap_servers,
        settings.topic("counts"),
        lambda recs: latest_counts(recs) == expected,
    )


def test_counts_survive_loss_of_local_state(kafka_settings: Settings, tmp_path: Path) -> None:
    settings = kafka_settings
    ensure_topics(settings, standard_topics(settings))
    topic = event_topic(settings, "access")
    keys = [b"hq", b"hq", b"lab", b"hq", b"depot", b"lab"]
    produce(settings.bootstrap_servers, topic, [(k, access_event(i)) for i, k in enumerate(keys)])
    produce(settings.bootstrap_servers, topic, [(b"hq", b"\xff{not json")])

    worker = WorkerProcess(settings, tmp_path / "worker-1.log", "--pipeline", "count")
    try:
        first = latest_counts(wait_for_counts(settings, {"hq": 3, "lab": 2, "depot": 1}))
        letters = consume_until(
            settings.bootstrap_servers, settings.topic("dlq"), lambda recs: len(recs) >= 1
        )
    finally:
        assert worker.stop() == 0, worker.output()
    assert first == {"hq": 3, "lab": 2, "depot": 1}, worker.output()
    assert len(letters) == 1
    letter = serde.loads(letters[0].value)
    assert letter["reason"].startswith("DecodeError: not a valid Event")
    assert re.fullmatch(rf"{re.escape(topic)}\[[01]\]@\d+", letter["position"])
    assert letter["raw_encoding"] == "base64"
    assert base64.b64decode(letter["raw"]) == b"\xff{not json"
    seen_before = {(r.partition, r.offset) for r in consume_until(
        settings.bootstrap_servers, settings.topic("counts"), lambda recs: len(recs) >= 6
    )}  # fmt: skip

    state = worker_dir(settings, APP_ID)
    assert state.exists()
    shutil.rmtree(state)

    more = [(b"hq", access_event(100)), (b"depot", access_event(101))]
    produce(settings.bootstrap_servers, topic, more)
    restarted = WorkerProcess(settings, tmp_path / "worker-2.log", "--pipeline", "count")
    try:
        after = wait_for_counts(settings, {"hq": 4, "lab": 2, "depot": 2})
    finally:
        assert restarted.stop() == 0, restarted.output()
    assert latest_counts(after) == {"hq": 4, "lab": 2, "depot": 2}, restarted.output()
    # Only the two new events were counted, on top of the restored table: a worker that had
    # lost its counts and re-read the topic would have published hq=1..4 again.
    new = [r for r in after if (r.partition, r.offset) not in seen_before]
    assert sorted((serde.loads(r.value)["key"], serde.loads(r.value)["count"]) for r in new) == [
        ("depot", 2),
        ("hq", 4),
    ]
