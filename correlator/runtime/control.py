"""Rules and directory on Kafka: published by the CLI, followed by every worker.

Both live in compacted single-partition topics. ``rules``: key = rule id, value =
``{"id", "file", "yaml"}`` (the rule file's text), a tombstone removes the rule.
``directory``: key ``b"directory"``, value = the directory as JSON. Publishers validate
first and publish nothing when anything is invalid; workers validate again, so a record
written by other means never reaches an engine: it is skipped and reported.

A worker reads both topics from the beginning without a consumer group (every worker needs
all of it) and keeps following them; :class:`Published` holds the current content and a
version that changes whenever the content does, which the agents check per record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from correlator import serde
from correlator.core.rules import checks
from correlator.core.rules.errors import RuleError, loc_text
from correlator.core.rules.loader import RuleFile
from correlator.core.rules.model import Rule
from correlator.identity.directory import Directory
from correlator.model.deadletter import kafka_position
from correlator.runtime.security import aiokafka_options
from correlator.runtime.topics import CONTROL_RECORD_BYTES
from correlator.settings import Settings

DIRECTORY_KEY = b"directory"

OnInvalid = Callable[[str, bytes, str], None]
"""Called with the topic position, the raw record and the reason for a record skipped."""


def parse_rule(rule_id: str, text: str) -> Rule:
    """A published rule, validated like a rule file; :class:`RuleError` lists the problems."""
    where = f"rules topic, rule {rule_id!r}"
    try:
        data = yaml.safe_load(text)
        rule = Rule.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise RuleError([f"{where}: {exc}"]) from exc
    problems = [f"{where} {loc_text(p.loc)}: {p.message}" for p in checks.check(rule)]
    if rule.id != rule_id:
        problems.append(f"{where}: the text says id {rule.id!r}; publish it under that id")
    if problems:
        raise RuleError(problems)
    return rule


def rule_record(loaded: RuleFile) -> tuple[bytes, bytes]:
    text = loaded.path.read_text(encoding="utf-8")
    value = {"id": loaded.rule.id, "file": loaded.path.name, "yaml": text}
    return loaded.rule.id.encode(), serde.dumps(value)


@dataclass
class Published:
    """What the ``rules`` and ``directory`` topics hold now, as a worker sees it."""

    rules: dict[str, Rule] = field(default_factory=dict)
    directory: Directory | None = None
    version: int = 0
    ids: set[str] = field(default_factory=set)
    """Every rule id with a record on the topic, valid or not (``publish`` tombstones the rest)."""
    _raw_rules: dict[str, bytes] = field(default_factory=dict)
    _raw_directory: bytes | None = None

    def apply(self, directory: bool, position: str, key: bytes | None, value: bytes | None,
              on_invalid: OnInvalid) -> None:  # fmt: skip
        """Take one record; bump the version when the content changed."""
        name = (key or b"").decode(errors="replace")
        if not directory:
            (self.ids.add if value is not None else self.ids.discard)(name)
        try:
            if directory:
                self._apply_directory(value)
            else:
                self._apply_rule(name, value)
        except Exception as exc:  # an invalid record is skipped; the last good content stays
            on_invalid(position, value or b"", f"{type(exc).__name__}: {exc}")

    def _apply_rule(self, rule_id: str, value: bytes | None) -> None:
        if value is None:
            if self._raw_rules.pop(rule_id, None) is not None:
                del self.rules[rule_id]
                self.version += 1
            return
        if self._raw_rules.get(rule_id) == value:
            return
        record = serde.loads(value)
        self.rules[rule_id] = parse_rule(rule_id, str(record["yaml"]))
        self._raw_rules[rule_id] = value
        self.version += 1

    def _apply_directory(self, value: bytes | None) -> None:
        if value == self._raw_directory:
            return
        directory = None if value is None else Directory.model_validate_json(value)
        if directory is not None:
            from correlator.identity.resolver import Identity

            Identity(directory)  # raises DirectoryError when the checks fail
        self.directory, self._raw_directory = directory, value
        self.version += 1


class Follower:
    """Reads the ``rules`` and ``directory`` topics into a :class:`Published`."""

    def __init__(self, settings: Settings, published: Published, on_invalid: OnInvalid) -> None:
        self._settings = settings
        self.published = published
        self._on_invalid = on_invalid
        self._topics = [settings.topic("rules"), settings.topic("directory")]

    async def run(self, caught_up: asyncio.Event, interval: float = 1.0) -> None:
        """Read to the end (then set ``caught_up``), and keep following until cancelled."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            max_partition_fetch_bytes=CONTROL_RECORD_BYTES,
            **aiokafka_options(self._settings),
        )
        await consumer.start()
        try:
            parts = [TopicPartition(t, 0) for t in self._topics]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            while True:
                batch = await consumer.getmany(timeout_ms=int(interval * 1000))
                for tp, records in batch.items():
                    for r in records:
                        where = kafka_position(tp.topic, tp.partition, r.offset)
                        is_dir = tp.topic == self._topics[1]
                        self.published.apply(is_dir, where, r.key, r.value, self._on_invalid)
                if not caught_up.is_set() and await _at_end(consumer, ends):
                    caught_up.set()
        finally:
            await consumer.stop()


async def _at_end(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


def publish(settings: Settings, topic: str, records: Iterable[tuple[bytes, bytes | None]]) -> None:
    """Send ``records`` to ``topic`` and wait until the broker has them all."""

    async def run() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers, acks="all",
            max_request_size=CONTROL_RECORD_BYTES, **aiokafka_options(settings),
        )  # fmt: skip
        await producer.start()
        try:
            sent = [await producer.send(topic, value, key=key) for key, value in records]
            await producer.flush()
            for future in sent:
                await future
        finally:
            await producer.stop()

    asyncio.run(run())


def published_rule_ids(settings: Settings) -> set[str]:
    """Ids of the rules currently on the ``rules`` topic (tombstoned ones excluded)."""
    published = Published()

    async def run() -> None:
        caught_up = asyncio.Event()
        follower = Follower(settings, published, lambda *_: None)
        task = asyncio.create_task(follower.run(caught_up, interval=0.2))
        try:
            await asyncio.wait_for(caught_up.wait(), timeout=30)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run())
    return set(published.ids)


def directory_record(path: Path) -> tuple[bytes, bytes]:
    from correlator.identity.loader import load_directory

    directory = load_directory(path)
    return DIRECTORY_KEY, serde.dumps(directory.model_dump(mode="json"))
