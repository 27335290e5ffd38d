"""``correlator directory load FILE``: validate a directory and hand it to the workers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from correlator.errors import DirectoryError
from correlator.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("directory", help="Publish the identity directory to the workers.")
    actions = parser.add_subparsers(dest="directory_action", metavar="ACTION", required=True)
    load = actions.add_parser(
        "load",
        help="Validate FILE, then publish it to the compacted 'directory' topic.",
        description="An invalid file publishes nothing (exit 1, every problem listed). "
        "Running workers switch to the new directory within a second; what they learned "
        "(DHCP, VPN and logon bindings, presence) stays.",
    )
    load.add_argument("file", type=Path, help="directory file (YAML or JSON)")
    load.set_defaults(run=run_load)


def run_load(args: argparse.Namespace, settings: Settings) -> int:
    from correlator.runtime.control import directory_record, publish
    from correlator.runtime.topics import ensure_topics, standard_topics

    try:
        record = directory_record(args.file)
    except DirectoryError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing published", file=sys.stderr)
        return 1
    ensure_topics(settings, standard_topics(settings))
    publish(settings, settings.topic("directory"), [record])
    print(f"directory {args.file} published")
    return 0
