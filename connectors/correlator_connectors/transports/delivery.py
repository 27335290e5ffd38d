"""Delivery: raw records → parse → Kafka, acknowledged before the caller moves on.

Each transport cuts its input into :class:`Record` objects and awaits :meth:`Delivery.send`,
which parses them, produces every event to ``events.<domain>`` and every reject to the
dead-letter topic, and returns only when the broker has acknowledged all of them. Only then
does the transport save a file position, commit an offset or answer HTTP 200.

Message key: the event's site (``location.site``) when the record names one, else the
emitting device (``source.host``), else the connector name. Events from one place or device
stay in one partition, in order; the worker repartitions by person, host or place anyway.

Producer settings: ``acks=all`` and idempotence on (a retried batch is not written twice),
``linger_ms`` from settings so records travel in batches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from correlator import serde
from correlator.errors import CorrelatorError
from correlator.model.deadletter import DeadLetter
from correlator.model.event import Event
from correlator.model.eventtime import time_bounds
from correlator.runtime.security import aiokafka_options
from correlator.runtime.topics import event_topic
from correlator.settings import Settings
from correlator.text import escape_controls
from correlator_connectors.parsers.base import ParseContext, Parser, Reject
from correlator_connectors.transports import metrics

log = logging.getLogger(__name__)


MAX_MESSAGE_BYTES = 900_000
"""Above this an event is not sent (brokers refuse values over ~1 MiB by default): the
record goes to the dead-letter topic as oversize instead, so it cannot block the connector."""


class DeliveryError(CorrelatorError):
    """The broker did not acknowledge a batch; nothing of it counts as delivered."""


@dataclass(frozen=True, slots=True)
class Record:
    """One raw record as a transport read it, with where it came from."""

    data: bytes
    position: str
    """``path:offset``, ``tcp PEER@offset``, ``udp PEER``, ``http PEER@offset``, ``t[p]@o``."""
    host: str | None = None
    """The sender as the transport saw it (peer IP), used when the record names no host."""


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    key: bytes
    value: bytes


@dataclass(slots=True)
class Outcome:
    """What a batch became."""

    events: int = 0
    rejects: int = 0
    messages: list[Message] = field(default_factory=list)
    domains: Counter[str] = field(default_factory=Counter)


def partition_key(event: Event, connector: str) -> bytes:
    """Site, else device host, else connector name (see the module docstring)."""
    site = event.location.site if event.location else None
    return (site or event.source.host or connector).encode()


class Intake:
    """Turns records into Kafka messages with a parser; pure apart from the injected clock."""

    def __init__(self, settings: Settings, connector: str, format_name: str) -> None:
        self.settings = settings
        self.connector = connector
        self.format = format_name
        self.dlq = settings.topic("dlq")
        self.bounds = time_bounds(settings)

    def convert(self, parser: Parser, records: Sequence[Record], now: datetime) -> Outcome:
        outcome = Outcome()
        for record in records:
            ctx = ParseContext(
                connector=self.connector,
                ingest_time=now,
                position=record.position,
                host=record.host,
                max_record_bytes=self.settings.connector_max_record_bytes,
                time_bounds=self.bounds,
            )
            result = parser.parse(record.data, ctx)
            if isinstance(result, Reject):
                outcome.rejects += 1
                outcome.messages.append(self._dead_letter(record, result, now))
                continue
            messages = [self._event(event) for event in result]
            if any(len(m.value) > MAX_MESSAGE_BYTES for m in messages):
                reason = f"its events encode above {MAX_MESSAGE_BYTES} bytes, too large for Kafka"
                too_large = Reject(reason=reason, raw=record.data, kind="oversize")
                outcome.rejects += 1
                outcome.messages.append(self._dead_letter(record, too_large, now))
                continue
            outcome.events += len(result)
            outcome.domains.update(event.domain for event in result)
            outcome.messages.extend(messages)
        return outcome

    def _event(self, event: Event) -> Message:
        topic = event_topic(self.settings, event.domain)
        return Message(topic, partition_key(event, self.connector), serde.encode_model(event))

    def _dead_letter(self, record: Record, reject: Reject, now: datetime) -> Message:
        level = logging.DEBUG if reject.kind == "unsupported" else logging.WARNING
        log.log(
            level,
            "rejected %s record at %s: %s",
            self.format,
            escape_controls(record.position),
            escape_controls(reject.reason),
        )
        metrics.REJECTS.labels(self.connector, self.format, reject.kind).inc()
        reason = f"{reject.kind}: {reject.reason}"
        value = self._letter(record.data, reason, record.position, now)
        if reject.kind == "oversize" or len(value) > MAX_MESSAGE_BYTES:
            # JSON escaping can grow text up to 6x: this cut always fits in one message.
            cut = min(self.settings.connector_max_record_bytes, MAX_MESSAGE_BYTES // 8)
            reason = f"{reason} (raw cut to its first {cut} bytes)"
            value = self._letter(record.data[:cut], reason, record.position, now)
        return Message(self.dlq, self.connector.encode(), value)

    def _letter(self, raw: bytes, reason: str, position: str, now: datetime) -> bytes:
        letter = DeadLetter.of(
            raw, reason=reason, position=position, stage=self.connector, time=now,
            format=self.format,
        )  # fmt: skip
        return serde.encode_model(letter)


class Delivery:
    """The connector's one producer; :meth:`send` returns once a batch is acknowledged."""

    def __init__(self, settings: Settings, connector: str, format_name: str) -> None:
        self.intake = Intake(settings, connector, format_name)
        self.connector = connector
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            linger_ms=settings.connector_linger_ms,
            max_batch_size=256 * 1024,
            max_request_size=2 << 20,
            request_timeout_ms=30_000,
            **aiokafka_options(settings),
        )

    async def start(self) -> None:
        try:
            await self._producer.start()
        except KafkaError as exc:
            raise DeliveryError(
                f"cannot reach Kafka at {self.intake.settings.bootstrap_servers}: {exc} "
                "(check CORRELATOR_BOOTSTRAP_SERVERS and that the broker runs)"
            ) from exc

    async def stop(self) -> None:
        """Flush what is buffered and close; safe to call after a failed start."""
        await self._producer.stop()

    async def send(self, parser: Parser, records: Sequence[Record], transport: str) -> Outcome:
        """Parse, produce and await every acknowledgement; :class:`DeliveryError` if any fails."""
        if not records:
            return Outcome()
        metrics.RECORDS_IN.labels(self.connector, transport).inc(len(records))
        outcome = self.intake.convert(parser, records, datetime.now(UTC))
        started = time.perf_counter()
        try:
            pending = [
                await self._producer.send(m.topic, m.value, key=m.key) for m in outcome.messages
            ]
            await asyncio.gather(*pending)
        except KafkaError as exc:
            raise DeliveryError(
                f"{self.connector}: the broker did not acknowledge a batch of "
                f"{len(outcome.messages)} messages ({exc}); they count as not delivered"
            ) from exc
        metrics.PRODUCE_SECONDS.labels(self.connector).observe(time.perf_counter() - started)
        for domain, count in outcome.domains.items():
            metrics.EVENTS_OUT.labels(self.connector, domain).inc(count)
        return outcome
