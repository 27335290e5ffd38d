"""The counting pipeline: the smallest real use of the runtime.

Consumes every ``events.<domain>`` topic as bytes, validates each record as an :class:`Event`
inside the agent, counts events per message key in a RocksDB-backed table (restored from its
changelog after a restart) and publishes each new count to the ``counts`` topic. A record that
fails for any reason goes to the dead-letter topic with its raw bytes, the reason and its
topic/partition/offset; the agent keeps going.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import faust

from correlator import serde
from correlator.model import Event
from correlator.model.deadletter import DeadLetter, kafka_position
from correlator.runtime.app import ROCKSDICT, raw_topic
from correlator.runtime.topics import DOMAINS, event_topic
from correlator.settings import Settings

APP_ID = "correlator-count"


def attach(app: faust.App, settings: Settings) -> None:
    """Register the counting agent and its table on ``app``."""
    source = raw_topic(app, *(event_topic(settings, d) for d in DOMAINS))
    counts_topic = raw_topic(app, settings.topic("counts"))
    dlq = raw_topic(app, settings.topic("dlq"))
    table = app.Table(
        "event-counts", default=int, partitions=settings.partitions, options=ROCKSDICT
    )

    async def count(stream: Any) -> None:
        async for record in stream.events():
            message = record.message
            position = kafka_position(message.topic, message.partition, message.offset)
            try:
                event = serde.decode_model(Event, record.value)
                key = record.key.decode() if record.key else event.domain
                table[key] += 1
                summary = {"key": key, "count": table[key], "event": event.id,
                           "domain": event.domain, "activity": event.activity}  # fmt: skip
                await counts_topic.send(key=key.encode(), value=serde.dumps(summary))
            except Exception as exc:  # every failure goes to the DLQ; nothing is lost
                letter = DeadLetter.of(
                    bytes(record.value or b""),
                    reason=f"{type(exc).__name__}: {exc}",
                    position=position,
                    stage=APP_ID,
                    time=datetime.now(UTC),
                )
                await dlq.send(key=record.key, value=serde.encode_model(letter))

    app.agent(source, name="count", concurrency=1)(count)
