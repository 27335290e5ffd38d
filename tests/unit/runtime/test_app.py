"""The Faust app's web server: loopback only, every state-exposing endpoint off."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from faust.web.base import BLUEPRINT_FLAGS

from correlator.runtime.app import WEB_BIND, WEB_OFF, build_app
from correlator.settings import Settings


def test_the_web_server_binds_loopback_with_table_and_router_endpoints_off(
    tmp_path: Path,
) -> None:
    app = build_app(Settings(state_dir=tmp_path, worker_web_port=16066), "web-test")
    conf = app.conf
    assert conf.web_enabled
    assert (conf.web_bind, conf.web_port) == ("127.0.0.1", 16066)
    assert not conf.web_tables_enabled
    assert not conf.web_router_enabled
    # Every built-in endpoint Faust can switch off is off: a new flag in a Faust upgrade shows
    # up here.
    assert set(WEB_OFF) == set(BLUEPRINT_FLAGS.values())
    assert not any(getattr(conf, flag) for flag in BLUEPRINT_FLAGS.values())


def test_port_0_picks_a_free_port_instead_of_fausts_fixed_default(tmp_path: Path) -> None:
    """Faust's default (6066) would make the second worker on a host fail to start."""
    taken = socket.socket()
    taken.bind((WEB_BIND, 0))
    taken.listen()
    try:
        settings = Settings(state_dir=tmp_path, worker_web_port=0)
        port = build_app(settings, "web-test").conf.web_port
        assert port not in (6066, taken.getsockname()[1])
        with socket.socket() as probe:  # free: nothing holds it between choice and start
            probe.bind((WEB_BIND, port))
    finally:
        taken.close()


def test_the_identity_table_is_kept_in_memory_so_each_start_reads_its_whole_changelog(
    tmp_path: Path,
) -> None:
    from faust.stores.memory import Store as MemoryStore

    from correlator.runtime.correlating import attach
    from correlator.runtime.metrics import RuntimeMetrics

    settings = Settings(state_dir=tmp_path)
    app = build_app(settings, "identity-store-test")
    pipeline = attach(app, settings, RuntimeMetrics())
    assert isinstance(pipeline.identity_state._new_store(), MemoryStore)
    assert pipeline.identity_state.persisted_offset(("identity", 0)) is None  # type: ignore[arg-type]


def test_the_changelog_topics_made_before_start_are_the_ones_faust_writes(
    tmp_path: Path,
) -> None:
    from correlator.runtime.correlating import STATE_RECORD_BYTES, attach
    from correlator.runtime.metrics import RuntimeMetrics
    from correlator.runtime.topics import changelog_topics

    settings = Settings(state_dir=tmp_path, topic_prefix="site1.", partitions=3)
    app = build_app(settings, "correlator")
    attach(app, settings, RuntimeMetrics())
    specs = {spec.name: spec for spec in changelog_topics(app)}
    assert sorted(specs) == ["site1.correlator-engine-changelog",
                             "site1.correlator-identity-changelog"]  # fmt: skip
    for table in app.tables.values():  # the topic each table's changes are sent to
        spec = specs[table.changelog_topic.get_topic_name()]
        assert spec.partitions == 3
        assert spec.compacted
        assert spec.config == {"max.message.bytes": str(STATE_RECORD_BYTES)}


def test_the_worker_logs_at_its_level_so_debug_lines_cost_nothing(tmp_path: Path) -> None:
    """Faust's terminal spinner set the root logger to DEBUG: every debug line of Faust and
    the Kafka client (one per record produced) was built, then dropped by the handler."""
    script = f"""
import logging
import sys
from pathlib import Path
from correlator.commands.worker import faust_worker
from correlator.runtime.app import build_app
from correlator.settings import Settings

app = build_app(Settings(state_dir=Path({str(tmp_path)!r})), "log-test")
worker = faust_worker(app, "warning")
worker._setup_logging()  # what the worker does first when it runs
for name in ("aiokafka.producer.producer", "faust.topics", "correlator"):
    logger = logging.getLogger(name)
    debug, warning = logger.isEnabledFor(logging.DEBUG), logger.isEnabledFor(logging.WARNING)
    sys.__stdout__.write(f"{{name}} {{debug}} {{warning}}\\n")  # print() goes to the log now
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split("\n")[:3] == [
        "aiokafka.producer.producer False True",
        "faust.topics False True",
        "correlator False True",
    ], done.stderr
