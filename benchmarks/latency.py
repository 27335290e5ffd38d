"""Ingest-to-alert latency of one worker at 25%, 50% and 70% of its maximum rate.

The maximum is measured first in the same invocation (one ``e2e_throughput`` worker run with
the same rules), or given with ``--max-rate``. At each load a fresh worker reads a stream
produced at a fixed rate: the simulator stream from mid-morning, each event's
``ingest_time`` set to the wall clock when it is produced. Background events seldom make
alerts, so twice a second a **probe** goes in with them: five failed logons and a success for
one person who never badges anywhere in the stream (``bruteforce-success-while-absent``), a
fresh person each time (the rule suppresses repeats for 30 minutes). Latency of an alert = its
record timestamp on the ``alerts`` topic (set by the worker's producer) minus the newest
evidence event's ``ingest_time``: produce, broker, resolve, repartition, correlate, waiting for
the watermark, and producing the alert.

The watermark: an alert is final once the watermark (newest event time - lateness) passes
its last event, so it waits for lateness worth of *event time* to go by. The stream plays
event time faster than the wall clock (``speed`` simulated seconds per second, from the
stream's density and the rate), so the lateness is set to ``--lateness-ms`` of wall time at
that speed (default 100 ms); events later than that go to ``late`` and are counted.

    .venv/bin/python benchmarks/latency.py --quick            # 6 s per load
    .venv/bin/python benchmarks/latency.py --max-rate 300     # 60 s per load
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from correlator import serde

sys.path.insert(0, str(Path(__file__).resolve().parent))
import brokerbench as bench
from e2e_throughput import worker_run

LOADS = (0.25, 0.5, 0.7)
PROBES_PER_SECOND = 2.0


@dataclass(frozen=True, slots=True)
class Load:
    rate: float
    events: int
    latencies: list[float]
    late: int
    lateness: str

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- the probes ----------------------------------------------------------------------------


class Probes:
    """Five failed logons and a success, each time for a person the stream never badges in."""

    def __init__(self, stream: bench.Wire) -> None:
        badged: set[str] = set()
        template: dict[str, Any] | None = None
        for domain, _, value in stream.records:
            if domain == "access":
                actor = serde.loads(value).get("actor") or {}
                if actor.get("credential"):
                    badged.add(str(actor["credential"]))
            elif domain == "auth" and template is None:
                event = serde.loads(value)
                if event.get("activity") == "logon" and event.get("outcome") == "failure":
                    template = event
        if template is None:
            raise RuntimeError("no failed logon in the stream to model the probes on")
        self.template = template
        directory = serde.loads(stream.directory)
        self.accounts = iter([
            person["accounts"][0]["username"] for person in directory["people"]
            if person.get("accounts")
            and not any(c["badge"] in badged for c in person.get("credentials", []))
        ])  # fmt: skip
        self.count = 0

    def next(self, at: datetime) -> Iterator[tuple[bytes, bytes]]:
        """The six events of one probe at event time ``at``; the last is the success."""
        account = next(self.accounts)
        self.count += 1
        for i, outcome in enumerate(("failure",) * 5 + ("success",)):
            event = dict(self.template)
            event.update(
                id=f"probe-{self.count}-{i}", outcome=outcome, actor={"account": account},
                time=(at + timedelta(milliseconds=i)).isoformat().replace("+00:00", "Z"),
                ingest_time=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            )  # fmt: skip
            yield account.encode(), serde.dumps(event)


# -- one load ------------------------------------------------------------------------------


def speed_of(stream: bench.Wire, rate: float) -> float:
    """Simulated seconds per wall-clock second when ``stream`` is played at ``rate``."""
    first = datetime.fromisoformat(serde.loads(stream.records[0][2])["time"])
    last = datetime.fromisoformat(serde.loads(stream.records[-1][2])["time"])
    density = len(stream.records) / max(1.0, (last - first).total_seconds())
    return rate / density


def run_load(settings: bench.Settings, stream: bench.Wire, rate: float, seconds: float,
             lateness_ms: float) -> Load:  # fmt: skip
    count = int(rate * seconds)
    part = bench.Wire(stream.records[:count], stream.directory, stream.directory_path,
                      stream.lateness)  # fmt: skip
    lateness = f"{max(1, round(speed_of(part, rate) * lateness_ms))}ms"
    with bench.run_topics(settings, f"lat{int(rate)}") as run:
        bench.publish(run, part, bench.THREE_RULES)
        extra = {"CORRELATOR_LATENESS": lateness, "CORRELATOR_TICK_INTERVAL": "0.1"}
        worker = bench.start_worker(run, 0, extra)
        try:
            latencies, late = asyncio.run(_measure(run, part, worker, rate))
        finally:
            worker.stop()
    return Load(rate, count, latencies, late, lateness)


async def _measure(run: bench.Settings, stream: bench.Wire, worker: bench.Child,
                   rate: float) -> tuple[list[float], int]:  # fmt: skip
    await bench.until_ready(run, [worker], bench.worker_group(run))
    stop = asyncio.Event()
    alerts = bench.Output(keep_values=True)
    late = bench.Output()
    tasks = [
        asyncio.create_task(bench.watch(run, run.topic("alerts"), alerts, stop)),
        asyncio.create_task(bench.watch(run, run.topic("late"), late, stop)),
    ]
    try:
        probes = await _play(run, stream, rate, Probes(stream), alerts)
        deadline = time.monotonic() + 60
        while _probed(alerts) < probes and time.monotonic() < deadline:
            worker.check()
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    latencies = []
    if _probed(alerts) < probes:
        bench.say(f"{probes - _probed(alerts)} of {probes} probes gave no alert within 60 s")
    for timestamp_ms, value in alerts.values:
        alert = serde.loads(value)
        newest = max(datetime.fromisoformat(e["ingest_time"]) for e in alert["evidence"])
        latencies.append(timestamp_ms / 1000 - newest.timestamp())
    return latencies, late.count


def _probed(alerts: bench.Output) -> int:
    """Alerts made by probes so far."""
    return sum(b'"id":"probe-' in value for _, value in alerts.values)


async def _play(run: bench.Settings, stream: bench.Wire, rate: float, probes: Probes,
                alerts: bench.Output) -> int:  # fmt: skip
    """Produce ``stream`` at ``rate`` events/s and a probe every 1/PROBES_PER_SECOND s, none in
    the last second (events after a probe move the watermark past it); returns the number of
    probes sent."""
    seconds = len(stream.records) / rate
    producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap_servers, linger_ms=1)
    await producer.start()
    topics: dict[str, str] = {d: bench.event_topic(run, d) for d in bench.DOMAINS}
    began = time.monotonic()
    shown, sent, next_probe = began, 0, began
    try:
        while sent < len(stream.records):
            now = time.monotonic()
            due = min(len(stream.records), int((now - began) * rate) + 1)
            for domain, key, value in stream.records[sent:due]:
                event = serde.loads(value)
                event["ingest_time"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                await producer.send(topics[domain], serde.dumps(event), key=key)
            if due > sent and now >= next_probe and now - began < seconds - 1.0:
                at = datetime.fromisoformat(serde.loads(stream.records[due - 1][2])["time"])
                for key, value in probes.next(at):
                    await producer.send(topics["auth"], value, key=key)
                next_probe += 1 / PROBES_PER_SECOND
            sent = due
            if now - shown >= 5:
                bench.say(f"{sent:,}/{len(stream.records):,} sent at {rate:.0f}/s, "
                          f"{probes.count} probes, {alerts.count} alerts")  # fmt: skip
                shown = now
            await asyncio.sleep(0.005)
        await producer.flush()
    finally:
        await producer.stop()
    return probes.count


# -- the table -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench.add_broker_options(parser)
    parser.add_argument("--quick", action="store_true", help="6 s per load, max on 2,500 events")
    parser.add_argument("--seconds", type=float, help="per load (default 60; quick 6)")
    parser.add_argument("--max-rate", type=float, help="events/s; measured when not given")
    parser.add_argument(
        "--lateness-ms",
        type=float,
        default=100.0,
        help="allowed lateness in wall-clock ms at the load's speed (100)",
    )
    parser.add_argument("--start", type=float, default=0.4, help="where the stream starts")
    args = parser.parse_args()
    seconds = args.seconds or (6.0 if args.quick else 60.0)
    full = bench.wire(args.people)
    with bench.broker(args) as settings:
        max_rate = args.max_rate
        if max_rate is None:
            sample = full.part(2_500 if args.quick else 30_000, args.start)
            bench.say(f"measuring the maximum rate over {len(sample.records):,} events")
            max_rate = worker_run(settings, sample, 1, bench.THREE_RULES).rate
            bench.say(f"maximum: {max_rate:,.0f} events/s")
        header = (f"{bench.machine()}; 1 worker, 3 rules, maximum {max_rate:,.0f} events/s"
                  f"{' (given)' if args.max_rate else ' (measured)'}, {seconds:.0f} s per load, "
                  f"lateness {args.lateness_ms:.0f} ms of wall time")  # fmt: skip
        results = []
        for share in LOADS:
            rate = share * max_rate
            stream = full.part(int(rate * seconds) + 1, args.start)
            bench.say(f"load {share:.0%}: {rate:,.0f} events/s for {seconds:.0f} s")
            results.append((share, run_load(settings, stream, rate, seconds, args.lateness_ms)))
    rows = []
    for share, load in results:
        ms = [f"{load.percentile(q) * 1000:,.0f}" for q in (0.5, 0.95, 0.99)]
        rows.append([f"{share:.0%}", f"{load.rate:,.0f}", f"{load.events:,}", load.lateness,
                     str(len(load.latencies)), *ms, f"{max(load.latencies) * 1000:,.0f}",
                     str(load.late)])  # fmt: skip
        if load.latencies:
            bench.say(f"load {share:.0%}: mean {statistics.mean(load.latencies) * 1000:.0f} ms")
    print(f"\n{header}\n")
    print(bench.table(["load", "events/s", "events", "lateness", "alerts", "p50 ms", "p95 ms",
                       "p99 ms", "max ms", "late"], rows))  # fmt: skip


if __name__ == "__main__":
    main()
