"""Small synchronous helpers over aiokafka for integration tests, and worker processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from correlator.runtime.security import aiokafka_options
from correlator.settings import Settings

Broker = str | Settings
"""Where to connect: bootstrap servers (plaintext), or settings (servers and security)."""


def client_options(broker: Broker) -> dict[str, Any]:
    """``bootstrap_servers`` plus the security options when ``broker`` is Settings."""
    if isinstance(broker, Settings):
        return {"bootstrap_servers": broker.bootstrap_servers, **aiokafka_options(broker)}
    return {"bootstrap_servers": broker}


def security_env(settings: Settings) -> dict[str, str]:
    """The ``CORRELATOR_KAFKA_*`` variables that give a child process the same security."""
    allow = "true" if settings.kafka_allow_plaintext_sasl else "false"
    env = {
        "CORRELATOR_KAFKA_SECURITY_PROTOCOL": settings.kafka_security_protocol,
        "CORRELATOR_KAFKA_SASL_MECHANISM": settings.kafka_sasl_mechanism,
        "CORRELATOR_KAFKA_ALLOW_PLAINTEXT_SASL": allow,
    }
    password = settings.kafka_password.get_secret_value() if settings.kafka_password else None
    optional = {
        "CORRELATOR_KAFKA_USERNAME": settings.kafka_username,
        "CORRELATOR_KAFKA_PASSWORD": password,
        "CORRELATOR_KAFKA_CA_FILE": settings.kafka_ca_file,
        "CORRELATOR_KAFKA_CERT_FILE": settings.kafka_cert_file,
        "CORRELATOR_KAFKA_KEY_FILE": settings.kafka_key_file,
    }
    env.update({name: str(value) for name, value in optional.items() if value is not None})
    return env


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child ``correlator`` process use ``settings``."""
    env = dict(os.environ)
    env.update(
        CORRELATOR_BOOTSTRAP_SERVERS=settings.bootstrap_servers,
        CORRELATOR_TOPIC_PREFIX=settings.topic_prefix,
        CORRELATOR_STATE_DIR=str(settings.state_dir),
        CORRELATOR_PARTITIONS=str(settings.partitions),
        **security_env(settings),
        CORRELATOR_LATENESS=settings.lateness,
        CORRELATOR_ALIGN_DRIFT=settings.align_drift,
        CORRELATOR_TICK_INTERVAL=str(settings.tick_interval),
    )
    return env


Records = Iterable[tuple[bytes | None, bytes]]


def produce(broker: Broker, topic: str, records: Records) -> None:
    produce_topics(broker, {topic: records})


def produce_topics(broker: Broker, by_topic: Mapping[str, Records]) -> None:
    """Every topic's records, by one producer."""

    async def run() -> None:
        producer = AIOKafkaProducer(linger_ms=5, **client_options(broker))
        await producer.start()
        try:
            for topic, records in by_topic.items():
                for key, value in records:
                    await producer.send(topic, value, key=key)
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(run())


def consume_until(
    broker: Broker,
    topic: str,
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout: float = 60.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``topic`` from the beginning until ``done(records)`` or the timeout."""

    async def run() -> list[ConsumerRecord[bytes, bytes]]:
        consumer = AIOKafkaConsumer(
            topic, auto_offset_reset="earliest", group_id=None, **client_options(broker)
        )
        await consumer.start()
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout
        try:
            while not done(records) and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                for part in batch.values():
                    records.extend(part)
        finally:
            await consumer.stop()
        return records

    return asyncio.run(run())


class WorkerProcess:
    """A ``correlator worker`` child process with its output in a log file."""

    def __init__(self, settings: Settings, log: Path, *args: str) -> None:
        self.log = log
        command = [sys.executable, "-m", "correlator.cli", "worker", "--loglevel", "info", *args]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=settings_env(settings), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """``kill -9``: no shutdown, no commit, no leaving the group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")
