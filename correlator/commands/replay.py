"""``correlator replay``: run the rules offline over recorded events; alerts as JSON lines."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from correlator import serde
from correlator.core import duration
from correlator.core.engine import Engine
from correlator.core.replay import Summary, merge, open_input, replay
from correlator.core.rules import load_rules
from correlator.gcpolicy import for_engine_state
from correlator.identity.view import IdentityView, NullIdentity
from correlator.model import Alert
from correlator.settings import Settings

MAX_BAD_SHOWN = 20


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "replay",
        help="Replay recorded events through the rules; alerts as JSON lines.",
        description="Merge inputs by event time, run the engine, write alerts as JSON lines. "
        "An input is a JSON-lines file of normalized events, or FORMAT:PATH for a raw feed.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="events.jsonl or FORMAT:PATH")
    parser.add_argument("--rules", type=Path, default=Path("rules"), help="default: rules/")
    parser.add_argument("--directory", type=Path, help="directory file for identity resolution")
    parser.add_argument("--lateness", default="1m", help="allowed lateness (default: 1m)")
    parser.add_argument("-o", "--output", type=Path, help="write alerts here (default: stdout)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    for_engine_state()
    try:
        lateness = timedelta(microseconds=duration.parse_us(args.lateness))
    except ValueError as exc:
        print(f"correlator replay: --lateness: {exc}", file=sys.stderr)
        return 2
    rules = [loaded.rule for loaded in load_rules([args.rules])]
    engine = Engine(rules, identity=_identity(args.directory, lateness), lateness=lateness)
    bad = 0

    def on_bad(where: str, reason: str) -> None:
        nonlocal bad
        bad += 1
        if bad <= MAX_BAD_SHOWN:
            print(f"{where}: skipped: {reason}", file=sys.stderr)

    started = time.monotonic()
    with ExitStack() as stack:
        out: BinaryIO = (
            stack.enter_context(args.output.open("wb")) if args.output else sys.stdout.buffer
        )

        def on_alert(alert: Alert) -> None:
            out.write(serde.encode_model(alert) + b"\n")

        events = merge([open_input(spec, on_bad) for spec in args.inputs])
        progress = _progress(started) if sys.stderr.isatty() else None
        summary = replay(engine, events, on_alert, progress=progress)
    summary.bad = bad
    _report(summary, len(rules), time.monotonic() - started)
    return 0


def _identity(path: Path | None, lateness: timedelta) -> IdentityView:
    if path is None:
        return NullIdentity()
    from correlator.identity import Identity, load_directory

    return Identity(load_directory(path), lateness=lateness)


def _progress(started: float) -> Callable[[Summary], None]:
    def show(summary: Summary) -> None:
        rate = summary.events / max(time.monotonic() - started, 1e-9)
        print(
            f"\r{summary.events:,} events, {summary.alerts:,} alerts, {rate:,.0f} ev/s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show


def _report(summary: Summary, rules: int, seconds: float) -> None:
    rate = summary.events / max(seconds, 1e-9)
    print(
        f"\rreplayed {summary.events:,} events with {rules} rules in {seconds:.1f}s "
        f"({rate:,.0f} ev/s): {summary.alerts:,} alerts, {summary.suppressed:,} suppressed, "
        f"{summary.late:,} late, {summary.duplicates:,} duplicates, {summary.bad:,} bad lines",
        file=sys.stderr,
    )
