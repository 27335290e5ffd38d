"""Offset commits that never skip a record, and a guard that re-reads a stalled partition.

Faust (0.15) tracks the offsets its agents have acknowledged per partition and commits the
first run of consecutive ones. Around a rebalance it can lose a record between the fetcher
and the agent: the fetcher's read position has moved past it, but the agent never saw it
(the stream buffers are cleared when flow resumes, and a fetch interrupted by a suspended
flow still advances the read position). Two things then go wrong:

- when the lost record is the one right at the committed offset, Faust's commit rule
  (``min(acked) - committed > 1`` means "wait") lets the next commit jump over it: the
  record is never processed and nothing says so;
- when more than one record is lost, the partition is never committed again: its consumer
  lag stays up for good, and every later rebalance or restart replays it from there;
- when the lost records come after others the agent has seen, Faust takes the jump in
  offsets for offsets that hold no record (compacted away, or transaction markers), counts
  them as done, and commits past them: they are never processed and nothing says so.

:class:`SafeConsumer` fixes the first and the third: it commits only a run of acknowledged
offsets that starts exactly at the committed one, and it takes every jump in offsets for
lost records (the commit stops there). :class:`StallGuard` fixes the second (and what the
others turn into a stall): when a partition's oldest acknowledged offset stays ahead of its
committed offset, or when records wait in a partition but nothing moves at all (seen after
a rebalance too: the fetcher never hands the partition's records to the agent), it seeks
the partition back to its committed offset so the records are read again, unless the
broker holds no record there. Records past the lost ones are processed twice, which
at-least-once delivery allows: the engine drops events it already holds, and alert ids are
deterministic.

:class:`SafeConsumer` also commits an offset only once the changelog writes of the records
before it are acknowledged (see :mod:`.changelog`).

It works on Faust's private offset bookkeeping (``_acked``, ``_committed_offset``, ...),
which is why faust-streaming is pinned to one version.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.exceptions import ProducerSendError
from faust.transport.drivers import aiokafka as driver

from correlator.runtime.changelog import ChangelogWriteFailed, ledger
from correlator.runtime.connectivity import start_client
from correlator.runtime.metrics import RuntimeMetrics
from correlator.runtime.security import aiokafka_options
from correlator.settings import Settings

log = logging.getLogger(__name__)

CHECK_INTERVAL = 5.0
"""Seconds between two checks of the guard."""

IDLE_CHECKS = 4
"""Checks in a row without any progress, records waiting, before an idle partition is read
again (a busy worker moves every held partition within this long)."""


def acked_head(consumer: Any, tp: Any) -> int | None:
    """The oldest offset of ``tp`` the agents acknowledged and Faust has not committed yet
    (including ranges Faust counts as done because no record exists there)."""
    acked = consumer._acked.get(tp)
    heads = [min(acked)] if acked else []
    gaps = consumer._gap.get(tp)
    if gaps:
        heads.append(min(interval.begin for interval in gaps))
    return min(heads) if heads else None


def missing(consumer: Any, tp: Any) -> int | None:
    """The committed offset of ``tp`` if the record there was skipped (later ones were
    acknowledged, it was not), else None."""
    committed = consumer._committed_offset.get(tp)
    head = acked_head(consumer, tp)
    if committed is None or head is None or head <= committed:
        return None
    return int(committed)


class SafeConsumer(driver.Consumer):
    """Faust's aiokafka consumer, except that a commit never passes an unprocessed record,
    nor a record whose table changes are not on the changelog yet."""

    async def _commit_tps(self, tps: Any, start_new_transaction: bool) -> bool:
        """Faust's, with a wait for the changelog (see :mod:`.changelog`) between choosing
        the offsets and committing them: the agent has handled every record below them, so
        their table changes are in the ledger by then. Like Faust's wait for attached
        messages, it has no timeout (the offsets chosen are gone from Faust's books, so the
        commit cannot be left for later): a write ends acknowledged or failed within the
        producer's delivery timeout. A failed changelog write stops the worker, as a failed
        send of an attached message does in Faust."""
        # Faust drops the offsets it returns from its acknowledged ones: commit them now.
        offsets = self._filter_committable_offsets(tps)
        if not offsets:
            return False
        try:
            await ledger(cast(faust.App, self.app)).settle()
            await self._handle_attached(offsets)
        except (ChangelogWriteFailed, ProducerSendError) as exc:
            await self.crash(exc)
            return False
        committed: bool = await self._commit_offsets(
            offsets, start_new_transaction=start_new_transaction
        )
        return committed

    def _new_offset(self, tp: Any) -> int | None:
        if missing(self, tp) is not None:
            return None  # wait: the guard re-reads the missing record
        offset: int | None = super()._new_offset(tp)
        return offset

    async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
        """Faust found offsets ``offset_from`` up to ``offset_to`` (excluded) skipped between
        two records it handed to an agent, and would count them as done. Taken for records
        it lost instead: the commit stops before them, and the stall guard reads them again
        (or commits past them if the broker holds no record there)."""
        log.warning(
            "%s[%d]: offsets %d to %d were skipped on the way to the agent; the commit waits "
            "there until they are read again",
            tp.topic, tp.partition, offset_from, offset_to - 1,
        )  # fmt: skip


class SafeTransport(driver.Transport):
    Consumer = SafeConsumer


Probe = Callable[[str, int, int], Awaitable[int | None]]
"""``probe(topic, partition, offset)``: the offset of the first record at or after
``offset`` the broker holds (None: none found)."""

PROBE_WAIT_MS = 5_000
"""How long a probe waits for the broker's answer."""


def broker_probe(settings: Settings) -> Probe:
    """A :data:`Probe` with a client of its own, made for each question (they are rare)."""

    async def probe(topic: str, partition: int, offset: int) -> int | None:
        client = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers, group_id=None,
            enable_auto_commit=False, **aiokafka_options(settings),
        )  # fmt: skip
        try:
            await start_client(client, settings)
            tp = TopicPartition(topic, partition)
            client.assign([tp])
            client.seek(tp, offset)
            found = await client.getmany(tp, timeout_ms=PROBE_WAIT_MS, max_records=1)
            records = found.get(tp) or []
            return int(records[0].offset) if records else None
        finally:
            await client.stop()

    return probe


Progress = tuple[int | None, int | None, int | None]
"""What moves when a partition is being read: (committed offset, fetch position, oldest
acknowledged offset)."""


class StallGuard:
    """Finds partitions that stopped moving and reads them again from their committed
    offset (``check`` is a worker timer).

    Two kinds of stall are acted on:

    - **skipped**: a record was skipped while later ones were acknowledged; Faust would
      never commit past it (seen missing at two checks in a row, however much the partition
      moved meanwhile: read again late, the record would be behind the watermark);
    - **idle**: records are waiting in the partition, yet over :data:`IDLE_CHECKS` checks
      nothing was fetched, acknowledged or committed, and the worker has nothing else in
      hand (the fetcher lost the partition).

    Before a skipped partition is read again, ``probe`` asks the broker for the first record
    at or after the missing offset: offsets before it hold no record (transaction markers of
    a transactional producer, or records compacted away); they are counted as done, and the
    commit passes them.

    ``held``: the input partitions paused on purpose (alignment, see :mod:`.ticks`): they
    wait without moving and are left alone.
    """

    def __init__(self, app: Any, metrics: RuntimeMetrics, topics: set[str],
                 held: Callable[[], set[tuple[str, int]]] = set,
                 probe: Probe | None = None) -> None:  # fmt: skip
        self._app = app
        self._probe = probe
        self._held = held
        self._metrics = metrics
        self._topics = topics
        self._seen: dict[Any, tuple[Progress, int]] = {}
        self._missed: dict[Any, int] = {}
        """The offset each partition was missing at the last check."""

    async def check(self) -> None:
        app = self._app
        if app.rebalancing:
            self._seen.clear()  # positions are being reset: look again afterwards
            self._missed.clear()
            return
        consumer = app.consumer
        if getattr(consumer, "_commit_fut", None) is not None:
            # A commit is under way: Faust has taken the offsets it commits out of the
            # acknowledged ones but not yet recorded them as committed. Look next time.
            return
        # A worker with records in its streams is busy, not stalled: partitions wait their
        # turn behind a backlog (the fetcher stops when the stream buffers are full).
        busy = bool(getattr(consumer, "_unacked_messages", ()))
        seen: dict[Any, tuple[Progress, int]] = {}
        missed: dict[Any, int] = {}
        held = self._held()
        for tp in consumer.assignment():
            if tp.topic not in self._topics:
                continue
            if (tp.topic, tp.partition) in held:
                continue  # waits without moving on purpose; counted afresh once resumed
            try:
                progress = await self._progress(consumer, tp)
                highwater = consumer.highwater(tp)
            except Exception:  # a rebalance took the partition meanwhile: skip it this time
                continue
            before, times = self._seen.get(tp, (None, 0))
            times = times + 1 if progress == before else 1
            committed = progress[0]
            lost = missing(consumer, tp)
            skipped = lost is not None and self._missed.get(tp) == lost
            if skipped and lost is not None and await self._no_record(consumer, tp, lost):
                continue
            waiting = highwater is not None and highwater > (committed or 0)
            idle = waiting and progress[2] is None and times >= IDLE_CHECKS and not busy
            if skipped or idle:
                try:
                    await self._reread(consumer, tp, committed, "skipped" if skipped else "idle")
                except Exception:  # a timer that raises stops the worker: log, try next time
                    log.exception("%s[%d]: could not read the partition again", *tp)
                continue
            seen[tp] = (progress, times)
            if lost is not None:
                missed[tp] = lost
        self._seen = seen
        self._missed = missed

    async def _progress(self, consumer: Any, tp: Any) -> Progress:
        committed = consumer._committed_offset.get(tp)
        position = await consumer.position(tp)
        return committed, position, acked_head(consumer, tp)

    async def _no_record(self, consumer: Any, tp: Any, lost: int) -> bool:
        """Whether the broker holds no record at ``lost``: then the offsets up to its next
        record are counted as done."""
        if self._probe is None:
            return False
        try:
            found = await self._probe(tp.topic, tp.partition, lost)
        except Exception:  # unanswered: read the partition again, as for a lost record
            log.warning("%s[%d]: could not look for offset %d", *tp, lost, exc_info=True)
            return False
        if found is None or found <= lost:
            return False
        log.info(
            "%s[%d]: offsets %d to %d hold no record (transaction markers, or compacted "
            "away); committed past", tp.topic, tp.partition, lost, found - 1,
        )  # fmt: skip
        consumer._gap[tp].addi(lost, found)
        return True

    async def _reread(self, consumer: Any, tp: Any, committed: int | None, kind: str) -> None:
        log.warning(
            "%s[%d] stalled (%s: committed %s, read up to %s, acknowledged from %s, end %s); "
            "reading it again from its committed offset",
            tp.topic, tp.partition, kind, committed, consumer._read_offset.get(tp),
            acked_head(consumer, tp), consumer.highwater(tp),
        )  # fmt: skip
        self._metrics.rereads.labels(tp.topic, str(tp.partition), kind).inc()
        # Forget the acknowledgements past the committed offset: the records are read
        # again and acknowledged anew (otherwise Faust would count them as duplicates and
        # never release them).
        consumer._acked.pop(tp, None)
        consumer._acked_index.pop(tp, None)
        consumer._gap.pop(tp, None)
        if committed is None:  # never committed: from the start of what the topic holds
            committed = (await consumer.earliest_offsets(tp))[tp]
        await consumer.seek(tp, committed)
