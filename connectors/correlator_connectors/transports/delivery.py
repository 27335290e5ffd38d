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

Broker outage: the producer itself retries a batch while it knows the partition's leader;
when it gives up (the broker gone longer than its timeouts), :meth:`Delivery.send` logs
"broker unreachable, retrying in N s" and sends the whole batch again, backing off up to
:data:`RETRY_MAX` seconds, until the broker acknowledges it. The transport waits meanwhile, so
no position, offset or HTTP answer moves past an unacknowledged record; messages the broker
had taken before the failure may be written twice (same event ids: repeats, never a loss).
Errors no retry can fix (a message too large, no permission) raise :class:`DeliveryError` at
once, as does a stop while the broker stays away (a batch in flight gets :data:`STOP_GRACE`
seconds first): the batch then counts as not delivered (a file is read again from its saved
position on restart).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    OutOfOrderSequenceNumber,
    UnknownProducerId,
)

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


RETRY_FIRST = 1.0
RETRY_MAX = 30.0
"""Seconds between attempts to deliver a batch the broker did not acknowledge: doubling from
:data:`RETRY_FIRST` up to this."""
ACK_PATIENCE = 5.0
"""Seconds without an acknowledgement after which the wait is reported, and again each time."""
RESEND_SECONDS = 0.1
"""The producer's own pause before it resends a batch (aiokafka's ``retry_backoff_ms``)."""
RENEW_GRACE = 5.0
"""Seconds a producer replaced after :data:`PRODUCER_STATE_LOST` may take to close."""
PRODUCER_STATE_LOST = (OutOfOrderSequenceNumber, UnknownProducerId)
"""The broker no longer accepts the idempotent producer's sequence: only a new producer can
go on."""
STOP_GRACE = 10.0
"""Seconds a shutdown waits for the broker to acknowledge what is still buffered."""


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
        # An oversize record is cut before anything else touches it (a 10 MB record must not
        # be decoded and encoded whole); any other is cut only if its letter would not fit.
        value = None
        if reject.kind != "oversize":
            value = self._letter(record.data, reason, record.position, now)
        if value is None or len(value) > MAX_MESSAGE_BYTES:
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

    def __init__(
        self,
        settings: Settings,
        connector: str,
        format_name: str,
        *,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.intake = Intake(settings, connector, format_name)
        self.connector = connector
        self.stop_requested = stop or asyncio.Event()
        """Set on shutdown: a batch waiting for the broker to come back gives up then."""
        self._producer = self._new_producer()
        self._unstarted = False
        """True after :meth:`_renew` until the new producer has started (see :meth:`start`
        for the first one)."""

    def _new_producer(self) -> AIOKafkaProducer:
        settings = self.intake.settings
        return AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            linger_ms=settings.connector_linger_ms,
            max_batch_size=256 * 1024,
            max_request_size=2 << 20,
            request_timeout_ms=30_000,
            retry_backoff_ms=int(RESEND_SECONDS * 1000),
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
        """Flush what is buffered and close; safe to call after a failed start.

        The producer never gives up on a buffered batch by itself: with the broker away the
        flush would wait for it forever, so shutdown waits :data:`STOP_GRACE` seconds at most
        (what was not acknowledged was not acknowledged to the source either)."""
        try:
            await asyncio.wait_for(self._producer.stop(), STOP_GRACE)
        except TimeoutError:
            log.warning(
                "%s: broker unreachable at shutdown; stopped after %.0f s without its "
                "acknowledgement of the last messages (they count as not delivered)",
                self.connector, STOP_GRACE,
            )  # fmt: skip

    async def send(self, parser: Parser, records: Sequence[Record], transport: str) -> Outcome:
        """Parse, produce and await every acknowledgement; :class:`DeliveryError` if any fails."""
        if not records:
            return Outcome()
        metrics.RECORDS_IN.labels(self.connector, transport).inc(len(records))
        outcome = self.intake.convert(parser, records, datetime.now(UTC))
        started = time.perf_counter()
        await self._acknowledged(outcome.messages)
        metrics.PRODUCE_SECONDS.labels(self.connector).observe(time.perf_counter() - started)
        for domain, count in outcome.domains.items():
            metrics.EVENTS_OUT.labels(self.connector, domain).inc(count)
        return outcome

    async def _acknowledged(self, messages: Sequence[Message]) -> None:
        """Produce ``messages`` until the broker acknowledged all of them (see the module
        docstring: a broker outage is waited out, other errors raise)."""
        delay = RETRY_FIRST
        while True:
            try:
                if self._unstarted:
                    await self._start_renewed()
                pending = [await self._producer.send(m.topic, m.value, key=m.key) for m in messages]
                await self._acks(pending)
                return
            except PRODUCER_STATE_LOST as exc:
                # After a batch expired, the producer's sequence numbers and the broker's
                # differ for good (seen after a controlled broker shutdown): a new producer
                # (a new producer id) starts them afresh. The old one may have written part
                # of the batch: repeats, never a loss.
                if self.stop_requested.is_set():
                    raise self._failed(messages, exc) from exc
                log.warning("%s: %s; resending with a new producer", self.connector, exc)
                await self._renew()
            except KafkaError as exc:
                if not retriable(exc) or self.stop_requested.is_set():
                    raise self._failed(messages, exc) from exc
                log.warning(
                    "%s: broker unreachable, retrying in %.0f s (%d messages not acknowledged: "
                    "%s)", self.connector, delay, len(messages), exc,
                )  # fmt: skip
                metrics.UNREACHABLE.labels(self.connector).inc()
            try:
                await asyncio.wait_for(self.stop_requested.wait(), delay)
            except TimeoutError:
                delay = min(delay * 2, RETRY_MAX)
                continue
            raise self._failed(messages, None)

    async def _renew(self) -> None:
        """Replace the producer (started by the next attempt); the old one gets
        :data:`RENEW_GRACE` seconds to close."""
        old, self._producer = self._producer, self._new_producer()
        self._unstarted = True
        try:
            await asyncio.wait_for(old.stop(), RENEW_GRACE)
        except TimeoutError:
            log.warning("%s: the old producer did not close within %.0f s", self.connector,
                        RENEW_GRACE)  # fmt: skip

    async def _start_renewed(self) -> None:
        """Start the new producer; a failure (broker away) is retried like a failed batch,
        each time with a producer never started."""
        try:
            await self._producer.start()
        except KafkaError:
            await self._producer.stop()
            self._producer = self._new_producer()
            raise
        self._unstarted = False

    async def _acks(self, pending: list[asyncio.Future[Any]]) -> None:
        """Every acknowledgement; a line every :data:`ACK_PATIENCE` seconds while there are
        none (the producer is resending meanwhile); on a stop, see :meth:`_last_acks`."""
        acks: asyncio.Future[Any] = asyncio.gather(*pending)
        stopping: asyncio.Future[Any] = asyncio.ensure_future(self.stop_requested.wait())
        waited = 0.0
        try:
            while True:
                await asyncio.wait({acks, stopping}, timeout=ACK_PATIENCE,
                                   return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                if acks.done():
                    acks.result()
                    if waited:
                        log.warning(
                            "%s: broker reachable again; %d messages acknowledged after %.0f s",
                            self.connector, len(pending), waited,
                        )  # fmt: skip
                    return
                if stopping.done():
                    await self._last_acks(acks, pending)
                    return
                waited += ACK_PATIENCE
                metrics.UNREACHABLE.labels(self.connector).inc()
                log.warning(
                    "%s: broker unreachable, retrying in %.1f s (the producer resends %d "
                    "messages, unacknowledged for %.0f s)",
                    self.connector, RESEND_SECONDS, len(pending), waited,
                )  # fmt: skip
        finally:
            stopping.cancel()
            if not acks.done():
                acks.cancel()

    async def _last_acks(self, acks: asyncio.Future[Any], pending: Sequence[object]) -> None:
        """On a stop: a batch in flight gets :data:`STOP_GRACE` seconds (a polite stop with
        the broker up loses nothing); with the broker away it fails then."""
        done, _ = await asyncio.wait({acks}, timeout=STOP_GRACE)
        if not done:
            raise self._failed(pending, None)
        acks.result()

    def _failed(self, messages: Sequence[object], exc: KafkaError | None) -> DeliveryError:
        why = f"({exc})" if exc is not None else "(stopped while waiting for the broker)"
        return DeliveryError(
            f"{self.connector}: the broker did not acknowledge a batch of {len(messages)} "
            f"messages {why}; they count as not delivered (not acknowledged to the source)"
        )


def retriable(exc: KafkaError) -> bool:
    """Whether waiting can fix it: a connection, leader or timeout problem, not a refusal."""
    return isinstance(exc, KafkaTimeoutError) or bool(exc.retriable)
