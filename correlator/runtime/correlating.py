"""The correlating pipeline: resolve → repartition → correlate → alerts.

Two agents, each ``concurrency=1`` and thin (decode → core → produce → metrics):

- **resolve** reads every ``events.<domain>`` topic as bytes, validates the event, lets
  identity learn from it and resolve it, and forwards it to the ``correlate`` topic once per
  (key kind, key value) the loaded rules need (see :mod:`.routing`). A timer sends a
  **tick** to every ``correlate`` partition: a report of the input partitions this worker
  reads (the newest event time read from each, whether records wait in it and how far it
  was read, see :mod:`.ticks`). Each ``correlate`` partition keeps the latest report of
  every input partition, whichever worker sent it, and ticks alone move the engines'
  watermark (the time the slowest input partition with records waiting allows, minus the
  lateness): an event's own time tells only how far its topic has been read, and a topic
  read hours ahead of another (after a restart, or a backfill) would make the other's
  events late and settle presence tests before the badges they need were read. An input
  partition read further ahead than ``align_drift`` of the slowest one is paused until the
  others catch up (:class:`~.ticks.Alignment`), so what waits in the state stays bounded.
  Each forwarded event names its input record in a header: a copy read again after its
  partition changed workers is told from a late event by the reports.
- **correlate** runs one core :class:`~correlator.core.engine.Engine` per (partition, key
  kind), with its state in a changelog-backed RocksDB table (restored on restart or when the
  partition moves to another worker), and produces alerts keyed ``"<type>:<id>"``; events
  behind the watermark go to ``late``.

Identity state (bindings, presence) lives in a global table: every worker holds all of it.
Rules and the directory come from their topics (:mod:`.control`) and are swapped in while
running. Any failure on a record sends it to ``dlq`` with the reason and its position; so
does an event dated outside the time bounds (:mod:`correlator.model.eventtime`), which would
otherwise drag the watermark to 2099 or hold windows open since 1970.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from aiokafka.structs import TopicPartition

from correlator import serde
from correlator.core.duration import parse_us
from correlator.core.engine import Engine
from correlator.identity.directory import Directory
from correlator.identity.resolver import Identity
from correlator.model import Alert, Event
from correlator.model.deadletter import DeadLetter, kafka_position
from correlator.model.eventtime import EventTimeError, time_bounds
from correlator.runtime.app import ROCKSDICT, raw_topic
from correlator.runtime.control import Follower, Published
from correlator.runtime.gauges import INTERVAL, Gauges
from correlator.runtime.metrics import RuntimeMetrics
from correlator.runtime.offsets import CHECK_INTERVAL, SafeTransport, StallGuard, broker_probe
from correlator.runtime.routing import Router, route_key, split_key
from correlator.runtime.sharedstore import SharedStore
from correlator.runtime.tablestore import TableStore
from correlator.runtime.ticks import (
    Alignment,
    Board,
    InputClock,
    Partition,
    Report,
    read_report,
    report_message,
)
from correlator.runtime.topics import DOMAINS, event_topic
from correlator.settings import Settings

log = logging.getLogger(__name__)

APP_ID = "correlator"
STATE_RECORD_BYTES = 16 * 1024 * 1024
"""Largest changelog record (one key's state) the worker writes."""
TICK_KEY = b"@tick"
SOURCE_HEADER = "correlator-source"
"""Header of a forwarded event: the input record it came from (``topic[partition]@offset``)."""
REPORT_AGAIN = 30.0
"""Seconds after which a worker sends its report again though nothing in it changed (a tick
lost on the way, or read by a partition's new owner before the reports it missed)."""
IDENTITY_STORE = "memory://identity"
"""The identity table's own store: in memory, so that every start reads its whole changelog
and :class:`.SharedStore` sees every record. (Not ``memory://``: an empty URL is false, and
Faust then falls back to the app's RocksDB store, which persists its offsets: a restarted
worker read nothing and started with no bindings or presence.)"""
DEAD_RAW_BYTES = 100_000
"""A dead letter keeps at most this much of the record: JSON escaping or base64 can grow it
several times, and the letter must stay under the broker's 1 MiB message limit."""


class _Resolved:
    """The engine's view of identity in the correlate stage: events arrive resolved (the
    resolve stage learned from them once), rule predicates still read identity state."""

    def __init__(self, identity: Identity) -> None:
        self._identity = identity

    def observe(self, event: Event) -> Event:
        return event

    def attribute(self, event: Event, path: str) -> Any:
        return self._identity.attribute(event, path)


class Pipeline:
    """The two agents, their tables and the state they share within one worker process."""

    def __init__(self, app: faust.App, settings: Settings, metrics: RuntimeMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.lateness = timedelta(microseconds=parse_us(settings.lateness))
        self.bounds = time_bounds(settings)
        self.correlate_topic = raw_topic(app, settings.topic("correlate"))
        self.alerts = raw_topic(app, settings.topic("alerts"))
        self.late = raw_topic(app, settings.topic("late"))
        self.dlq = raw_topic(app, settings.topic("dlq"))
        parts = settings.partitions
        # One key's state can outgrow Kafka's 1 MB default (a site's pending hits over a
        # long allowed lateness): its changelog record must still go through.
        large = {"max.message.bytes": str(STATE_RECORD_BYTES)}
        self.state = app.Table("engine", partitions=parts, options=ROCKSDICT,
                               extra_topic_configs=large)  # fmt: skip
        # Identity state: every worker holds all of it, live (see .sharedstore); the table only
        # carries the changes, rebuilt in memory from its changelog on start.
        self.identity_store = SharedStore()
        self.identity_state = app.GlobalTable(
            "identity", partitions=parts, store=IDENTITY_STORE, extra_topic_configs=large,
            on_changelog_event=self.identity_store.on_changelog_event,
        )  # fmt: skip
        self.identity_store.table = self.identity_state
        self.published = Published()
        self.caught_up = asyncio.Event()
        self._version = -1
        self._identity: Identity | None = None
        self._router: Router | None = None
        self._engines: dict[tuple[int, str], Engine] = {}
        self._stores: dict[tuple[int, str], TableStore] = {}
        self.app = app
        self.clock = InputClock()
        self.alignment = Alignment(timedelta(microseconds=parse_us(settings.align_drift)))
        self.inputs = {event_topic(settings, d) for d in DOMAINS}
        self._reported: Report | None = None
        self._reported_at = 0.0
        self.boards: dict[int, Board] = {}
        """Per ``correlate`` partition: the latest report of every input partition."""
        self._board: Board | None = None
        """The board updated last, of a ``correlate`` partition this worker reads."""
        self._invalid: list[tuple[str, bytes, str]] = []
        self.newest_at: dict[int, datetime] = {}
        """Newest event time per ``correlate`` partition (for the watermark lag gauge)."""

    # -- rules, directory and identity ---------------------------------------------------

    async def follow(self) -> None:
        """Read the rules and directory topics and keep following them (a worker task).

        The worker is ready (``caught_up``) once both are read and identity and router are
        built from them: for a large directory that takes seconds, which the first event
        would otherwise wait for while its partitions' records pile up."""

        def invalid(position: str, raw: bytes, reason: str) -> None:
            self._invalid.append((position, raw, reason))

        loaded = asyncio.Event()
        following = asyncio.ensure_future(
            Follower(self.settings, self.published, invalid).run(loaded)
        )
        try:
            await asyncio.wait({following, asyncio.ensure_future(loaded.wait())},
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            if loaded.is_set():
                self._current()
                self.caught_up.set()
            await following
        finally:
            following.cancel()

    def _current(self) -> tuple[Identity, Router]:
        """Identity and router for the published content; rebuilt when it changed."""
        stale = self._version != self.published.version
        if self._identity is None or self._router is None or stale:
            directory = self.published.directory or Directory()
            if self._identity is None:
                self._identity = Identity(directory, self.identity_store, mirror=False,
                                          lateness=self.lateness)  # fmt: skip
            elif directory is not self._identity.directory:
                self._identity.reload(directory)
            self._router = Router(self.published.rules.values(), self._identity)
            self._engines.clear()  # their stores hold no changes between records
            self._stores.clear()
            self._version = self.published.version
        return self._identity, self._router

    def _engine(self, partition: int, by: str) -> Engine | None:
        identity, router = self._current()
        engine = self._engines.get((partition, by))
        if engine is None:
            rules = router.rules_by.get(by)
            if rules is None:
                return None
            store = TableStore(self.state, f"{partition}/{by}/")
            # The watermark moves with the ticks only: they are held back to the slowest input
            # with records waiting (.ticks), where an event's own time is only its topic's.
            engine = Engine(rules, store, _Resolved(identity), self.lateness, follow_events=False)
            self._engines[(partition, by)] = engine
            self._stores[(partition, by)] = store
        return engine

    def engines(self) -> list[tuple[int, Engine]]:
        """The live engines, each with its partition."""
        return [(partition, engine) for (partition, _), engine in self._engines.items()]

    async def revoked(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        """Partitions moved: drop engines; they are rebuilt from the table when needed."""
        revoked = args[0] if args else kwargs.get("revoked", set())
        gone = {(tp.topic, tp.partition) for tp in revoked}
        self.clock.forget(gone)
        self.alignment.forget(gone)
        self._reported = None  # every worker reports again: the partitions' readers changed
        self._board = None  # a board no report reaches any more must not hold alignment
        self._engines.clear()
        self._stores.clear()

    # -- agents ----------------------------------------------------------------------------

    async def resolve(self, stream: Any) -> None:
        async for record in stream.events():
            await self.caught_up.wait()
            message = record.message
            try:
                event = serde.decode_model(Event, record.value)
                implausible = self.bounds.problem(event.time, datetime.now(UTC))
                if implausible is not None:  # it would drag the watermark with it
                    raise EventTimeError(implausible)
                self.metrics.events_in.labels(message.topic, event.domain).inc()
                identity, router = self._current()
                event = identity.observe(event)
                for unresolved in event.resolved.unresolved if event.resolved else ():
                    self.metrics.unresolved.labels(unresolved.partition(":")[0]).inc()
                routes = router.routes(event)
                if routes:
                    value = serde.encode_model(event)
                    source = [(SOURCE_HEADER, source_header(message))]
                    for by, key in routes:
                        await self.correlate_topic.send(
                            key=route_key(by, key), value=value, headers=source
                        )
            except Exception as exc:  # every failure goes to the DLQ; the agent keeps going
                await self._dead(record, "resolve", exc)
                event = None
            tp = (message.topic, message.partition)
            self.clock.saw(tp, message.offset, event.time if event is not None else None)
            if event is not None and self.alignment.overtakes(tp, event.time):
                await self._hold(message.tp, tp)

    async def correlate(self, stream: Any) -> None:
        async for record in stream.events():
            await self.caught_up.wait()
            try:
                await self._correlate(record)
            except Exception as exc:  # every failure goes to the DLQ; the agent keeps going
                await self._dead(record, "correlate", exc)
            # Not in a ``finally``: a record whose handling was cancelled (the worker stops)
            # leaves no state behind; it was not acknowledged, so it is read again.
            self._flush()

    async def _correlate(self, record: Any) -> None:
        partition = record.message.partition
        if record.key == TICK_KEY:
            await self._told(partition, serde.loads(record.value))
            return
        by, _ = split_key(record.key)
        engine = self._engine(partition, by)
        if engine is None:
            return  # the rules of this key kind were removed since
        event = serde.decode_model(Event, record.value)
        if partition not in self.newest_at or event.time > self.newest_at[partition]:
            self.newest_at[partition] = event.time
        result = engine.process(event)
        await self._emit(result.alerts)
        if not result.late or not self._reports_late(event, by):
            return
        if self._read_again(partition, record.message.headers):
            self.metrics.read_again.inc()
            return
        self.metrics.late_events.labels("correlate").inc()
        await self.late.send(key=record.key, value=serde.encode_model(event))

    def _reports_late(self, event: Event, by: str) -> bool:
        """An event travels once per key kind, and each engine finds it late: only the copy
        of its first route reports it, so ``late`` holds each late event once."""
        _, router = self._current()
        routes = router.routes(event)
        return not routes or routes[0][0] == by

    def _read_again(self, partition: int, headers: Any) -> bool:
        """Whether an event found behind the watermark is a copy of one already handled: its
        input record was read again by a worker that took the partition over (from the last
        committed offset), and a report on this partition's board had told it forwarded."""
        board = self.boards.get(partition)
        found = source_of(headers)
        return board is not None and found is not None and board.forwarded(*found)

    async def _told(self, partition: int, message: dict[str, Any]) -> None:
        """A tick: a worker's report of its input partitions, onto the partition's board; the
        watermark moves to what the board allows."""
        told = read_report(message)
        if told is None:
            return
        board = self.boards.get(partition)
        if board is None:
            board = self.boards[partition] = Board(self.inputs)
        board.take(*told)
        self._board = board
        allowed = board.time()
        if allowed is not None:
            await self._advance(partition, allowed - self.lateness)

    async def _advance(self, partition: int, watermark: datetime) -> None:
        _, router = self._current()
        for by in router.rules_by:
            engine = self._engine(partition, by)
            if engine is not None:
                await self._emit(engine.advance(watermark))

    async def _waiting(self) -> tuple[dict[Partition, bool], dict[Partition, Any]]:
        """Per input partition of this worker: whether records wait in it; and its Faust
        ``TP``."""
        consumer = self.app.consumer
        waiting: dict[Partition, bool] = {}
        tps: dict[Partition, Any] = {}
        for tp in consumer.assignment():
            if tp.topic not in self.inputs:
                continue
            key = (tp.topic, tp.partition)
            try:
                end = consumer.highwater(tp)
                asks = self.clock.needs_position(key, end)
                position = await consumer.position(tp) if asks else None
            except Exception:  # a rebalance took the partition meanwhile: skip it this time
                continue
            waiting[key] = self.clock.behind(key, end, position)
            tps[key] = tp
        return waiting, tps

    async def _align(self, waiting: dict[Partition, bool], tps: dict[Partition, Any]) -> None:
        """Pause the input partitions read too far ahead of the slowest one, resume the
        others (see :class:`.ticks.Alignment`)."""
        if self.app.rebalancing or self.app.in_recovery:
            return  # partitions are being reassigned: the next tick sees the new ones
        before = set(self.alignment.held)
        floor = self._board.slowest(waiting.keys()) if self._board is not None else None
        hold, _ = self.alignment.update(self.clock, waiting, floor)
        # The client's paused set is made to match, not only changed: a rebalance gives
        # partitions back unpaused, and a call cut short by one leaves nothing behind.
        await self._fetching(set(tps.values()), {tps[p] for p in hold})
        self._count(hold - before)

    async def _hold(self, tp: Any, partition: Partition) -> None:
        """Pause one input partition that just read past the limit."""
        await self._fetching({tp}, {tp})
        self._count({partition})

    def _count(self, new: set[Partition]) -> None:
        for topic, _ in new:
            self.metrics.input_holds.labels(topic).inc()
        self.metrics.input_held.set(len(self.alignment.held))

    async def _fetching(self, tps: set[Any], held: set[Any]) -> None:
        """Of ``tps``, pause the fetch of those in ``held`` and resume the others, in the
        Kafka client itself.

        Not with Faust's ``pause_partitions``: Faust drops the records of a partition it
        pauses that it has fetched but not handed to the agent yet, while the read position
        has moved past them (they would be lost until the stall guard read them again). The
        client keeps its position at the last record it handed over and fetches the rest
        again on resume. The client lives in Faust's consumer thread: called there."""
        if not tps or self.app.rebalancing:
            return
        consumer: Any = self.app.consumer  # Faust's, with its client thread
        thread = consumer._thread
        client = thread._ensure_consumer()
        partitions = {TopicPartition(tp.topic, tp.partition): tp in held for tp in tps}
        await thread.call_thread(set_paused, client, partitions)

    async def tick(self) -> None:
        """Timer: the report of this worker's input partitions to every ``correlate``
        partition, when it changed (or was not sent for ``REPORT_AGAIN`` seconds); invalid
        control records to the DLQ."""
        while self._invalid:
            position, raw, reason = self._invalid.pop(0)
            await self._dead_raw(raw, None, position, "control", reason, "InvalidPublished")
        if self.app.rebalancing:
            return  # the partitions are being reassigned: report them once they are known
        generation = self.app.consumer_generation_id
        waiting, tps = await self._waiting()
        await self._align(waiting, tps)
        counts = self._counts()
        if counts is None:
            return
        report = self.clock.report(waiting)
        now = time.monotonic()
        if report == self._reported and now - self._reported_at < REPORT_AGAIN:
            return
        value = serde.dumps(report_message(generation, counts, report))
        for partition in range(self.settings.partitions):
            await self.correlate_topic.send(key=TICK_KEY, value=value, partition=partition)
        self._reported, self._reported_at = report, now

    def _counts(self) -> dict[str, int] | None:
        """The partition count of every input topic; None while one is not known yet.

        From the client's cluster metadata (a read of its cache, safe from this thread), not
        Faust's ``topic_partitions``: that reads the group coordinator's snapshot, which only
        the group's leader fills."""
        consumer: Any = self.app.consumer
        client = consumer._thread._ensure_consumer()
        counts = {}
        for topic in self.inputs:
            partitions = client.partitions_for_topic(topic)
            if not partitions:
                return None
            counts[topic] = len(partitions)
        return counts

    # -- output ----------------------------------------------------------------------------

    async def _emit(self, alerts: list[Alert]) -> None:
        """Send ``alerts`` and wait for the broker's acknowledgement: only then may the
        state that records them go to the changelog (see :mod:`.tablestore`)."""
        sent = []
        for alert in alerts:
            key = f"{alert.entity.type}:{alert.entity.id}".encode()
            sent.append(await self.alerts.send(key=key, value=serde.encode_model(alert)))
            self._measure(alert)
        for future in sent:
            await future

    def _flush(self) -> None:
        """The state changes held while handling a record, to the table."""
        for store in self._stores.values():
            store.flush()

    def _measure(self, alert: Alert) -> None:
        now = datetime.now(UTC)
        self.metrics.alerts.labels(alert.rule, alert.severity).inc()
        self.metrics.event_to_alert.observe(max(0.0, (now - alert.time).total_seconds()))
        ingest = max((e.ingest_time for e in alert.evidence), default=None)
        if ingest is not None:
            self.metrics.ingest_to_alert.observe(max(0.0, (now - ingest).total_seconds()))

    async def _dead(self, record: Any, stage: str, exc: Exception) -> None:
        message = record.message
        position = kafka_position(message.topic, message.partition, message.offset)
        reason = f"{type(exc).__name__}: {exc}"
        await self._dead_raw(record.value, record.key, position, stage, reason, type(exc).__name__)

    async def _dead_raw(self, raw: bytes | None, key: bytes | None, position: str, stage: str,
                        reason: str, kind: str) -> None:  # fmt: skip
        raw = bytes(raw or b"")
        if len(raw) > DEAD_RAW_BYTES:  # the letter must fit one message, whatever came in
            reason = f"{reason[:2000]} (raw cut to its first {DEAD_RAW_BYTES} bytes)"
            raw = raw[:DEAD_RAW_BYTES]
        letter = DeadLetter.of(raw, reason=reason[:2100], position=position, stage=stage,
                               time=datetime.now(UTC))  # fmt: skip
        self.metrics.dead_letters.labels(stage, kind).inc()
        await self.dlq.send(key=key, value=serde.encode_model(letter))


def source_header(message: Any) -> bytes:
    """The ``SOURCE_HEADER`` value for an input record."""
    return kafka_position(message.topic, message.partition, message.offset).encode()


def source_of(headers: Any) -> tuple[Partition, int] | None:
    """The input partition and offset a forwarded event came from; None when it carries no
    (valid) ``SOURCE_HEADER`` (forwarded by an earlier version)."""
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    for name, value in pairs:
        if name != SOURCE_HEADER:
            continue
        where, _, offset = bytes(value).decode(errors="replace").rpartition("@")
        topic, _, number = where.rpartition("[")
        try:
            return (topic, int(number.rstrip("]"))), int(offset)
        except ValueError:
            return None
    return None


def set_paused(client: Any, partitions: dict[TopicPartition, bool]) -> None:
    """In the Kafka client's thread: pause the partitions marked True, resume the others
    (one taken by a rebalance meanwhile is skipped: the next tick sees the new ones)."""
    paused = client.paused()
    for tp, pause in partitions.items():
        try:
            if pause and tp not in paused:
                client.pause(tp)
            elif not pause and tp in paused:
                client.resume(tp)
        except Exception as exc:  # aiokafka's IllegalStateError: not assigned any more
            log.debug("%s: could not %s it: %s", tp, "pause" if pause else "resume", exc)


def attach(app: faust.App, settings: Settings, metrics: RuntimeMetrics) -> Pipeline:
    """Register the agents, tables, timer and follower task of the pipeline on ``app``."""
    # Before anything creates the consumer: commits that never skip a record (.offsets).
    app.transport = SafeTransport(app.conf.broker_consumer, app)
    app.conf.producer_max_request_size = STATE_RECORD_BYTES
    pipeline = Pipeline(app, settings, metrics)
    events = raw_topic(app, *(event_topic(settings, d) for d in DOMAINS))
    app.agent(events, name="resolve", concurrency=1)(pipeline.resolve)
    app.agent(pipeline.correlate_topic, name="correlate", concurrency=1)(pipeline.correlate)
    app.timer(settings.tick_interval, name="tick")(pipeline.tick)
    app.task(pipeline.follow)
    tables = {"engine": pipeline.state, "identity": pipeline.identity_state}
    inputs = {settings.topic("correlate"), *(event_topic(settings, d) for d in DOMAINS)}
    gauges = Gauges(app, metrics, tables, inputs, pipeline.engines, pipeline.newest_at)
    app.timer(INTERVAL, name="gauges")(gauges.sample)
    held = pipeline.alignment.held_now
    guard = StallGuard(app, metrics, inputs, held, broker_probe(settings))
    app.timer(CHECK_INTERVAL, name="stalls")(guard.check)
    app.on_partitions_revoked.connect(pipeline.revoked)  # type: ignore[arg-type]  # faust's stub wants a keyword-only 'signal'; Faust passes it as **kwargs
    return pipeline
