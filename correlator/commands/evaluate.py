"""``correlator evaluate``: detection quality of the rules on a simulator output."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from correlator import serde
from correlator.core import duration
from correlator.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "evaluate",
        help="Replay a simulator output and score the rules against its truth.",
        description="Replay the feeds of a `correlator simulate` output through the rules "
        "and print true/false positives, misses, precision and recall per rule. Exit 1 when "
        "a rule the simulator targets misses --min-recall or --min-precision.",
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="a correlator simulate --out")
    parser.add_argument("--rules", type=Path, default=Path("rules"), help="default: rules/")
    parser.add_argument("--lateness", help="allowed lateness (default: the manifest's)")
    parser.add_argument("--min-recall", type=float, default=1.0, help="default: 1.0")
    parser.add_argument("--min-precision", type=float, default=0.95, help="default: 0.95")
    parser.add_argument("--alerts", type=Path, help="also write the alerts here (JSON lines)")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list missed incidents and false-positive alert ids",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from correlator.core.rules import load_rules
    from correlator.gcpolicy import for_engine_state
    from correlator.sim import RULES
    from correlator.sim.evaluate import evaluate
    from correlator.sim.report import failures, render

    for_engine_state()
    lateness = None
    if args.lateness:
        try:
            lateness = timedelta(microseconds=duration.parse_us(args.lateness))
        except ValueError as exc:
            print(f"correlator evaluate: --lateness: {exc}", file=sys.stderr)
            return 2
    rules = [loaded.rule for loaded in load_rules([args.rules])]
    result = evaluate(args.dir, rules, lateness)
    if args.alerts:
        with args.alerts.open("wb") as out:
            for alert in result.alerts:
                out.write(serde.encode_model(alert) + b"\n")
    loaded = {rule.id for rule in rules}
    print(render(result, RULES, loaded, args.verbose))
    failed = failures(result.scores, RULES, loaded, args.min_recall, args.min_precision)
    for line in failed:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if failed else 0
