"""``correlator worker``: run a Faust worker process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from correlator.settings import Settings

if TYPE_CHECKING:
    import faust

PIPELINES = ("correlate", "count")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "worker",
        help="Run a stream-processing worker on Kafka.",
        description=(
            "Run a Faust worker. Start more processes with the same settings (and their own "
            "state directory) to scale out: Kafka shares the partitions among them. Topics "
            "are created if missing. Rules and the directory come from their topics: "
            "publish them with 'correlator rules publish' and 'correlator directory load'."
        ),
    )
    parser.add_argument(
        "--pipeline", choices=PIPELINES, default="correlate",
        help="correlate (default): events to alerts; count: per-key event counts.",
    )  # fmt: skip
    parser.add_argument("--loglevel", default="warning", help="default: warning")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from prometheus_client import CollectorRegistry

    from correlator.gcpolicy import for_engine_state
    from correlator.logthrottle import throttle
    from correlator.runtime import correlating, counting
    from correlator.runtime.app import build_app, worker_dir
    from correlator.runtime.brokerwatch import PROBE_INTERVAL, BrokerWatch
    from correlator.runtime.changelog import ledger
    from correlator.runtime.localstate import (
        discard_after_unclean_stop,
        mark_clean_stop,
        set_aside_unreadable,
    )
    from correlator.runtime.topics import changelog_topics, ensure_topics, standard_topics

    for_engine_state()
    ensure_topics(settings, standard_topics(settings))
    app_id = counting.APP_ID if args.pipeline == "count" else correlating.APP_ID
    state = worker_dir(settings, app_id)
    for message in discard_after_unclean_stop(state) + set_aside_unreadable(state):
        print(f"warning: {message}", file=sys.stderr)
    app = build_app(settings, app_id)
    if args.pipeline == "count":
        counting.attach(app, settings)
        registry = CollectorRegistry()  # the count pipeline serves no metrics
    else:
        from correlator.runtime.metrics import RuntimeMetrics, serve

        metrics = RuntimeMetrics()
        pipeline = correlating.attach(app, settings, metrics)
        serve(metrics, settings.metrics_host, settings.metrics_port, pipeline.caught_up.is_set)
        registry = metrics.registry
    # A broker outage is waited out by the Kafka clients; the watch says so in the log, where
    # the clients' own retries are throttled.
    app.timer(PROBE_INTERVAL, name="broker-watch")(BrokerWatch(settings, registry).check)
    ensure_topics(settings, changelog_topics(app))
    throttle()
    try:
        faust_worker(app, args.loglevel).execute_from_commandline()
    except SystemExit as stop:
        # Local tables are trusted at the next start only if nothing they hold can be
        # missing from the changelog (see correlator.runtime.localstate).
        if stop.code in (0, None) and ledger(app).clean:
            mark_clean_stop(state)
        raise


def faust_worker(app: faust.App, loglevel: str) -> faust.Worker:
    """The Faust worker that runs ``app``, without its terminal spinner.

    To spin on every log line, the spinner sets the root logger to DEBUG (leaving the chosen
    level to the handler): Faust and the Kafka client then build a log record for each debug
    line they write, one per record produced among others, only for the handler to drop it.
    That was 8% of a worker's CPU."""
    import faust

    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.spinner = None
    return worker
