"""``correlator broker start|stop|status``: the local single-node Kafka (KRaft) broker."""

from __future__ import annotations

import argparse

from correlator.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("broker", help="Run a local Apache Kafka broker (KRaft, loopback).")
    parser.add_argument("action", choices=["start", "stop", "status", "fetch"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    raise NotImplementedError
