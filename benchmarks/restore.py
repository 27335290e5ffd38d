"""Restore time: a worker whose local state is gone rebuilds its engine table from the
changelog.

1. A worker (three rules, lateness 1 h so hits stay pending) reads a slice of the simulator
   stream; its engine table then holds real keys, and its changelog their real values.
2. The stream's rules keep a few thousand keys at a time, far from a million: the changelog is
   padded to ``--keys`` with copies of those real records under new keys (same partition,
   same value bytes), exactly as Faust writes them.
3. The worker is stopped and its state directory deleted; a new worker starts and restores.

Reported: keys and bytes on the changelog; the restore itself, from the worker's log
("Restoring state from changelog topics" to "Done reading from changelog topics"); from
process start to the first event processed after the restore (an event sent right at the
start, read by the resolve stage, per the worker's metrics), which adds start-up (imports,
reading rules and directory); the worker's RSS once restored; and the same start-to-first-event
time with an empty changelog, in the same run.

    .venv/bin/python benchmarks/restore.py --quick       # 10,000 keys
    .venv/bin/python benchmarks/restore.py               # 1,000,000 keys
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent))
import brokerbench as bench

from correlator import serde

EXTRA = {"CORRELATOR_LATENESS": "1h", "CORRELATOR_TICK_INTERVAL": "0.2"}
META = b'@watermark"'


@dataclass(frozen=True, slots=True)
class Restart:
    restore_s: float | None
    first_event_s: float
    rss_mib: float


async def read_changelog(run: bench.Settings) -> list[tuple[int, bytes, bytes]]:
    """Every (partition, key, value) on the engine changelog."""
    topic = bench.changelog(run)
    consumer = AIOKafkaConsumer(bootstrap_servers=run.bootstrap_servers, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(run.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: list[tuple[int, bytes, bytes]] = []
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                out += [(tp.partition, r.key, r.value) for r in records if r.key and r.value]
        return out
    finally:
        await consumer.stop()


async def pad(run: bench.Settings, real: list[tuple[int, bytes, bytes]], keys: int) -> int:
    """Copies of the real records under new keys until the changelog holds ``keys`` distinct
    keys; returns the bytes written in all (real records included)."""
    latest = {(p, k): v for p, k, v in real}
    templates = [(p, k, v) for (p, k), v in latest.items() if not k.endswith(META)]
    if not templates:
        raise RuntimeError("the worker wrote no engine state to copy")
    written = sum(len(k) + len(v) for (_, k), v in latest.items())
    producer = AIOKafkaProducer(
        bootstrap_servers=run.bootstrap_servers, linger_ms=20, max_batch_size=1 << 20,
        compression_type=None,
    )  # fmt: skip
    await producer.start()
    topic = bench.changelog(run)
    try:
        shown = time.monotonic()
        for i in range(keys - len(latest)):
            partition, key, value = templates[i % len(templates)]
            new = serde.dumps(f"{serde.loads(key)}~{i}")  # Faust writes table keys as JSON
            await producer.send(topic, value, key=new, partition=partition)
            written += len(new) + len(value)
            if time.monotonic() - shown >= 5:
                bench.say(f"padding the changelog: {i:,}/{keys - len(latest):,}")
                shown = time.monotonic()
        await producer.flush()
    finally:
        await producer.stop()
    return written


_STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]")


def _stamp(log: Path, text: str) -> datetime | None:
    for line in log.read_text(errors="replace").splitlines():
        if text in line and (found := _STAMP.match(line)):
            return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
    return None


VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "fetch8": {"consumer_max_fetch_size": 8 << 20},
}
"""Faust settings over the worker's own for a restart (see ``worker_variant.py``)."""


def restart(run: bench.Settings, stream: bench.Wire, index: int,
            faust: dict[str, object] | None = None) -> Restart:  # fmt: skip
    """Start a worker on an empty state directory; time its restore and first event."""
    shutil.rmtree(bench.STATE / "workers" / run.topic_prefix, ignore_errors=True)
    command = [sys.executable, str(bench.ROOT / "benchmarks" / "worker_variant.py")]
    extra = {**EXTRA, "CORRELATOR_BENCH_LOGLEVEL": "info",
             "CORRELATOR_BENCH_FAUST": serde.dumps(faust or {}).decode()}  # fmt: skip
    began = time.time()
    worker = bench.start_worker(run, index, extra, command)
    try:
        return asyncio.run(_first_event(run, stream, worker, began))
    finally:
        worker.stop()


async def _first_event(run: bench.Settings, stream: bench.Wire, worker: bench.Child,
                       began: float) -> Restart:  # fmt: skip
    """Until the worker's resolve stage has read an event sent right at its start: Faust
    holds every stream until all table partitions are restored."""
    await bench.produce(run, stream.records[-1:])
    deadline = time.monotonic() + 900
    shown = time.monotonic()
    while await asyncio.to_thread(bench.events_in, worker) == 0:
        worker.check()
        if time.monotonic() > deadline:
            raise RuntimeError("the restarted worker processed nothing within 900 s")
        if time.monotonic() - shown >= 10:
            bench.say(f"restoring ... {time.time() - began:.0f} s, RSS {worker.rss_mib():.0f} MiB")
            shown = time.monotonic()
        await asyncio.sleep(0.2)
    first = time.time() - began
    start = _stamp(worker.log, "Restoring state from changelog topics")
    done = _stamp(worker.log, "Done reading from changelog topics")
    restore = (done - start).total_seconds() if start and done else None
    return Restart(restore, first, worker.rss_mib())


def fill(run: bench.Settings, stream: bench.Wire) -> None:
    """A worker reads ``stream``; returns once it has committed all of it."""
    worker = bench.start_worker(run, 0, EXTRA)
    try:

        async def go() -> None:
            group = bench.worker_group(run)
            await bench.until_ready(run, [worker], group)
            await bench.produce(run, stream.records)
            topics = [*bench.event_topics(run), run.topic("correlate")]
            while (left := await bench.behind(run, group, topics)) > 0:
                worker.check()
                bench.say(f"filling: {left:,} records to go")
                await asyncio.sleep(5)

        asyncio.run(go())
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench.add_broker_options(parser)
    parser.add_argument("--quick", action="store_true", help="10,000 keys, 1,500 events")
    parser.add_argument("--keys", type=int, help="keys in the engine table (1,000,000)")
    parser.add_argument("--events", type=int, help="stream slice of the fill (4,000)")
    parser.add_argument(
        "--variants",
        default="default",
        help=f"restarts, each on an empty state: {','.join(VARIANTS)}",
    )
    args = parser.parse_args()
    keys = args.keys or (10_000 if args.quick else 1_000_000)
    stream = bench.wire(args.people).part(args.events or (1_500 if args.quick else 4_000), 0.4)
    with bench.broker(args) as settings:
        header = (f"{bench.machine()}; {args.partitions} partitions, worker with 3 rules, "
                  f"changelog filled from {len(stream.records):,} events then padded")  # fmt: skip
        bench.say(header)
        with bench.run_topics(settings, "restore-empty") as run:
            bench.publish(run, stream, bench.THREE_RULES)
            empty = restart(run, stream, 0)
            bench.say(f"empty changelog: first event after {empty.first_event_s:.1f} s")
        with bench.run_topics(settings, "restore") as run:
            bench.publish(run, stream, bench.THREE_RULES)
            fill(run, stream)
            real = asyncio.run(read_changelog(run))
            bench.say(f"the worker wrote {len(real):,} changelog records; padding to {keys:,}")
            written = asyncio.run(pad(run, real, keys))
            restarts = {}
            for i, name in enumerate(args.variants.split(",")):
                restarts[name] = restart(run, stream, i + 1, VARIANTS[name])
                bench.say(f"{name}: restore {restarts[name].restore_s} s")
    rows = [["empty", "default", "0", "0", "-", f"{empty.first_event_s:.1f}",
             f"{empty.rss_mib:.0f}"]]  # fmt: skip
    for name, done in restarts.items():
        restore = f"{done.restore_s:.1f}" if done.restore_s is not None else "?"
        rows.append(["padded", name, f"{keys:,}", f"{written / 2**20:,.0f}", restore,
                     f"{done.first_event_s:.1f}", f"{done.rss_mib:.0f}"])  # fmt: skip
    print(f"\n{header}\n")
    header_row = ["changelog", "worker", "keys", "MiB", "restore s", "start to first event s",
                  "RSS MiB"]  # fmt: skip
    print(bench.table(header_row, rows))


if __name__ == "__main__":
    main()
