"""The Faust application with Correlator's safe defaults.

- at-least-once processing (exactly-once has open duplicate bugs in faust-streaming); alert
  ids are deterministic instead, so consumers drop repeats;
- the Faust web server binds 127.0.0.1 only, on ``CORRELATOR_WORKER_WEB_PORT`` (0, the default,
  picks a free port, so several workers share a host), with every endpoint that shows state
  switched off: ``/table`` (table contents), ``/router`` (which worker holds a key, and the
  URLs of the others), ``/graph``, the statistics and ``/assignment/`` pages and
  ``/performance/``. What is left answers ``/`` with ``{"status": "OK"}``. Metrics and health
  are served by prometheus_client (:mod:`correlator.runtime.metrics`) instead;
- tables on RocksDB through rocksdict, in ``<state_dir>/worker``;
- every agent runs with ``concurrency=1`` (above 1, Faust can commit past in-flight records);
- produce batching: records wait up to 10 ms to share a request;
- tables whose changelog writes are counted until the broker acknowledges them
  (:mod:`correlator.runtime.changelog`).
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import faust

from correlator.runtime import changelog
from correlator.runtime.security import faust_credentials
from correlator.settings import Settings

log = logging.getLogger(__name__)

WEB_BIND = "127.0.0.1"
"""The Faust web server's only address: it has no authentication."""

WEB_OFF: dict[str, Any] = {  # Any: faust.App's keyword arguments have many types
    "web_tables_enabled": False,
    "web_router_enabled": False,
    "web_graph_enabled": False,
    "web_stats_enabled": False,
    "web_metrics_enabled": False,
}
"""Faust's endpoints that expose state; each of them is off."""

ROCKSDICT = {"driver": "rocksdict"}
"""Table options: the RocksDB driver faust-streaming ships for rocksdict."""


def worker_dir(settings: Settings, app_id: str) -> Path:
    """Local table state of one app (per topic prefix: tables belong to their topics)."""
    return settings.state_dir / "worker" / settings.topic(app_id)


def build_app(settings: Settings, app_id: str) -> faust.App:
    worker_dir(settings, app_id).mkdir(parents=True, exist_ok=True)
    return faust.App(
        settings.topic(app_id),
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        broker_credentials=faust_credentials(settings),
        store="rocksdb://",
        datadir=str(worker_dir(settings, app_id)),
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        web_enabled=True,
        web_bind=WEB_BIND,
        web_host=WEB_BIND,
        web_port=web_port(settings),
        **WEB_OFF,
        autodiscover=False,
        table_standby_replicas=0,
        # A worker that dies without leaving (kill -9, lost host) hands its partitions over
        # after this long; Faust's 60 s default leaves them unprocessed for a minute.
        broker_session_timeout=10.0,
        # Faust sends every record (forwarded events, changelog writes, alerts) in a request of
        # its own by default. Waiting 10 ms to fill batches took the worker from ~600 to ~720
        # events/s and cut the broker's CPU by ~40% (benchmarks/README.md); it adds at most 10 ms
        # per hop to an alert's latency.
        producer_linger_ms=10,
        # Tables whose changelog writes are counted until acknowledged (.changelog).
        Table=changelog.Table,
        GlobalTable=changelog.GlobalTable,
    )


def web_port(settings: Settings) -> int:
    """The configured port, or a free one on loopback (Faust itself does not take 0)."""
    port = settings.worker_web_port
    if port == 0:
        with socket.socket() as probe:
            probe.bind((WEB_BIND, 0))
            port = int(probe.getsockname()[1])
    log.info("Faust web server on http://%s:%d/ (table and router endpoints off)", WEB_BIND, port)
    return port


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """A topic whose keys and values stay bytes: we decode and validate inside the agent."""
    return app.topic(*names, key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw")  # fmt: skip
