"""The worker's ``/metrics`` carries the sampled gauges: watermark lag per ``correlate``
partition, keys per state table, and consumer lag per input partition."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from correlator.runtime.metrics import PREFIX
from correlator.settings import Settings
from tests.integration.connectors import free_port
from tests.integration.kafka import WorkerProcess
from tests.integration.test_worker_faults import denials, rules_dir
from tests.integration.workers import prepare, send_events, wait_consumed

Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


def scrape(port: int) -> Samples:
    """Every sample of the worker's gauges, by metric name and label set."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def wait_for(port: int, done: Callable[[Samples], bool], timeout: float = 60.0) -> Samples:
    """Scrape until ``done(samples)`` holds (the gauges are sampled every few seconds)."""
    deadline = time.monotonic() + timeout
    samples: Samples = {}
    while time.monotonic() < deadline:
        try:
            samples = scrape(port)
        except OSError:  # the endpoint is not up yet
            samples = {}
        if done(samples):
            return samples
        time.sleep(0.5)
    return samples


def test_the_worker_exports_watermark_lag_state_keys_and_consumer_lag(
    kafka_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = kafka_settings.model_copy(update={"lateness": "10m"})
    prepare(settings, [rules_dir(tmp_path, "badge-denied-burst")], None)
    port = free_port()
    monkeypatch.setenv("CORRELATOR_METRICS_PORT", str(port))
    events = denials(1, 8)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    lag, keys, behind = (
        PREFIX + n for n in ("watermark_lag_seconds", "state_keys", "consumer_lag")
    )
    access = settings.topic("events.access")
    try:
        send_events(settings, events)
        wait_consumed(settings)

        def settled(s: Samples) -> bool:
            inputs = {k: v for k, v in s.get(behind, {}).items() if ("topic", access) in k}
            return bool(s.get(lag)) and bool(inputs) and not any(inputs.values())

        samples = wait_for(port, settled)
    finally:
        worker.stop()
    assert samples.get(lag), worker.output()
    # Each partition's newest event is at most the newest of all, and its watermark follows
    # the ticks of that newest time minus the lateness.
    assert {dict(k)["partition"] for k in samples[lag]} <= {"0", "1"}
    assert all(0 <= v <= timedelta(minutes=10).total_seconds() for v in samples[lag].values())
    assert max(samples[lag].values()) > 0
    assert samples[keys][(("table", "engine"),)] > 0  # open partial matches and watermarks
    assert (("table", "identity"),) in samples[keys]
    inputs = {dict(k)["partition"] for k in samples[behind] if ("topic", access) in k}
    assert inputs == {"0", "1"}  # one worker holds both partitions, and has read them all
