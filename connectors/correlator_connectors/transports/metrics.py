"""Prometheus metrics of the connectors (the parsers stay free of them).

Served when ``CORRELATOR_METRICS_PORT`` is set, on ``CORRELATOR_METRICS_HOST`` (loopback by
default), by the same endpoint as the workers (``/metrics``, ``/healthz``, ``/readyz``).
``reason`` in the reject counter is the reject kind (``malformed``, ``unsupported``,
``oversize``), not the free-text reason, which would make one series per distinct message.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Histogram

from correlator.metrics_http import MetricsServer, serve_http
from correlator.settings import Settings

RECORDS_IN = Counter(
    "correlator_connector_records", "Raw records read.", ["connector", "transport"]
)
EVENTS_OUT = Counter(
    "correlator_connector_events", "Events produced to Kafka.", ["connector", "domain"]
)
REJECTS = Counter(
    "correlator_connector_rejects",
    "Records sent to the dead-letter topic.",
    ["connector", "format", "reason"],
)
DROPPED = Counter(
    "correlator_connector_dropped",
    "UDP datagrams dropped because the connector could not keep up.",
    ["connector"],
)
UNREACHABLE = Counter(
    "correlator_connector_broker_unreachable",
    "Broker outage reports: a batch sent again, or waiting 5 s more for its acknowledgement.",
    ["connector"],
)
PRODUCE_SECONDS = Histogram(
    "correlator_connector_produce_seconds",
    "Time from sending a batch to the broker's acknowledgement of all of it.",
    ["connector"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def serve(settings: Settings) -> MetricsServer | None:
    """Start the metrics endpoint if a port is configured (a connector is always ready)."""
    if not settings.metrics_port:
        return None
    return serve_http(REGISTRY, settings.metrics_host, settings.metrics_port, lambda: True)
