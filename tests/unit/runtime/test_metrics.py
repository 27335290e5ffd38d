from __future__ import annotations

import socket
import urllib.request

from prometheus_client import CollectorRegistry

from correlator.runtime.metrics import RuntimeMetrics, serve
from correlator.settings import Settings


def sample(metrics: RuntimeMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_each_instance_has_its_own_registry() -> None:
    first, second = RuntimeMetrics(), RuntimeMetrics()
    first.events_in.labels("events.access", "access").inc()
    assert sample(first, "correlator_worker_events_in_total", topic="events.access",
                  domain="access") == 1.0  # fmt: skip
    assert sample(second, "correlator_worker_events_in_total", topic="events.access",
                  domain="access") is None  # fmt: skip


def test_a_given_registry_is_used() -> None:
    registry = CollectorRegistry()
    metrics = RuntimeMetrics(registry)
    metrics.alerts.labels("tailgating", "high").inc(2)
    assert (
        registry.get_sample_value(
            "correlator_worker_alerts_total", {"rule": "tailgating", "severity": "high"}
        )
        == 2.0
    )


def test_every_contract_attribute_records() -> None:
    metrics = RuntimeMetrics()
    metrics.dead_letters.labels("resolve", "DecodeError").inc()
    metrics.unresolved.labels("ip").inc()
    metrics.late_events.labels("correlate").inc()
    metrics.read_again.inc()
    metrics.rule_matches.labels("r1").inc()
    metrics.suppressed.labels("r1").inc()
    metrics.watermark_lag.labels("3").set(12.5)
    metrics.state_keys.labels("engine").set(40)
    metrics.consumer_lag.labels("events.ids", "0").set(7)
    assert sample(metrics, "correlator_worker_dead_letters_total", stage="resolve",
                  reason="DecodeError") == 1.0  # fmt: skip
    assert sample(metrics, "correlator_worker_unresolved_total", kind="ip") == 1.0
    assert sample(metrics, "correlator_worker_late_events_total", stage="correlate") == 1.0
    assert sample(metrics, "correlator_worker_events_read_again_total") == 1.0
    assert sample(metrics, "correlator_worker_rule_matches_total", rule="r1") == 1.0
    assert sample(metrics, "correlator_worker_suppressed_alerts_total", rule="r1") == 1.0
    assert sample(metrics, "correlator_worker_watermark_lag_seconds", partition="3") == 12.5
    assert sample(metrics, "correlator_worker_state_keys", table="engine") == 40
    assert sample(metrics, "correlator_worker_consumer_lag", topic="events.ids",
                  partition="0") == 7  # fmt: skip


def test_latency_histograms_span_a_millisecond_to_ten_minutes() -> None:
    metrics = RuntimeMetrics()
    metrics.ingest_to_alert.observe(0.0004)
    metrics.event_to_alert.observe(540)
    ingest = "correlator_worker_ingest_to_alert_seconds_bucket"
    event = "correlator_worker_event_to_alert_seconds_bucket"
    assert sample(metrics, ingest, le="0.001") == 1.0
    assert sample(metrics, event, le="300.0") == 0.0
    assert sample(metrics, event, le="600.0") == 1.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_binds_loopback_by_default_and_exports_the_counters() -> None:
    settings = Settings()
    assert settings.metrics_host == "127.0.0.1"
    metrics = RuntimeMetrics()
    metrics.dead_letters.labels("resolve", "ValidationError").inc(4)
    ready = [False]
    server = serve(metrics, settings.metrics_host, free_port(), lambda: ready[0])
    try:
        assert server.host == "127.0.0.1"
        base = f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
            body = response.read().decode()
        assert (
            'correlator_worker_dead_letters_total{reason="ValidationError",stage="resolve"} 4.0'
            in body
        )
        assert "process_cpu_seconds_total" in body or "python_info" in body
        ready[0] = True
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
            assert response.status == 200
    finally:
        server.close()


def test_port_zero_means_no_endpoint() -> None:
    server = serve(RuntimeMetrics(), "127.0.0.1", 0, lambda: True)
    assert server.port is None
    server.close()
