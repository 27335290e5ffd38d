"""The end-to-end demo: broker, topics, a worker process, events in, results out.

Runs on the local broker (started here when it is not already running, and stopped again at
the end in that case). Everything it creates is under the ``demo.`` topic prefix.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from correlator import serde
from correlator.localbroker import LocalBroker
from correlator.model import Actor, Endpoint, Event, Place, Source
from correlator.model.event import event_id
from correlator.runtime.app import worker_dir
from correlator.runtime.counting import APP_ID
from correlator.runtime.security import aiokafka_options
from correlator.runtime.topics import delete_topics, ensure_topics, event_topic, standard_topics
from correlator.settings import Settings

Say = Callable[[str], None]

_SITES = ("hq", "lab")


def demo_events(start: datetime) -> list[Event]:
    """A small morning at two sites: badges, logons, VPN and IDS events."""
    source = Source(connector="demo", format="demo")
    events = []
    for minute in range(24):
        site = _SITES[minute % 2]
        person = f"emp{minute % 6:02d}"
        kind = minute % 4
        raw = f"demo {minute} {site} {person} {kind}"
        common = {
            "id": event_id(source, raw), "time": start + timedelta(minutes=minute),
            "ingest_time": start + timedelta(minutes=minute, seconds=2), "source": source,
            "raw": raw, "location": Place(site=site),
        }  # fmt: skip
        if kind == 0:
            event = Event(domain="access", activity="access_granted", outcome="success",
                          actor=Actor(credential=f"badge-{person}"), **common)  # fmt: skip
        elif kind == 1:
            event = Event(domain="auth", activity="logon", outcome="success",
                          actor=Actor(account=f"CORP\\{person}"),
                          dst=Endpoint(host=f"ws-{person}"), **common)  # fmt: skip
        elif kind == 2:
            event = Event(domain="vpn", activity="connect", outcome="success",
                          actor=Actor(account=f"{person}@corp.example"),
                          src=Endpoint(ip=f"10.8.0.{minute}"), **common)  # fmt: skip
        else:
            event = Event(domain="ids", activity="alert", severity="medium",
                          src=Endpoint(ip=f"10.1.0.{minute}"),
                          attrs={"signature": "ET POLICY demo"}, **common)  # fmt: skip
        events.append(event)
    return events


def run_demo(settings: Settings, say: Say, keep_running: bool = False) -> int:
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # retried produce errors are noise here
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    settings = settings.model_copy(
        update={"topic_prefix": f"{settings.topic_prefix}demo.{run_id}."}
    )
    broker = LocalBroker(settings)
    started_broker = broker.pid() is None
    say(f"broker   {broker.start().describe().removeprefix('broker: ')}")
    worker: subprocess.Popen[bytes] | None = None
    try:
        created = ensure_topics(settings, standard_topics(settings))
        say(f"topics   {len(created)} created with prefix {settings.topic_prefix!r}")
        worker = _start_worker(settings)
        say(f"worker   started (pid {worker.pid}), counting events per site")
        events = demo_events(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
        asyncio.run(_produce(settings, events))
        per_domain = Counter[str](e.domain for e in events)
        say(f"produced {len(events)} events ({_fmt(per_domain)}) and 1 malformed record")
        expected = Counter(e.location.site for e in events if e.location and e.location.site)
        counts, letters = asyncio.run(_collect(settings, dict(expected), worker, timeout=120))
        if worker.poll() is not None:
            log = settings.state_dir / "demo-worker.log"
            say(f"worker   exited with code {worker.returncode}; see {log}")
        say("counted  events per site (from the worker's RocksDB table, via the counts topic):")
        for site in sorted(counts):
            say(f"           {site:<6} {counts[site]:>4}")
        for letter in letters:
            say(f"dead-letter  {letter['position']}: {letter['reason'][:90]}")
        ok = counts == dict(expected) and len(letters) >= 1
        say("result   OK" if ok else f"result   MISMATCH: expected {dict(expected)}")
        if keep_running:
            say("running  until Ctrl-C (worker keeps consuming events.* topics)")
            _wait_forever(worker)
        return 0 if ok else 1
    finally:
        if worker is not None:
            _stop(worker)
            shutil.rmtree(worker_dir(settings, APP_ID), ignore_errors=True)
            say("stopped  worker")
        say(f"cleaned  {delete_topics(settings, settings.topic_prefix)} demo topics")
        if started_broker:
            broker.stop()
            say("stopped  broker")


def _fmt(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(counter.items()))


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        CORRELATOR_BOOTSTRAP_SERVERS=settings.bootstrap_servers,
        CORRELATOR_TOPIC_PREFIX=settings.topic_prefix,
        CORRELATOR_STATE_DIR=str(settings.state_dir),
    )
    log = (settings.state_dir / "demo-worker.log").open("ab")
    command = [sys.executable, "-m", "correlator.cli", "worker", "--loglevel", "warning"]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_forever(process: subprocess.Popen[bytes]) -> None:
    try:
        while process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass


async def _produce(settings: Settings, events: list[Event]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, **aiokafka_options(settings)
    )
    await producer.start()
    try:
        for event in events:
            site = event.location.site if event.location and event.location.site else ""
            topic = event_topic(settings, event.domain)
            await producer.send(topic, serde.encode_model(event), key=site.encode())
        await producer.send(event_topic(settings, "access"), b'{"oops": tru', key=b"hq")
        await producer.flush()
    finally:
        await producer.stop()


async def _collect(
    settings: Settings, expected: dict[str, int], worker: subprocess.Popen[bytes], timeout: float
) -> tuple[dict[str, int], list[dict[str, str]]]:
    consumer = AIOKafkaConsumer(
        settings.topic("counts"), settings.topic("dlq"),
        bootstrap_servers=settings.bootstrap_servers, auto_offset_reset="earliest",
        **aiokafka_options(settings),
    )  # fmt: skip
    await consumer.start()
    counts: dict[str, int] = {}
    letters: list[dict[str, str]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and (counts != expected or not letters):
            if worker.poll() is not None:
                break
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for record in records:
                    value = serde.loads(record.value or b"{}")
                    if tp.topic == settings.topic("dlq"):
                        letters.append(value)
                    else:
                        counts[value["key"]] = max(counts.get(value["key"], 0), value["count"])
    finally:
        await consumer.stop()
    return counts, letters
