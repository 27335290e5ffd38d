"""Prometheus metrics of the connectors (the parsers stay free of them).

Served on loopback only, when ``CORRELATOR_METRICS_PORT`` is set. ``reason`` in the reject
counter is the reject kind (``malformed``, ``unsupported``, ``oversize``), not the free-text
reason, which would make one series per distinct message.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram, start_http_server

from correlator.errors import ConfigError
from correlator.settings import Settings

log = logging.getLogger(__name__)

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
PRODUCE_SECONDS = Histogram(
    "correlator_connector_produce_seconds",
    "Time from sending a batch to the broker's acknowledgement of all of it.",
    ["connector"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def serve(settings: Settings) -> None:
    """Start the metrics endpoint on 127.0.0.1 if a port is configured."""
    if settings.metrics_port:
        try:
            start_http_server(settings.metrics_port, addr="127.0.0.1")
        except OSError as exc:
            raise ConfigError(
                f"CORRELATOR_METRICS_PORT={settings.metrics_port}: cannot serve metrics on "
                f"127.0.0.1: {exc.strerror or exc} (pick a free port, or 0 for none)"
            ) from exc
        log.info("metrics on http://127.0.0.1:%d/metrics", settings.metrics_port)
