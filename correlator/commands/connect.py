"""``correlator connect``: run a connector that puts one source's records on Kafka.

Records are parsed with ``--format`` into events on ``events.<domain>``; rejects go to the
dead-letter topic. Runs until SIGTERM or Ctrl-C, then flushes and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import re

from correlator.errors import ConfigError
from correlator.settings import Settings

SOURCE_HELP = (
    "file:PATH | syslog+udp://HOST:PORT | syslog+tcp://HOST:PORT | http://HOST:PORT/PATH | "
    "kafka:TOPIC (HOST may be empty: 127.0.0.1)"
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "connect",
        help="Run a connector: read a source, parse records, produce events to Kafka.",
        description=(
            "Read records from SOURCE, parse them as FORMAT and produce normalized events to "
            "events.<domain>; records that cannot be parsed go to the dlq topic. A record is "
            "acknowledged (file position saved, offset committed, HTTP 200) only after Kafka "
            "acknowledged it. Stops cleanly on SIGTERM. Topics are created if missing."
        ),
    )
    parser.add_argument("--format", "-f", required=True, help="format name (see `formats`)")
    parser.add_argument("--source", "-s", required=True, help=SOURCE_HELP)
    parser.add_argument(
        "--name",
        help="connector name: in every event's source, and its state directory "
        "(default: the format name)",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="file and kafka sources: stop at the end of the input instead of following it",
    )
    parser.add_argument("--loglevel", default="info", help="default: info")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from correlator_connectors.transports.runner import run_connector
    from correlator_connectors.transports.source import parse_source

    name = args.name or args.format.replace(":", "-").replace("/", "-")
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"--name {name!r}: use 1-64 letters, digits, '.', '_' or '-' (it names a directory)"
        )
    source = parse_source(args.source)
    logging.basicConfig(
        level=args.loglevel.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    run_connector(settings, source, args.format, name, once=args.once)
    return 0
