"""Two workers share identity: bindings and presence learned on one worker's partitions
resolve events and answer rule predicates on the other's.

The learning events (a DHCP lease, badge-ins and a badge-out) go to partition 0 of their
topics and the IDS alerts that need them to partition 1, with both workers in the group, so
each side is handled by a different worker. ``ids-alert-owner-absent`` must then give what
``correlator replay`` gives: Alice's laptop is found through the lease and she badged out (an
alert); Bob is badged in on the host's site (no alert, which a stale presence would give).
Both workers handle an event before the learning starts, so neither could have loaded the
learned state when it started.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from correlator import serde
from correlator.model.event import Actor, Endpoint, Event, Place, Source
from correlator.runtime.correlating import APP_ID
from correlator.runtime.topics import event_topic
from correlator.settings import Settings
from tests.integration.kafka import WorkerProcess, client_options
from tests.integration.test_worker_faults import rules_dir
from tests.integration.workers import (
    PATIENCE,
    heartbeat,
    prepare,
    replay_ids,
    send_events,
    wait_alerts,
    wait_consumed,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SOURCE = Source(connector="gen", format="test")

DIRECTORY = """\
version: 1
sites:
  - {id: hq, country: FR, latitude: 48.85, longitude: 2.35, timezone: Europe/Paris,
     networks: [{cidr: 10.1.0.0/16, kind: office}]}
doors:
  - {id: hq-main, site: hq, direction: in, perimeter: true, readers: [rdr-hq-main]}
  - {id: hq-exit, site: hq, direction: out, perimeter: true, readers: [rdr-hq-exit]}
people:
  - {id: alice, name: Alice Martin, home_site: hq, credentials: [{badge: "1001"}]}
  - {id: bob, name: Bob Durand, home_site: hq, credentials: [{badge: "1002"}]}
assets:
  - {id: ws-alice, macs: ["00:11:22:33:44:01"], owner: alice, site: hq}
  - {id: ws-bob, ips: [10.1.5.20], owner: bob, site: hq}
"""


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def badge(n: str, credential: str, door: str, hours: float) -> Event:
    return Event(
        id=f"badge-{n}", time=at(hours), ingest_time=at(hours), source=SOURCE, domain="access",
        activity="access_granted", outcome="success", actor=Actor(credential=credential),
        location=Place(door=door),
    )  # fmt: skip


def learning() -> list[Event]:
    lease = Event(
        id="lease-1", time=at(0), ingest_time=at(0), source=SOURCE, domain="dhcp",
        activity="lease", src=Endpoint(ip="10.1.7.7", mac="00:11:22:33:44:01"),
        attrs={"lease_seconds": 36000},
    )  # fmt: skip
    return [
        lease,
        badge("1", "1001", "hq-main", 1),
        badge("2", "1002", "hq-main", 1.5),
        badge("3", "1001", "hq-exit", 3),
    ]


def dependent() -> list[Event]:
    def ids(n: str, src: str, hours: float) -> Event:
        return Event(
            id=f"ids-{n}", time=at(hours), ingest_time=at(hours), source=SOURCE, domain="ids",
            activity="alert", severity="high", src=Endpoint(ip=src),
            dst=Endpoint(ip="198.51.100.7"), attrs={"signature": "test"},
        )  # fmt: skip

    return [ids("alice", "10.1.7.7", 4), ids("bob", "10.1.5.20", 4.5)]


def send_to(settings: Settings, partition: int, events: list[Event]) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(**client_options(settings))
        await producer.start()
        try:
            for event in events:
                topic = event_topic(settings, event.domain)
                value = serde.encode_model(event)
                await producer.send(topic, value, key=b"k", partition=partition)
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(run())


def wait_members(settings: Settings, count: int, timeout: float = PATIENCE) -> None:
    """Until the workers' group is stable with ``count`` members (each owns partitions)."""

    async def run() -> None:
        admin = AIOKafkaAdminClient(**client_options(settings))
        await admin.start()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    (response,) = await admin.describe_consumer_groups([settings.topic(APP_ID)])
                except KafkaError:  # no coordinator for the group yet: the workers are starting
                    response = None
                # groups: (error_code, group_id, state, protocol_type, protocol, members, ...)
                group = response.groups[0] if response is not None else None
                if group is not None and group[2] == "Stable" and len(group[5]) == count:
                    return
                await asyncio.sleep(0.5)
            raise AssertionError(f"the group did not reach {count} members within {timeout}s")
        finally:
            await admin.close()

    asyncio.run(run())


def test_two_workers_share_bindings_and_presence(kafka_settings: Settings, tmp_path: Path) -> None:
    assert kafka_settings.partitions == 2
    settings = kafka_settings.model_copy(update={"lateness": "1d"})
    other = settings.model_copy(update={"state_dir": tmp_path / "state-2"})
    directory = tmp_path / "directory.yaml"
    directory.write_text(DIRECTORY)
    rules = rules_dir(tmp_path, "ids-alert-owner-absent")
    prepare(settings, [rules], directory)
    events = tmp_path / "events.jsonl"
    # Each worker handles an event first, so both hold their identity before any learning.
    warmup = [heartbeat(at(0), n) for n in (1, 2)]
    ordered = warmup + learning() + dependent()
    events.write_bytes(b"\n".join(serde.encode_model(e) for e in ordered))
    want = replay_ids(tmp_path, rules, directory, str(events))
    assert len(want) == 1  # Alice's laptop; Bob is on site

    one = WorkerProcess(settings, tmp_path / "worker-1.log")
    two = WorkerProcess(other, tmp_path / "worker-2.log")
    try:
        wait_members(settings, 2)
        send_to(settings, 0, warmup[:1])
        send_to(settings, 1, warmup[1:])
        wait_consumed(settings)
        send_to(settings, 0, learning())
        wait_consumed(settings)
        send_to(settings, 1, dependent())
        wait_consumed(settings)
        send_events(settings, [heartbeat(at(48))])
        got = wait_alerts(settings, want)
        wait_consumed(settings)
    finally:
        one.stop()
        two.stop()
    logs = one.output() + two.output()
    assert set(got) == want, logs
    assert len(got) == 1, logs  # Bob's alert would come from a presence the worker never saw
