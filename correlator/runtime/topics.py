"""Topic names and their creation on the cluster.

Topics are created explicitly, with the configured partition count, before any worker starts:
the broker does not auto-create topics, and Faust requires a table's source topic and its
changelog to have the same number of partitions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from correlator.errors import BrokerError
from correlator.model.event import Domain
from correlator.runtime.connectivity import start_client
from correlator.runtime.security import aiokafka_options
from correlator.settings import Settings

DOMAINS: tuple[Domain, ...] = (
    "access", "video", "ids", "firewall", "vpn", "auth", "network", "dhcp",
)  # fmt: skip


CONTROL_RECORD_BYTES = 64 * 1024 * 1024
"""Largest record on the ``directory`` and ``rules`` topics. The directory is one record:
an organisation of a few thousand people is already above Kafka's 1 MB default."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False
    config: dict[str, str] = field(default_factory=dict)


def event_topic(settings: Settings, domain: str) -> str:
    return settings.topic(f"events.{domain}")


def standard_topics(settings: Settings) -> list[TopicSpec]:
    """Every topic the connectors and workers share."""
    parts = settings.partitions
    large = {"max.message.bytes": str(CONTROL_RECORD_BYTES)}
    specs = [TopicSpec(event_topic(settings, d), parts) for d in DOMAINS]
    specs += [
        TopicSpec(settings.topic("alerts"), parts),
        TopicSpec(settings.topic("dlq"), 1),
        TopicSpec(settings.topic("late"), 1),
        TopicSpec(settings.topic("counts"), parts),
        TopicSpec(settings.topic("correlate"), parts),
        TopicSpec(settings.topic("rules"), 1, compacted=True, config=large),
        TopicSpec(settings.topic("directory"), 1, compacted=True, config=large),
    ]
    return specs


def changelog_topics(app: Any) -> list[TopicSpec]:
    """The changelog topics of a Faust app's tables, as Faust makes them.

    Made before the app starts: Faust creates them itself as its tables start, moments before
    its consumer joins the group, and a consumer whose metadata does not show them yet gets
    an assignment without them and reads nothing (seen once in a fault test's fresh run)."""
    return [
        TopicSpec(
            table.changelog_topic.get_topic_name(),
            table.partitions or app.conf.topic_partitions,
            compacted=True,
            config={k: str(v) for k, v in (table.extra_topic_configs or {}).items()},
        )
        for table in app.tables.values()
    ]


def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    return asyncio.run(_ensure(settings, list(specs)))


async def _ensure(settings: Settings, specs: list[TopicSpec]) -> list[str]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, **aiokafka_options(settings)
    )
    await start_client(admin, settings)
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if not missing:
            return []
        new = [
            NewTopic(
                s.name,
                num_partitions=s.partitions,
                replication_factor=settings.replication_factor,
                topic_configs={
                    **({"cleanup.policy": "compact"} if s.compacted else {}),
                    **s.config,
                },
            )
            for s in missing
        ]
        response = await admin.create_topics(new)
        created = []
        for name, code, *_rest in response.topic_errors:
            # 36 = TOPIC_ALREADY_EXISTS: another process created it between list and create.
            if code == TopicAlreadyExistsError.errno:
                continue
            if code != 0:
                raise BrokerError(f"creating topic {name!r} failed with Kafka error code {code}")
            created.append(name)
        await _wait_for_leaders(admin, [s.name for s in specs])
        return created
    finally:
        await admin.close()


def delete_topics(settings: Settings, prefix: str) -> int:
    """Delete every topic whose name starts with ``prefix``; returns how many."""
    if not prefix:
        raise ValueError("refusing to delete topics without a prefix")

    async def run() -> int:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.bootstrap_servers, **aiokafka_options(settings)
        )
        await start_client(admin, settings)
        try:
            names = [t for t in await admin.list_topics() if t.startswith(prefix)]
            if names:
                await admin.delete_topics(names)
            return len(names)
        finally:
            await admin.close()

    return asyncio.run(run())


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30.0
) -> None:
    """Wait until every partition of ``names`` has a leader, so the first produce succeeds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        topics = await admin.describe_topics(names)
        ready = all(
            t["error_code"] == 0 and t["partitions"]
            and all(p["error_code"] == 0 and p["leader"] >= 0 for p in t["partitions"])
            for t in topics
        )  # fmt: skip
        if ready:
            return
        if loop.time() > deadline:
            raise BrokerError(f"topics {names} have no partition leaders after {timeout:.0f}s")
        await asyncio.sleep(0.2)
