"""The correlating worker under faults and changes: kill -9 and restart, two workers with one
killed, rules reloaded while running, an absence firing on a quiet partition.

The generated stream: refused badge reads, five per credential (``badge-denied-burst``
fires for each), on several sites so both partitions of every topic carry events, within
half an hour of event time (the tests run with one hour of lateness, so arrival order
across partitions and a worker restarting mid-stream never make an event late).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from correlator import serde
from correlator.model.event import Actor, Event, Place, Source
from correlator.runtime.app import worker_dir
from correlator.runtime.control import publish
from correlator.runtime.correlating import APP_ID
from correlator.runtime.localstate import CLEAN_STOP, databases
from correlator.settings import Settings
from tests.integration import kafka
from tests.integration.kafka import WorkerProcess
from tests.integration.workers import (
    ROOT,
    alert_ids,
    heartbeat,
    prepare,
    replay_ids,
    send_events,
    wait_alerts,
    wait_consumed,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SITES = ("hq", "lab", "depot", "plant")


def denials(first: int, last: int) -> list[Event]:
    """Five refused reads for each credential ``first..last``, interleaved in time."""
    source = Source(connector="gen", format="test")
    out = []
    for n in range(5):
        for c in range(first, last + 1):
            at = T0 + timedelta(seconds=c * 5 + n * 20)
            out.append(Event(
                id=f"deny-{c}-{n}", time=at, ingest_time=at, source=source, domain="access",
                activity="access_denied", outcome="failure", actor=Actor(credential=f"c{c}"),
                location=Place(site=SITES[c % len(SITES)], door=f"door-{c % 7}"),
            ))  # fmt: skip
    return out


def rules_dir(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "rules"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name in names:
        shutil.copy(ROOT / "rules" / f"{name}.yaml", folder)
    return folder


def expected(tmp_path: Path, rules: Path, events: list[Event]) -> set[str]:
    path = tmp_path / "events.jsonl"
    ordered = sorted(events, key=lambda e: e.time)
    path.write_bytes(b"\n".join(serde.encode_model(e) for e in ordered))
    return replay_ids(tmp_path, rules, None, str(path))


def slow(settings: Settings) -> Settings:
    return settings.model_copy(update={"lateness": "1h"})


def kill(worker: WorkerProcess) -> None:
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait()


def finish(settings: Settings, want: set[str]) -> list[str]:
    wait_consumed(settings)
    send_events(settings, [heartbeat(T0 + timedelta(days=1))])
    return wait_alerts(settings, want)


def test_kill_9_and_restart_gives_the_alerts_of_a_fault_free_run(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = slow(kafka_settings)
    rules = rules_dir(tmp_path, "badge-denied-burst")
    prepare(settings, [rules], None)
    first, second = denials(1, 20), denials(21, 40)
    want = expected(tmp_path, rules, first + second)
    assert len(want) == 40
    state = worker_dir(settings, APP_ID)
    worker = WorkerProcess(settings, tmp_path / "worker-1.log")
    try:
        send_events(settings, first)
        wait_consumed(settings)
        send_events(settings, second)
        kill(worker)  # mid-stream: some of the second half is processed, some is not
        worker = WorkerProcess(settings, tmp_path / "worker-2.log")
        got = finish(settings, want)
    finally:
        stopped = worker.stop()
    assert set(got) == want, worker.output()  # repeats are allowed, as exact id repeats
    # The killed worker's local tables were not trusted; the cleanly stopped one's are.
    assert "did not stop cleanly" in worker.output()
    assert stopped == 0, worker.output()
    assert (state / CLEAN_STOP).exists()
    assert databases(state)
    worker = WorkerProcess(settings, tmp_path / "worker-3.log")
    try:
        deadline = time.monotonic() + 60
        while (state / CLEAN_STOP).exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # taken away at start
        assert not (state / CLEAN_STOP).exists()
    finally:
        worker.stop()
    assert "did not stop cleanly" not in worker.output()


def test_two_workers_share_the_partitions_and_survive_losing_one(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = slow(kafka_settings)
    other = settings.model_copy(update={"state_dir": tmp_path / "state-2"})
    rules = rules_dir(tmp_path, "badge-denied-burst")
    prepare(settings, [rules], None)
    first, second = denials(1, 20), denials(21, 40)
    want = expected(tmp_path, rules, first + second)
    one = WorkerProcess(settings, tmp_path / "worker-1.log")
    two = WorkerProcess(other, tmp_path / "worker-2.log")
    try:
        send_events(settings, first)
        wait_consumed(settings)
        send_events(settings, second)
        kill(one)  # its partitions and their table state move to the other worker
        got = finish(settings, want)
    finally:
        one.stop()
        two.stop()
    assert set(got) == want, two.output()


def test_rules_reload_while_running(kafka_settings: Settings, tmp_path: Path) -> None:
    settings = slow(kafka_settings)
    prepare(settings, [rules_dir(tmp_path, "door-forced-no-badge")], None)
    before, after = denials(1, 10), denials(11, 20)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        send_events(settings, before)
        wait_consumed(settings)
        burst = rules_dir(tmp_path, "badge-denied-burst")
        prepare(settings, [burst], None)  # replaces door-forced-no-badge
        broken = {"id": "broken", "file": "broken.yaml", "yaml": "id: broken\ncorrelation: 5"}
        publish(settings, settings.topic("rules"), [(b"broken", serde.dumps(broken))])
        # The worker reads the rules topic in order: once it has dead-lettered the broken
        # record that follows them, the new rules are loaded.
        (letter,) = read_values(settings, "dlq", 1)
        send_events(settings, after)
        want = expected(tmp_path, burst, after)
        got = finish(settings, want)
    finally:
        worker.stop()
    assert set(got) == want, worker.output()
    assert len(expected(tmp_path, burst, before + after)) == 20  # the first ten did not fire
    assert letter["stage"] == "control"
    assert (
        letter["position"] == f"{settings.topic('rules')}[0]@3"
    )  # after door-forced, burst and the tombstone


def read_values(settings: Settings, name: str, count: int) -> list[dict[str, object]]:
    records = kafka.consume_until(
        settings.bootstrap_servers, settings.topic(name), lambda recs: len(recs) >= count
    )
    return [serde.loads(r.value) for r in records]


def test_an_absence_fires_on_a_quiet_partition(kafka_settings: Settings, tmp_path: Path) -> None:
    settings = kafka_settings.model_copy(update={"lateness": "5s"})
    prepare(settings, [rules_dir(tmp_path, "door-forced-no-badge")], None)
    source = Source(connector="gen", format="test")
    forced = Event(
        id="forced-1", time=T0, ingest_time=T0, source=source, domain="access",
        activity="door_forced", location=Place(site="hq", door="hq-dock"),
    )  # fmt: skip
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        send_events(settings, [forced])
        wait_consumed(settings)
        assert alert_ids(settings) == []  # nothing has moved its watermark yet
        # Only a tick can tell the engine of that door that time went on: the next event
        # is of a kind no rule uses, so it is never forwarded to that partition.
        send_events(settings, [heartbeat(T0 + timedelta(minutes=5))])
        got = read_values(settings, "alerts", 1)
    finally:
        worker.stop()
    assert [a["rule"] for a in got] == ["door-forced-no-badge"], worker.output()
