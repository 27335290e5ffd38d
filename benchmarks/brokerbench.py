"""Shared parts of the broker benchmarks: the broker, a run's topics, the stream on the wire,
worker processes, and reading what came out.

Each run takes a fresh topic prefix (``bench.<run>.``), so offsets, consumer groups and table
changelogs never carry over between runs; the prefix's topics and its workers' local state
are deleted when the run ends (logs stay under ``.state/bench-broker/logs``). The broker is
the local one (``correlator.localbroker``) on ports 19460/19461 with its state under
``.state/bench-broker/`` unless ``--bootstrap`` names another; a broker this module
started is stopped again at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from correlator import serde
from correlator.localbroker import LocalBroker
from correlator.model import Event, Source
from correlator.runtime.alertwatch import behind as behind
from correlator.runtime.correlating import APP_ID
from correlator.runtime.topics import DOMAINS as DOMAINS
from correlator.runtime.topics import TopicSpec, delete_topics, ensure_topics, standard_topics
from correlator.runtime.topics import event_topic as event_topic
from correlator.settings import Settings as Settings
from correlator.sim import Scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from core_throughput import CACHE, prepare
from core_throughput import ROOT as ROOT

BROKER_PORT = 19460
STATE = ROOT / ".state" / "bench-broker"
RULES = ROOT / "rules"
THREE_RULES = ("badge-in-remote-login", "tailgating", "bruteforce-success-while-absent")
DIRECTORY_MAX_BYTES = 64 << 20
"""The simulated directory of 20,000 people is ~12 MB of JSON: one record, above the broker's
default 1 MB limit, so the benchmark's directory topic allows more."""


def add_broker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap", help="use this broker instead of starting the local one")
    parser.add_argument("--partitions", type=int, default=4, help="per topic (default 4)")
    parser.add_argument("--people", type=int, default=20_000, help="simulated people (20,000)")


def machine() -> str:
    """Cores, memory and load, for the header of every table."""
    with open("/proc/meminfo") as info:
        total_kb = int(info.readline().split()[1])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{total_kb / 2**20:.0f} GiB, python {platform.python_version()}, load {load}"
    )


def say(text: str) -> None:
    """Progress lines go to stderr, so the tables on stdout stay clean."""
    print(f"[{datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


# -- broker and topics ---------------------------------------------------------------------


@contextmanager
def broker(args: argparse.Namespace) -> Iterator[Settings]:
    """Settings for the benchmark broker; the local one is started (and stopped) if needed."""
    settings = Settings(
        bootstrap_servers=args.bootstrap or f"127.0.0.1:{BROKER_PORT}",
        state_dir=STATE,
        broker_port=BROKER_PORT,
        broker_controller_port=BROKER_PORT + 1,
        broker_heap="1g",
        partitions=args.partitions,
    )
    local = None if args.bootstrap else LocalBroker(settings)
    started = local is not None and local.pid() is None
    if local is not None:
        say(local.start().describe())
    try:
        yield settings
    finally:
        if local is not None and started:
            local.stop()
            say("broker stopped")


@contextmanager
def run_topics(settings: Settings, label: str) -> Iterator[Settings]:
    """A fresh topic prefix for one run, its topics created, deleted again afterwards."""
    prefix = f"bench.{label}.{datetime.now(UTC):%H%M%S%f}."
    run = settings.model_copy(update={"topic_prefix": prefix})
    directory = TopicSpec(
        run.topic("directory"), 1, compacted=True,
        config={"max.message.bytes": str(DIRECTORY_MAX_BYTES)},
    )  # fmt: skip
    others = [s for s in standard_topics(run) if s.name != directory.name]
    ensure_topics(run, [directory, *others])
    try:
        yield run
    finally:
        try:
            delete_topics(settings, prefix)
        except KafkaError as exc:
            say(f"could not delete the topics of {prefix}: {exc}")
        for local in (STATE / "workers" / prefix, STATE / "baselines" / prefix):
            shutil.rmtree(local, ignore_errors=True)


# -- the stream on the wire ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wire:
    """The simulator stream as connectors put it on Kafka: per event its domain, its message
    key (site, else device host, else connector name) and its Event JSON."""

    records: list[tuple[str, bytes, bytes]]
    directory: bytes
    """The directory record's value (JSON)."""
    directory_path: Path
    lateness: str

    def part(self, count: int | None, start: float = 0.0) -> Wire:
        """``count`` records from ``start`` (a fraction of the stream: 0.4 is mid-morning,
        when badges, logons and alerts are dense)."""
        if count is None or count >= len(self.records):
            return self
        first = min(int(len(self.records) * start), len(self.records) - count)
        records = self.records[first : first + count]
        return Wire(records, self.directory, self.directory_path, self.lateness)


def message_key(event: Event) -> bytes:
    site = event.location.site if event.location is not None else None
    return (site or event.source.host or event.source.connector).encode()


def wire(people: int) -> Wire:
    """The stream of ``people`` (seed 1, 6 sites, 24 h), encoded once and cached."""
    scenario = Scenario(seed=1, people=people, sites=6, hours=24)
    name = f"sim-s{scenario.seed}-p{scenario.people}-x{scenario.sites}-h{scenario.hours}"
    cached = CACHE / name / "wire.pickle"
    if not cached.is_file():
        say(f"encoding the {name} stream for the wire (once; cached in {cached})")
        prepared = prepare(scenario)
        records = [(e.domain, message_key(e), serde.encode_model(e)) for e in prepared.events]
        directory = serde.dumps(prepared.directory.model_dump(mode="json"))
        lateness = f"{int(prepared.lateness.total_seconds())}s"
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps((records, directory, lateness), pickle.HIGHEST_PROTOCOL))
        tmp.rename(cached)
    records, directory, lateness = pickle.loads(cached.read_bytes())
    return Wire(records, directory, CACHE / name / "directory.json", lateness)


async def produce(settings: Settings, records: Sequence[tuple[str, bytes, bytes]]) -> float:
    """Send every record to its ``events.<domain>`` topic in stream order; CPU seconds spent."""
    started = time.process_time()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, linger_ms=20, max_batch_size=512 * 1024
    )
    await producer.start()
    try:
        topics: dict[str, str] = {d: event_topic(settings, d) for d in DOMAINS}
        for domain, key, value in records:
            await producer.send(topics[domain], value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return time.process_time() - started


def publish(settings: Settings, stream: Wire, rule_ids: Sequence[str] | None) -> None:
    """The rules (all, or ``rule_ids``) and the directory, as the CLI publishes them."""
    from correlator.core.rules import load_rules
    from correlator.runtime.control import DIRECTORY_KEY, rule_record

    loaded = [r for r in load_rules([RULES]) if rule_ids is None or r.rule.id in rule_ids]
    rules = [rule_record(r) for r in loaded]

    async def run() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers, acks="all",
            max_request_size=DIRECTORY_MAX_BYTES,
        )  # fmt: skip
        await producer.start()
        try:
            for key, value in rules:
                await producer.send_and_wait(settings.topic("rules"), value, key=key)
            directory = settings.topic("directory")
            await producer.send_and_wait(directory, stream.directory, key=DIRECTORY_KEY)
        finally:
            await producer.stop()

    asyncio.run(run())


async def clock(settings: Settings, when: datetime) -> None:
    """An event no rule uses, far ahead in event time: every watermark passes the data."""
    source = Source(connector="bench-clock", format="bench")
    event = Event(id=f"bench-clock-{when:%Y%m%d%H%M%S}", time=when, ingest_time=datetime.now(UTC),
                  source=source, domain="network", activity="heartbeat")  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    await producer.start()
    try:
        topic = event_topic(settings, "network")
        await producer.send_and_wait(topic, serde.encode_model(event), key=b"bench-clock")
    finally:
        await producer.stop()


# -- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is not None and not name.startswith("kafka_password"):
            env[f"CORRELATOR_{name.upper()}"] = str(value)
    return env


@dataclass
class Child:
    """A child process in its own session, with its output in a log file."""

    process: subprocess.Popen[bytes]
    log: Path
    metrics_url: str | None = None
    cpu_at_start: float = 0.0

    @classmethod
    def start(cls, command: list[str], env: dict[str, str], log: Path,
              metrics_url: str | None = None) -> Child:  # fmt: skip
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)  # fmt: skip
        return cls(process, log, metrics_url)

    def alive(self) -> bool:
        return self.process.poll() is None

    def check(self) -> None:
        if not self.alive():
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.log.name}: exited with {self.process.returncode}\n{tail}")

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def rss_mib(self) -> float:
        return rss_mib(self.process.pid)

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def broker_pid(settings: Settings) -> int | None:
    return LocalBroker(settings).pid()


def start_worker(settings: Settings, index: int, extra: dict[str, str] | None = None,
                 command: list[str] | None = None) -> Child:  # fmt: skip
    """A ``correlator worker`` with its own state directory and metrics port."""
    port = free_port()
    worker_settings = settings.model_copy(
        update={
            "state_dir": STATE / "workers" / settings.topic_prefix / str(index),
            "metrics_port": port,
        }
    )
    env = settings_env(worker_settings)
    env.update(extra or {})
    argv = command or [sys.executable, "-m", "correlator.cli", "worker", "--loglevel", "warning"]
    log = STATE / "logs" / f"{settings.topic_prefix}worker-{index}.log"
    return Child.start(argv, env, log, f"http://127.0.0.1:{port}")


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode())
    except OSError:
        return None


_EVENTS_IN = re.compile(r"^correlator_worker_events_in_total\{[^}]*\} (\S+)$", re.MULTILINE)


def events_in(worker: Child) -> int:
    """Records the worker's resolve stage has read (from its /metrics)."""
    text = fetch(f"{worker.metrics_url}/metrics") or ""
    return int(sum(float(v) for v in _EVENTS_IN.findall(text)))


async def members(settings: Settings, group: str) -> tuple[str | None, int]:
    """The consumer group's state and member count."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        for response in await admin.describe_consumer_groups([group]):
            for described in response.groups:
                state = str(described[2]) if described[2] else None
                return state, len(described[5])
        return None, 0
    finally:
        await admin.close()


async def until_ready(settings: Settings, workers: Sequence[Child], group: str,
                      timeout: float = 180.0) -> None:  # fmt: skip
    """Until every worker answers /readyz and the group is Stable with all of them."""
    deadline = time.monotonic() + timeout
    while True:
        for worker in workers:
            worker.check()
        urls = [f"{w.metrics_url}/readyz" for w in workers if w.metrics_url is not None]
        answers = [await asyncio.to_thread(fetch, url) for url in urls]
        if all(answer is not None for answer in answers):
            state, count = await members(settings, group)
            if state == "Stable" and count == len(workers):
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers not ready after {timeout:.0f}s (group {group})")
        await asyncio.sleep(0.5)


def worker_group(settings: Settings) -> str:
    return settings.topic(APP_ID)


def changelog(settings: Settings) -> str:
    """The changelog topic of the workers' engine table (Faust names it after app and table)."""
    return f"{settings.topic(APP_ID)}-engine-changelog"


# -- what came out -------------------------------------------------------------------------


@dataclass
class Output:
    """Records of one topic: count and Kafka timestamps (ms), kept as they arrive."""

    count: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    last_arrival: float = field(default_factory=time.monotonic)
    values: list[tuple[int, bytes]] = field(default_factory=list)
    keep_values: bool = False


async def watch(settings: Settings, topic: str, out: Output, stop: asyncio.Event) -> None:
    """Read ``topic`` from the beginning into ``out`` until ``stop``."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.bootstrap_servers, group_id=None,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for r in records:
                    out.count += 1
                    out.first_ms = r.timestamp if out.first_ms is None else out.first_ms
                    out.first_ms = min(out.first_ms, r.timestamp)
                    out.last_ms = max(out.last_ms or 0, r.timestamp)
                    out.last_arrival = time.monotonic()
                    if out.keep_values and r.value is not None:
                        out.values.append((r.timestamp, r.value))
    finally:
        await consumer.stop()


def event_topics(settings: Settings) -> list[str]:
    return [event_topic(settings, d) for d in DOMAINS]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; columns after the first are right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join(
        "-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)
    )
    out = [line, rule + "|"]
    for row in rows:
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                 enumerate(zip(row, widths, strict=True))]  # fmt: skip
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)
