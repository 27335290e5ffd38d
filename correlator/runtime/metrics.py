"""Prometheus metrics of the worker, and the endpoint that serves them.

The pure core counts nothing itself; the runtime reads its results (alerts, late events,
engine and identity stats) and records them here. Every metric lives in the registry of one
:class:`RuntimeMetrics` (a fresh one by default), so tests and several apps in one process
never collide in prometheus_client's global registry.

Label values are bounded on purpose: ``reason`` is an exception class name or a reject kind,
never a free-text message, and ``partition`` is a number — one series per distinct message
would grow without end.
"""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

from correlator.metrics_http import MetricsServer, Ready, disabled, serve_http

PREFIX = "correlator_worker_"

LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
)  # fmt: skip
"""Seconds, 1 ms to 10 min: fast paths and absence rules that wait out their window."""


class RuntimeMetrics:
    """Every metric a worker exports; the attribute names are the runtime's contract."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        if registry is None:
            registry = CollectorRegistry()
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                registry.register(collector)
        self.registry = registry
        r = registry
        self.events_in = Counter(
            PREFIX + "events_in", "Records read from events topics.", ["topic", "domain"],
            registry=r,
        )  # fmt: skip
        self.dead_letters = Counter(
            PREFIX + "dead_letters", "Records sent to the dead-letter topic, by stage and reason "
            "(exception class or reject kind).", ["stage", "reason"], registry=r,
        )  # fmt: skip
        self.unresolved = Counter(
            PREFIX + "unresolved", "Identifiers the resolver could not map to an entity.",
            ["kind"], registry=r,
        )  # fmt: skip
        self.late_events = Counter(
            PREFIX + "late_events", "Events older than the watermark (sent to the late topic).",
            ["stage"], registry=r,
        )  # fmt: skip
        self.read_again = Counter(
            PREFIX + "events_read_again", "Events found behind the watermark that are copies "
            "of events already handled: their input partition changed workers and was read "
            "again from its last committed offset (dropped; not late).", registry=r,
        )  # fmt: skip
        self.rule_matches = Counter(
            PREFIX + "rule_matches", "Events that matched a step of a rule.", ["rule"], registry=r
        )
        self.alerts = Counter(
            PREFIX + "alerts", "Alerts produced.", ["rule", "severity"], registry=r
        )
        self.suppressed = Counter(
            PREFIX + "suppressed_alerts", "Alerts a rule's suppression window held back.",
            ["rule"], registry=r,
        )  # fmt: skip
        self.ingest_to_alert = Histogram(
            PREFIX + "ingest_to_alert_seconds", "From the newest evidence event's ingest time "
            "to the alert (processing latency).", buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.event_to_alert = Histogram(
            PREFIX + "event_to_alert_seconds", "From the alert's event time to the wall clock "
            "when it was produced (includes source delay and rule windows).",
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.watermark_lag = Gauge(
            PREFIX + "watermark_lag_seconds", "Max event time seen minus the watermark, per "
            "correlate partition.", ["partition"], registry=r,
        )  # fmt: skip
        self.state_keys = Gauge(
            PREFIX + "state_keys", "Keys held in a state table.", ["table"], registry=r
        )
        self.consumer_lag = Gauge(
            PREFIX + "consumer_lag", "Records between the committed offset and the end of the "
            "partition.", ["topic", "partition"], registry=r,
        )  # fmt: skip
        self.input_held = Gauge(
            PREFIX + "input_partitions_held", "Input partitions whose fetch is paused because "
            "they were read further ahead in event time than the alignment drift allows.",
            registry=r,
        )  # fmt: skip
        self.input_holds = Counter(
            PREFIX + "input_holds", "Times an input partition was paused for running ahead "
            "(see input_partitions_held).", ["topic"], registry=r,
        )  # fmt: skip
        self.rereads = Counter(
            PREFIX + "partition_rereads_total", "Partitions read again from their committed "
            "offset because they stalled: a record skipped, or no progress with records "
            "waiting (see runtime/offsets.py).", ["topic", "partition", "kind"], registry=r,
        )  # fmt: skip


def serve(metrics: RuntimeMetrics, host: str, port: int, ready: Ready) -> MetricsServer:
    """``/metrics``, ``/healthz`` and ``/readyz`` on ``host:port``; port 0 means no endpoint.

    ``ready`` is called on every ``/readyz`` request (e.g. "partitions assigned and tables
    recovered"). The returned server's ``close()`` stops it.
    """
    if port == 0:
        return disabled()
    return serve_http(metrics.registry, host, port, ready)
