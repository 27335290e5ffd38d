"""Helpers for the connector integration tests: records, a connector child process, reads."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from correlator import serde
from correlator.settings import Settings
from tests.integration.kafka import client_options, settings_env

BAD = b'{"timestamp": "2024-05-06T08:00:01Z", "event_type": "flow", oops\x1b[2J'
"""A malformed Suricata record (broken JSON with an ESC sequence in it)."""


def flow(n: int, host: str = "ids-1") -> bytes:
    """A valid Suricata EVE flow record, distinct per ``n`` (so its event id is too)."""
    return serde.dumps(
        {
            "timestamp": f"2024-05-06T08:{n // 60 % 60:02d}:{n % 60:02d}.000000+0000",
            "flow_id": n,
            "event_type": "flow",
            "host": host,
            "src_ip": "10.0.0.1",
            "src_port": 1024 + n % 60000,
            "dest_ip": "10.0.0.2",
            "dest_port": 80,
            "proto": "TCP",
        }
    )


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Connector:
    """A ``correlator connect`` child process, its output in a log file."""

    def __init__(
        self, settings: Settings, log: Path, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.log = log
        command = [sys.executable, "-m", "correlator.cli", "connect", "--loglevel", "info", *args]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env={**settings_env(settings), **(env or {})}, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self._ready_seen = self.output().count(" ready: ")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the connector says it listens (or reads), or it died."""
        deadline = time.monotonic() + timeout
        while self.output().count(" ready: ") <= self._ready_seen:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"connector not ready:\n{self.output()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, and the exit code (SIGKILL if it does not stop)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def wait(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def read_all(settings: Settings, topic: str) -> list[dict[str, Any]]:
    """Every value on ``topic`` right now, read to the end offsets of all partitions."""

    async def run() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            auto_offset_reset="earliest", group_id=None, **client_options(settings)
        )
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in await partitions(settings, topic)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            values: list[dict[str, Any]] = []
            while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    values.extend(serde.loads(r.value) for r in batch)
            return values
        finally:
            await consumer.stop()

    return asyncio.run(run())


async def partitions(settings: Settings, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return [p["partition"] for p in described["partitions"]]
    finally:
        await admin.close()


def wait_for(
    settings: Settings,
    topic: str,
    done: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 60.0,
) -> list[dict[str, Any]]:
    """Values of ``topic`` as JSON, read from the start until ``done(values)``.

    ``done`` runs after every fetch: make it cheap (check a count before building sets).
    """

    async def run() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            topic, auto_offset_reset="earliest", group_id=None, **client_options(settings)
        )
        await consumer.start()
        values: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        try:
            while not done(values):
                if time.monotonic() > deadline:
                    raise AssertionError(f"{topic}: condition not met; {len(values)} values")
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    values.extend(serde.loads(r.value) for r in batch)
        finally:
            await consumer.stop()
        return values

    return asyncio.run(run())
