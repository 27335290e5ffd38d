"""``correlator schemas write|check``: the JSON Schemas in ``schemas/``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from correlator import schemas
from correlator.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("schemas", help="Write or check the JSON Schemas in schemas/.")
    parser.add_argument("action", choices=["write", "check"])
    parser.add_argument("--dir", type=Path, default=Path("schemas"), help="default: schemas/")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "write":
        for path in schemas.write(args.dir):
            print(path)
        return 0
    outdated = schemas.stale(args.dir)
    for name in outdated:
        print(f"{args.dir / name}: stale, run `correlator schemas write`", file=sys.stderr)
    return 1 if outdated else 0
