"""Connector throughput into a real broker: records/s per transport, clean and 1% bad.

Suricata EVE records (``tests/badinput.py`` valid records, about 180 bytes each) go through
the connector's own transport code in this process, into Kafka with ``acks=all``:

- ``file``: :class:`FileTail` reads a file to its end (``--once``), position saved per chunk;
- ``syslog+tcp``: :class:`SyslogTcp` reads one connection, newline framing; the sender is a
  thread writing the whole stream.

A run is timed from the first byte read (or sent) until the broker acknowledged the last
record (``Delivery.send`` returns only then); the connector's CPU time per record (this
process: parsing, framing, the Kafka client; not the broker) is shown too, as it is far less
noisy than wall time on a shared machine (per-record costs of parsing and dead letters,
without the broker: ``parse_throughput.py``). Each row is the median of ``--runs`` runs, clean
and 1%-bad runs in turn; every 100th record of the 1%-bad runs is a bad-input corpus record
(all kinds except the 10 MB one, which would make the file a gigabyte).

The broker: ``--bootstrap HOST:PORT``, or a local one started here on port 19430 (state in
``.state/bench-connectors``) and stopped at the end.

    .venv/bin/python benchmarks/connector_throughput.py [--quick] [--records N] [--runs R]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from correlator_connectors.formats import get_parser
from correlator_connectors.parsers.base import Parser
from correlator_connectors.transports.delivery import Delivery, Outcome, Record
from correlator_connectors.transports.files import FileTail
from correlator_connectors.transports.positions import PositionStore
from correlator_connectors.transports.syslog import SyslogTcp

from correlator.localbroker import LocalBroker
from correlator.runtime.topics import ensure_topics, standard_topics
from correlator.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the bad-input corpus lives with the tests

from tests.badinput import bad_cases, valid  # noqa: E402  (needs the path above)

FORMAT = "suricata"
BAD_EVERY = 100
PORT = 19430


class Counting(Delivery):
    """A delivery that says when ``expect`` records have been acknowledged."""

    def __init__(self, settings: Settings, name: str, expect: int) -> None:
        super().__init__(settings, name, FORMAT)
        self.expect = expect
        self.records = 0
        self.done = asyncio.Event()

    async def send(self, parser: Parser, records: Sequence[Record], transport: str) -> Outcome:
        outcome = await super().send(parser, records, transport)
        self.records += len(records)
        if self.records >= self.expect:
            self.done.set()
        return outcome


def stream(count: int, bad: bool) -> list[bytes]:
    lines = [valid(FORMAT, n) for n in range(count)]
    if bad:
        hostile = [
            c.data for c in bad_cases(FORMAT) if c.kind != "oversize" and b"\n" not in c.data
        ]
        for n, index in enumerate(range(BAD_EVERY - 1, count, BAD_EVERY)):
            lines[index] = hostile[n % len(hostile)]
    return lines


def parsers() -> Parser:
    return get_parser(FORMAT)


async def file_run(settings: Settings, lines: list[bytes], folder: Path) -> tuple[float, float]:
    name = f"file-{uuid.uuid4().hex[:6]}"
    path = folder / f"{name}.json"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    delivery = Counting(settings, name, len(lines))
    await delivery.start()
    try:
        tail = FileTail(path, delivery, parsers, PositionStore(folder / name), once=True)
        start, cpu = time.perf_counter(), time.process_time()
        await tail.run(asyncio.Event(), lambda _: None)
        return time.perf_counter() - start, time.process_time() - cpu
    finally:
        await delivery.stop()


async def tcp_run(settings: Settings, lines: list[bytes], folder: Path) -> tuple[float, float]:
    name = f"tcp-{uuid.uuid4().hex[:6]}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    delivery = Counting(settings, name, len(lines))
    await delivery.start()
    stop, listening = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(
        SyslogTcp("127.0.0.1", port, delivery, parsers).run(stop, lambda _: listening.set())
    )
    try:
        await listening.wait()
        payload = b"".join(line + b"\n" for line in lines)
        start, cpu = time.perf_counter(), time.process_time()
        sender = threading.Thread(target=_send, args=(port, payload))
        sender.start()
        await delivery.done.wait()
        elapsed = time.perf_counter() - start, time.process_time() - cpu
        sender.join()
        return elapsed
    finally:
        stop.set()
        await server
        await delivery.stop()


def _send(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(payload)


def measure(
    settings: Settings, transport: str, count: int, runs: int, folder: Path
) -> dict[bool, tuple[float, float]]:
    """Per batch (clean, 1% bad): median records/s and median connector CPU µs per record,
    runs in turn."""
    run = file_run if transport == "file" else tcp_run
    clean, mixed = stream(count, bad=False), stream(count, bad=True)
    walls: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(runs):
        for bad, lines in ((False, clean), (True, mixed)):
            wall, cpu = asyncio.run(run(settings, lines, folder))
            walls[bad].append(wall)
            cpus[bad].append(cpu)
    return {
        bad: (count / statistics.median(walls[bad]), statistics.median(cpus[bad]) / count * 1e6)
        for bad in (False, True)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="records per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per row; medians are shown")
    parser.add_argument("--quick", action="store_true", help="10,000 records, 3 runs")
    parser.add_argument("--bootstrap", help="an existing broker (default: start one on 19430)")
    args = parser.parse_args()
    count, runs = (10_000, 3) if args.quick else (args.records, args.runs)
    local = None
    if args.bootstrap is None:
        local = LocalBroker(Settings(
            state_dir=ROOT / ".state" / "bench-connectors", broker_port=PORT,
            broker_controller_port=PORT + 1, bootstrap_servers=f"127.0.0.1:{PORT}",
        ))  # fmt: skip
        if local.pid() is None:
            local.reset()
        local.start()
    bootstrap = args.bootstrap or f"127.0.0.1:{PORT}"
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}.")
    try:
        ensure_topics(settings, standard_topics(settings))
        print(f"{count} {FORMAT} records per run, median of {runs} runs, broker {bootstrap}")
        print(
            f"{'transport':<11} {'records/s':>10} {'1% bad r/s':>11} {'drop':>6}"
            f" {'CPU µs/rec':>11} {'1% bad':>8} {'CPU +':>6}"
        )
        with tempfile.TemporaryDirectory() as folder:
            for transport in ("file", "syslog+tcp"):
                rows = measure(settings, transport, count, runs, Path(folder))
                (clean, clean_cpu), (mixed, mixed_cpu) = rows[False], rows[True]
                print(
                    f"{transport:<11} {clean:>10,.0f} {mixed:>11,.0f} {1 - mixed / clean:>6.1%}"
                    f" {clean_cpu:>11.1f} {mixed_cpu:>8.1f} {mixed_cpu / clean_cpu - 1:>6.1%}"
                )
    finally:
        if local is not None:
            local.stop()


if __name__ == "__main__":
    main()
