"""The Faust application with Correlator's safe defaults.

- at-least-once processing (exactly-once has open duplicate bugs in faust-streaming); alert
  ids are deterministic instead, so consumers drop repeats;
- no Faust web server (it binds 0.0.0.0 and serves table contents); metrics are served by
  prometheus_client on loopback instead;
- tables on RocksDB through rocksdict, in ``<state_dir>/worker``;
- every agent runs with ``concurrency=1`` (above 1, Faust can commit past in-flight records).
"""

from __future__ import annotations

from pathlib import Path

import faust

from correlator.runtime.security import faust_credentials
from correlator.settings import Settings

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
        web_enabled=False,
        autodiscover=False,
        table_standby_replicas=0,
        # A worker that dies without leaving (kill -9, lost host) hands its partitions over
        # after this long; Faust's 60 s default leaves them unprocessed for a minute.
        broker_session_timeout=10.0,
    )


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """A topic whose keys and values stay bytes: we decode and validate inside the agent."""
    return app.topic(*names, key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw")  # fmt: skip
