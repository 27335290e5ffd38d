"""End-to-end throughput on a real broker: normalized events in, alerts out.

Every row gets a fresh topic prefix. The consumers start first (workers with the rules and the
directory published, or a baseline process) and the run waits until their consumer group is
Stable with all of them; then the simulator stream (Event JSON keyed as the connectors key it)
is produced to the ``events.<domain>`` topics as fast as the producer goes. Throughput is
events / (last alert - first record consumed):

- workers: first consumed = the earliest timestamp on the ``correlate`` topic (the resolve
  stage forwards each event there as soon as it read it); once the workers' resolve stages
  have read every event (their /metrics), a clock event far ahead in event time moves every
  watermark past the data, and last alert = the latest timestamp on the ``alerts`` topic;
- baselines (``baseline_kafka.py``, ``baseline_quix.py``): the times they report themselves.

Rows: the worker with 1 and 2 processes, the aiokafka + rocksdict baseline, and quixstreams
when it can be imported (see ``baseline_quix.py``). Each figure is the median of ``--runs``;
ratios are to the aiokafka baseline of the same invocation. CPU seconds of the consumers and
of the broker over the run say where the machine's time went.

    .venv/bin/python benchmarks/e2e_throughput.py --quick   # 3,000 events, 1 run per row
    .venv/bin/python benchmarks/e2e_throughput.py           # 60,000 events, median of 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from correlator import serde

sys.path.insert(0, str(Path(__file__).resolve().parent))
import brokerbench as bench

QUIX_LIB = bench.ROOT / ".state" / "quix-lib"
KAFKA, QUIX = "baseline_kafka.py", "baseline_quix.py"


@dataclass(frozen=True, slots=True)
class Result:
    events: int
    seconds: float
    alerts: int
    late: int
    consumer_cpu: float
    broker_cpu: float
    rss_mib: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


# -- worker rows ---------------------------------------------------------------------------


LEVERS: dict[str, dict[str, object]] = {
    "linger0": {"producer_linger_ms": 0},
    "linger10": {"producer_linger_ms": 10},
    "linger25": {"producer_linger_ms": 25},
    "linger50": {"producer_linger_ms": 50},
    "poll2000": {"broker_max_poll_records": 2000},
    "fetch8": {"consumer_max_fetch_size": 8 << 20},
    "lz4": {"producer_compression_type": "lz4"},
    "zstd": {"producer_compression_type": "zstd"},
}
"""Faust settings a lever row sets over the worker's own (see ``worker_variant.py``)."""

DRIFTS: dict[str, str] = {"drift10s": "10s", "drift10m": "10m", "noalign": "365d"}
"""Rows with another ``CORRELATOR_ALIGN_DRIFT`` than the default 1m (``noalign``: in effect no
input partition is ever paused, as before alignment existed)."""


def worker_run(settings: bench.Settings, stream: bench.Wire, workers: int,
               rules: Sequence[str] | None, profile: Path | None = None,
               faust: dict[str, object] | None = None,
               drift: str | None = None) -> Result:  # fmt: skip
    """One run of ``workers`` worker processes. ``profile``: the first one under pyinstrument,
    its report written there; ``faust``: extra Faust settings (a lever); ``drift``: the
    alignment drift, if not the default."""
    with bench.run_topics(settings, f"w{workers}") as run:
        bench.publish(run, stream, rules)
        extra = {"CORRELATOR_LATENESS": stream.lateness, "CORRELATOR_TICK_INTERVAL": "0.2"}
        if drift is not None:
            extra["CORRELATOR_ALIGN_DRIFT"] = drift
        command = None
        if profile is not None or faust:
            extra["CORRELATOR_BENCH_FAUST"] = serde.dumps(faust or {}).decode()
            if profile is not None:
                extra["CORRELATOR_PROFILE_OUT"] = str(profile.resolve())
            command = [sys.executable, str(bench.ROOT / "benchmarks" / "worker_variant.py")]
        children = [bench.start_worker(run, i, extra, command) for i in range(workers)]
        try:
            return asyncio.run(_measure_workers(run, stream, children))
        finally:
            if profile is not None:
                children[0].process.send_signal(signal.SIGHUP)
                children[0].process.wait(60)
                bench.say(f"profile written to {profile}")
            for child in children:
                child.stop()


async def _measure_workers(run: bench.Settings, stream: bench.Wire,
                           children: list[bench.Child]) -> Result:  # fmt: skip
    group = bench.worker_group(run)
    await bench.until_ready(run, children, group)
    stop = asyncio.Event()
    correlate, alerts, changes, late = (bench.Output() for _ in range(4))
    tasks = [
        asyncio.create_task(bench.watch(run, run.topic("late"), late, stop)),
        asyncio.create_task(bench.watch(run, run.topic("correlate"), correlate, stop)),
        asyncio.create_task(bench.watch(run, run.topic("alerts"), alerts, stop)),
        asyncio.create_task(bench.watch(run, bench.changelog(run), changes, stop)),
    ]
    broker = bench.broker_pid(run)
    cpu0 = [c.cpu() for c in children]
    broker0 = bench.cpu_seconds(broker) if broker else 0.0
    rss = 0.0
    try:
        produced = await bench.produce(run, stream.records)
        bench.say(f"produced {len(stream.records):,} events ({produced:.1f} CPU s)")
        total = len(stream.records)
        await _until(lambda: sum(bench.events_in(c) for c in children) >= total, children,
                     lambda: f"read {sum(bench.events_in(c) for c in children):,}/{total:,}, "
                             f"{alerts.count} alerts")  # fmt: skip
        await bench.clock(run, _last_time(stream) + timedelta(days=1))
        topics = [*bench.event_topics(run), run.topic("correlate")]
        shown = time.monotonic()
        while True:
            rss = max(rss, *(c.rss_mib() for c in children))
            last = max(alerts.last_arrival, changes.last_arrival)
            quiet = time.monotonic() - last >= 2.0
            left = await bench.behind(run, group, topics)
            if quiet and left == 0:
                break
            for child in children:
                child.check()
            if time.monotonic() - shown >= 5.0:
                bench.say(f"all read; {left:,} records not committed yet, {alerts.count} alerts")
                shown = time.monotonic()
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    if correlate.first_ms is None or changes.last_ms is None:
        raise RuntimeError("no record on the correlate or changelog topic: see the worker logs")
    seconds = (max(alerts.last_ms or 0, changes.last_ms) - correlate.first_ms) / 1000
    cpu = sum(c.cpu() - c0 for c, c0 in zip(children, cpu0, strict=True))
    broker_cpu = (bench.cpu_seconds(broker) - broker0) if broker else 0.0
    return Result(len(stream.records), seconds, alerts.count, late.count, cpu, broker_cpu, rss)


async def _until(done: Callable[[], bool], children: Sequence[bench.Child],
                 progress: Callable[[], str], every: float = 5.0) -> None:  # fmt: skip
    """Poll ``done``; a progress line every ``every`` seconds."""
    shown = time.monotonic()
    while not await asyncio.to_thread(done):
        for child in children:
            child.check()
        if time.monotonic() - shown >= every:
            bench.say(await asyncio.to_thread(progress))
            shown = time.monotonic()
        await asyncio.sleep(0.2)


def _last_time(stream: bench.Wire) -> datetime:
    return datetime.fromisoformat(serde.loads(stream.records[-1][2])["time"])


# -- baseline rows -------------------------------------------------------------------------


def baseline_run(settings: bench.Settings, stream: bench.Wire, script: str,
                 pythonpath: Path | None = None) -> Result:  # fmt: skip
    label = script.removesuffix(".py").removeprefix("baseline_")
    with bench.run_topics(settings, label) as run:
        state = bench.STATE / "baselines" / run.topic_prefix
        state.mkdir(parents=True, exist_ok=True)
        directory = state / "directory.json"
        directory.write_bytes(stream.directory)
        env = bench.settings_env(run)
        if pythonpath is not None:
            env["PYTHONPATH"] = f"{pythonpath}:{bench.ROOT}"
        command = [
            sys.executable, str(bench.ROOT / "benchmarks" / script),
            "--bootstrap", run.bootstrap_servers, "--prefix", run.topic_prefix,
            "--directory", str(directory), "--events", str(len(stream.records)),
            "--state", str(state / "db"),
        ]  # fmt: skip
        log = bench.STATE / "logs" / f"{run.topic_prefix}{label}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as err:
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=err,
                                       start_new_session=True)  # fmt: skip
            child = bench.Child(process, log)
            try:
                return asyncio.run(_measure_baseline(run, stream, child, label))
            finally:
                child.stop()


async def _measure_baseline(run: bench.Settings, stream: bench.Wire, child: bench.Child,
                            label: str) -> Result:  # fmt: skip
    await bench.until_ready(run, [child], run.topic(label))
    broker = bench.broker_pid(run)
    broker0 = bench.cpu_seconds(broker) if broker else 0.0
    rss, cpu = 0.0, 0.0
    produced = await bench.produce(run, stream.records)
    bench.say(f"produced {len(stream.records):,} events ({produced:.1f} CPU s)")
    while child.alive():
        rss = max(rss, child.rss_mib())
        cpu = child.cpu()
        await asyncio.sleep(0.2)
    assert child.process.stdout is not None
    out = child.process.stdout.read().decode().strip().splitlines()
    if child.process.returncode != 0 or not out:
        child.check()
    report = json.loads(out[-1])
    broker_cpu = (bench.cpu_seconds(broker) - broker0) if broker else 0.0
    seconds = report["last"] - report["first"]
    return Result(report["events"], seconds, report["alerts"], 0, cpu, broker_cpu, rss)


def codec_missing() -> str | None:
    """Why the compression rows are skipped (aiokafka's lz4 and zstd need cramjam, which the
    project does not install), or None when they can run."""
    from aiokafka.codec import has_lz4

    if not has_lz4():
        return "aiokafka has no lz4 or zstd codec here: `.venv/bin/pip install cramjam` first"
    return None


def quix_available() -> str | None:
    """Why the quixstreams row is skipped, or None when it can run."""
    probe = subprocess.run(
        [sys.executable, "-c", "import quixstreams"],
        env={"PYTHONPATH": str(QUIX_LIB)}, capture_output=True, check=False,
    )  # fmt: skip
    if probe.returncode != 0:
        return (
            "quixstreams is not importable: install it apart with "
            "`.venv/bin/pip install --target .state/quix-lib quixstreams`"
        )
    return None


# -- the table -----------------------------------------------------------------------------


def median(runs: int, once: Callable[[], Result], label: str) -> Result:
    results = []
    for i in range(runs):
        bench.say(f"{label}: run {i + 1}/{runs}")
        result = once()
        bench.say(f"{label}: {result.rate:,.0f} events/s over {result.seconds:.1f} s, "
                  f"{result.alerts} alerts")  # fmt: skip
        results.append(result)
    return sorted(results, key=lambda r: r.rate)[len(results) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench.add_broker_options(parser)
    parser.add_argument("--quick", action="store_true", help="3,000 events, one run per row")
    parser.add_argument(
        "--events", type=int, help="N events of the stream (60,000; 0: all 227,175)"
    )
    parser.add_argument(
        "--start",
        type=float,
        default=0.4,
        help="where --events starts, as a fraction of the stream (0.4)",
    )
    parser.add_argument("--runs", type=int, help="runs per row, median (default 3; quick 1)")
    parser.add_argument(
        "--profile",
        type=Path,
        help="one worker run under pyinstrument, its report written here (the three rules; "
        "the whole library with --rows library)",
    )
    parser.add_argument(
        "--rows",
        default="w1,w2,aiokafka,quix",
        help="w1,w2 (workers), aiokafka, quix, library (1 worker, all rules), "
        f"levers: {','.join([*LEVERS, *DRIFTS])}",
    )
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    count = args.events if args.events is not None else (3_000 if args.quick else 60_000)
    count = count or None
    stream = bench.wire(args.people).part(count, args.start)
    rows = args.rows.split(",")
    header = (
        f"{bench.machine()}; {len(stream.records):,} events ({args.people:,} people), "
        f"{args.partitions} partitions, lateness {stream.lateness}, median of {runs}"
    )
    bench.say(header)
    three = bench.THREE_RULES
    plans: dict[str, tuple[str, Callable[[bench.Settings], Result]]] = {
        "w1": ("worker x1, 3 rules", lambda s: worker_run(s, stream, 1, three)),
        "w2": ("worker x2, 3 rules", lambda s: worker_run(s, stream, 2, three)),
        "library": ("worker x1, library", lambda s: worker_run(s, stream, 1, None)),
        "aiokafka": ("aiokafka + rocksdict", lambda s: baseline_run(s, stream, KAFKA)),
        "quix": ("quixstreams", lambda s: baseline_run(s, stream, QUIX, QUIX_LIB)),
    }
    for name, lever in LEVERS.items():
        plans[name] = (
            f"worker x1, 3 rules, {name}",
            lambda s, lever=lever: worker_run(s, stream, 1, three, faust=lever),  # type: ignore[misc]
        )
    for name, drift in DRIFTS.items():
        plans[name] = (
            f"worker x1, 3 rules, drift {drift}",
            lambda s, drift=drift: worker_run(s, stream, 1, three, drift=drift),  # type: ignore[misc]
        )
    results: dict[str, Result] = {}
    with bench.broker(args) as settings:
        if args.profile:
            worker_run(settings, stream, 1, None if "library" in rows else three, args.profile)
            return
        for row in rows:
            label, plan = plans[row]
            if row == "quix" and (why := quix_available()) is not None:
                bench.say(f"{label}: skipped, {why}")
                continue
            if row in ("lz4", "zstd") and (why := codec_missing()) is not None:
                bench.say(f"{label}: skipped, {why}")
                continue
            results[row] = median(runs, lambda: plan(settings), label)  # noqa: B023
    print(f"\n{header}\n")
    print(render(results, {row: label for row, (label, _) in plans.items()}))


def render(results: dict[str, Result], labels: dict[str, str]) -> str:
    base = results.get("aiokafka")
    rows = []
    for row, r in results.items():
        ratio = f"{r.rate / base.rate:.2f}" if base else "-"
        rows.append([
            labels[row], f"{r.rate:,.0f}", f"{r.seconds:.1f}", ratio, f"{r.alerts:,}",
            f"{r.late:,}", f"{r.consumer_cpu:.1f}", f"{r.broker_cpu:.1f}", f"{r.rss_mib:.0f}",
        ])  # fmt: skip
    header = ["row", "events/s", "seconds", "vs aiokafka", "alerts", "late", "consumer CPU s",
              "broker CPU s", "RSS MiB"]  # fmt: skip
    return bench.table(header, rows)


if __name__ == "__main__":
    main()
