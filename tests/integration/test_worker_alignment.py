"""A backfill whose topics cover very different spans of event time: the worker pauses the
input partition that runs ahead (watermark alignment, see ``correlator/runtime/ticks.py``),
reads every record exactly once, and gives the alerts ``correlator replay`` gives.

The backlog is in place before the worker starts: 10,000 refused badge reads over about
three hours on ``events.access`` (two partitions), and 10,000 clock events a minute apart
(about a week) on ``events.network`` (one partition). Read at the same pace in records,
the network partition would run days ahead of the badge reads; its first fetch alone
covers more than a day. None of the refusals may be late, no record may be lost or read
twice (pausing a partition in Faust itself drops records it has fetched but not handed
over; the stall guard would read them again, so ``events_in`` would exceed the input).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from correlator.runtime.metrics import PREFIX
from correlator.settings import Settings
from tests.integration.connectors import free_port
from tests.integration.kafka import WorkerProcess
from tests.integration.test_worker_faults import T0, denials, expected, rules_dir
from tests.integration.test_worker_identity import wait_members
from tests.integration.test_worker_metrics import Samples, scrape, wait_for
from tests.integration.workers import heartbeat, prepare, send_events, wait_alerts, wait_consumed

CREDENTIALS = 2_000  # five refusals each: 10,000 events over 2.8 hours
CLOCK_EVENTS = 10_000  # a minute apart: about 7 days


def total(samples: Samples, name: str) -> float:
    return sum(samples.get(PREFIX + name, {}).values())


def backlog(settings: Settings, tmp_path: Path) -> tuple[int, set[str]]:
    """The backlog on the topics before any worker starts: (its events, the alert ids)."""
    rules = rules_dir(tmp_path, "badge-denied-burst")
    prepare(settings, [rules], None)
    refusals = sorted(denials(1, CREDENTIALS), key=lambda e: e.time)  # each topic in order
    clock = [heartbeat(T0 + timedelta(minutes=n), n) for n in range(CLOCK_EVENTS)]
    want = expected(tmp_path, rules, refusals)
    assert len(want) == CREDENTIALS
    send_events(settings, refusals + clock)
    return len(refusals) + len(clock), want


def test_a_partition_read_ahead_is_paused_and_nothing_is_lost_or_late(
    kafka_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = kafka_settings.model_copy(update={"lateness": "2m", "align_drift": "1m"})
    inputs, want = backlog(settings, tmp_path)
    port = free_port()
    monkeypatch.setenv("CORRELATOR_METRICS_PORT", str(port))
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        got = wait_alerts(settings, want)
        wait_consumed(settings)
        wait_for(port, lambda s: total(s, "events_in_total") >= inputs)
        samples = scrape(port)
    finally:
        assert worker.stop() == 0, worker.output()
    holds = samples.get(PREFIX + "input_holds_total", {})
    network = settings.topic("events.network")
    assert holds.get((("topic", network),), 0) >= 1, worker.output()
    assert total(samples, "events_in_total") == inputs, worker.output()
    assert total(samples, "partition_rereads_total") == 0, worker.output()
    assert total(samples, "late_events_total") == 0
    assert set(got) == want
    assert len(got) == len(want)


def test_two_workers_sharing_a_backfill_make_no_event_late(
    kafka_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kafka_settings.partitions == 2  # each worker reads one partition of each topic
    settings = kafka_settings.model_copy(update={"lateness": "2m", "align_drift": "1m"})
    inputs, want = backlog(settings, tmp_path)
    ports = [free_port()]
    ports.append(next(p for p in iter(free_port, None) if p != ports[0]))
    workers = []
    for number, port in enumerate(ports):
        monkeypatch.setenv("CORRELATOR_METRICS_PORT", str(port))
        own = settings.model_copy(update={"state_dir": tmp_path / f"state-{number}"})
        workers.append(WorkerProcess(own, tmp_path / f"worker-{number}.log"))
    try:
        wait_members(settings, 2)
        got = wait_alerts(settings, want)
        wait_consumed(settings)
        samples = [scrape(port) for port in ports]
    finally:
        for worker in workers:
            worker.stop()
    logs = "".join(worker.output() for worker in workers)
    read = [total(s, "events_in_total") for s in samples]
    assert sum(read) >= inputs, logs
    assert all(read), f"one worker read nothing: {read}"  # the backlog was shared
    assert sum(total(s, "late_events_total") for s in samples) == 0
    assert set(got) == want
