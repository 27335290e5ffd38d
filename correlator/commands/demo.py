"""``correlator demo``: the whole flow on the local broker, with readable output."""

from __future__ import annotations

import argparse

from correlator.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="Run an end-to-end demo on a local broker and print what happens.",
        description=(
            "Start the local broker (unless running), create topics with the 'demo.' prefix, "
            "start a worker, produce sample events and a malformed record, and print what the "
            "worker computed and what went to the dead-letter topic. Stops what it started."
        ),
    )
    parser.add_argument(
        "--keep-running", action="store_true",
        help="After the demo, keep the worker running until Ctrl-C.",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from correlator.runtime.demo import run_demo

    return run_demo(settings, print, keep_running=args.keep_running)
