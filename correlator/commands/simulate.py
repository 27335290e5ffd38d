"""``correlator simulate``: a deterministic organisation with raw feeds and labelled incidents."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from correlator.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "simulate",
        help="Generate an organisation, raw feeds and labelled incidents (for evaluate).",
        description="Write a directory file, raw feeds (ONVIF, CSV door export, Suricata, "
        "Zeek DHCP, PAN-OS, Windows logons), truth.jsonl and manifest.json into --out. "
        "The same seed gives byte-identical output.",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--people", type=int, default=500, help="default: 500")
    parser.add_argument("--sites", type=int, default=3, help="2 to 6 (default: 3)")
    parser.add_argument("--hours", type=int, default=168, help="default: 168 (7 days)")
    parser.add_argument("--incidents", type=int, default=2, help="per rule (default: 2)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from correlator.sim import Scenario, SimulationError, simulate

    scenario = Scenario(
        seed=args.seed,
        people=args.people,
        sites=args.sites,
        hours=args.hours,
        incidents=args.incidents,
    )
    try:
        manifest = simulate(scenario, args.out)
    except SimulationError as exc:
        print(f"correlator simulate: {exc}", file=sys.stderr)
        return 2
    records = sum(feed["records"] for feed in manifest["feeds"])
    print(
        f"wrote {records:,} records in {len(manifest['feeds'])} feeds, "
        f"{manifest['incidents']} incidents, into {args.out}",
        file=sys.stderr,
    )
    return 0
