"""``correlator worker``: run a Faust worker process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse

from correlator.settings import Settings

PIPELINES = ("count",)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "worker",
        help="Run a stream-processing worker on Kafka.",
        description=(
            "Run a Faust worker. Start more processes with the same settings to scale out: "
            "Kafka shares the partitions among them. Topics are created if missing."
        ),
    )
    parser.add_argument(
        "--pipeline", choices=PIPELINES, default="count",
        help="count: per-key event counts (the foundation pipeline).",
    )  # fmt: skip
    parser.add_argument("--loglevel", default="warning", help="default: warning")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import faust

    from correlator.runtime import counting
    from correlator.runtime.app import build_app
    from correlator.runtime.topics import ensure_topics, standard_topics

    ensure_topics(settings, standard_topics(settings))
    app = build_app(settings, counting.APP_ID)
    counting.attach(app, settings)
    worker = faust.Worker(app, loglevel=args.loglevel, quiet=True)
    worker.execute_from_commandline()
