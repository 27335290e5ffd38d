"""Core throughput: a simulator stream through identity resolution and the rules, per store.

The stream is one simulated organisation (``correlator.sim``): its raw feeds parsed once by
the connectors' parsers into validated ``Event`` objects, merged by event time, and cached
under ``.state/bench/`` (keyed by the scenario) so reruns skip the preparation. Each row
replays the whole stream through a fresh ``Identity`` (the simulated directory) and a fresh
``Engine``, timing ``process`` for every event plus the final flush. The baseline is a
hand-written plain-Python version of three rules (``benchmarks/baseline_rules.py``) over the
same events; ratios are measured in the same run. Each figure is the median of ``--runs``,
timed in CPU seconds of this process (``time.process_time``): on a shared machine wall time
also counts other processes' turns on the core.

    .venv/bin/python benchmarks/core_throughput.py                  # >= 1M events, 100k people
    .venv/bin/python benchmarks/core_throughput.py --people 20000   # ~0.23M events
    .venv/bin/python benchmarks/core_throughput.py --quick          # 2k people, ~24k events
    .venv/bin/python benchmarks/core_throughput.py --people 20000 --profile   # where time goes
    .venv/bin/python benchmarks/core_throughput.py --quick --gc python  # CPython's collector
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import os
import pickle
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from correlator import serde
from correlator.core import duration
from correlator.core.engine import Engine
from correlator.core.replay import merge, open_input
from correlator.core.rules import load_rules
from correlator.core.rules.model import Rule
from correlator.gcpolicy import for_engine_state
from correlator.identity import Identity
from correlator.identity.directory import Directory
from correlator.model import Event
from correlator.sim import Scenario, simulate
from correlator.sim.evaluate import read_manifest
from correlator.state.store import DictStore, RocksdictStore, Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_rules import BASELINE_RULES, Baseline

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".state" / "bench"


@dataclass(frozen=True, slots=True)
class Prepared:
    directory: Directory
    lateness: timedelta
    events: list[Event]


def prepare(scenario: Scenario) -> Prepared:
    """The scenario's events, parsed and merged once, then read back from the cache."""
    name = f"sim-s{scenario.seed}-p{scenario.people}-x{scenario.sites}-h{scenario.hours}"
    out = CACHE / name
    cached = out / "events.pickle"
    if not cached.is_file():
        print(f"preparing {name} (once; cached in {out}) ...", flush=True)
        manifest = simulate(scenario, out)
        specs = [f"{feed['format']}:{out / feed['path']}" for feed in manifest["feeds"]]
        events = list(merge(open_input(spec, _ignore) for spec in specs))
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(events, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.rename(cached)
    manifest = read_manifest(out)
    events = pickle.loads(cached.read_bytes())
    lateness = timedelta(microseconds=duration.parse_us(manifest["lateness"]))
    directory = _directory(out / manifest["directory"])
    return Prepared(directory, lateness, events)


def _directory(path: Path) -> Directory:
    """Validated straight from JSON (the YAML loader, for line numbers in errors, takes
    minutes). Beyond ~60,000 assets the simulator numbers static IPs past .255 (10.1.256.1);
    those addresses are dropped, the assets kept."""
    data = serde.loads(path.read_bytes())
    for asset in data.get("assets", []):
        asset["ips"] = [ip for ip in asset.get("ips", []) if _valid_ip(ip)]
    return Directory.model_validate(data)


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ignore(where: str, why: str) -> None:
    """Feed records the parsers reject (headers, unsupported types) are not events."""


@dataclass(slots=True)
class Run:
    seconds: float
    alerts: list[str]
    """Alert ids (engine) or ``rule|key|time`` (baseline), to compare runs and versions."""


def run_engine(rules: list[Rule], store: Store, prepared: Prepared) -> Run:
    identity = Identity(prepared.directory)
    engine = Engine(rules, store, identity=identity, lateness=prepared.lateness)
    process, alerts = engine.process, list[str]()
    started = time.process_time()
    for i, event in enumerate(prepared.events, 1):
        found = process(event).alerts
        if found:
            alerts.extend(a.id for a in found)
        if not i % PROGRESS_EVERY:
            _progress(i, len(prepared.events), started)
    alerts.extend(a.id for a in engine.flush())
    return Run(time.process_time() - started, alerts)


PROGRESS_EVERY = 100_000


def _progress(done: int, total: int, started: float) -> None:
    """A line on stderr now and then: a library run over the full stream takes minutes."""
    spent = time.process_time() - started
    print(f"  {done:>9,}/{total:,} events, {done / spent:,.0f}/s", file=sys.stderr, flush=True)


def run_baseline(prepared: Prepared) -> Run:
    baseline = Baseline(prepared.directory)
    on_event = baseline.on_event
    started = time.process_time()
    for event in prepared.events:
        on_event(event)
    return Run(time.process_time() - started, baseline.alerts)


def median_run(runs: int, once: Callable[[], Run]) -> tuple[float, list[str]]:
    """Median seconds over ``runs``; every run must give the same alerts."""
    results = []
    for _ in range(runs):
        gc.collect()
        results.append(once())
    first = sorted(results[0].alerts)
    if any(sorted(r.alerts) != first for r in results[1:]):
        raise SystemExit("two runs of the same configuration gave different alerts")
    return statistics.median(r.seconds for r in results), results[0].alerts


def run_store(store: str, rules: list[Rule], prepared: Prepared) -> Run:
    if store == "dict":
        return run_engine(rules, DictStore(), prepared)
    with tempfile.TemporaryDirectory() as tmp:
        rocks = RocksdictStore(Path(tmp) / "state")
        try:
            return run_engine(rules, rocks, prepared)
        finally:
            rocks.close()


def profile(rules: list[Rule], prepared: Prepared) -> None:
    """Where one run's time goes (``pip install -e '.[dev]'`` brings pyinstrument)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    run_engine(rules, DictStore(), prepared)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2k people (~24k events), one run")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, help="runs per row, median (default 3; quick 1)")
    parser.add_argument("--stores", default="dict,rocksdict")
    parser.add_argument(
        "--profile", action="store_true", help="profile one library run (pyinstrument) instead"
    )
    parser.add_argument("--alert-ids", type=Path, help="write the full library's alert ids here")
    parser.add_argument(
        "--gc",
        choices=("engine", "python"),
        default="engine",
        help="collector thresholds: the engine processes' (correlator.gcpolicy, the default) "
        "or CPython's own",
    )
    args = parser.parse_args()
    if args.gc == "engine":
        for_engine_state()
    people = 2_000 if args.quick else args.people
    runs = args.runs or (1 if args.quick else 3)
    prepared = prepare(Scenario(seed=args.seed, people=people, sites=args.sites, hours=args.hours))
    # The prepared stream is input, not engine state: keep the collector from scanning it.
    gc.collect()
    gc.freeze()
    library = [r.rule for r in load_rules([ROOT / "rules"])]
    three = [r for r in library if r.id in BASELINE_RULES]
    count = len(prepared.events)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores; {people:,} people, "
        f"{args.hours} h, {count:,} events; {len(library)} rules; median of {runs} runs, CPU time; "
        f"gc thresholds {gc.get_threshold()}"
    )
    if args.profile:
        profile(library, prepared)
        return
    rows: list[tuple[str, str, float, int]] = []
    base, base_alerts = median_run(runs, lambda: run_baseline(prepared))
    rows.append(("baseline (plain Python)", "-", base, len(base_alerts)))
    for store in args.stores.split(","):
        for label, rules in ((f"engine, {len(three)} rules", three), ("engine, library", library)):
            print(f"{label}, {store} store ...", file=sys.stderr, flush=True)
            seconds, ids = median_run(runs, partial(run_store, store, rules, prepared))
            rows.append((label, store, seconds, len(ids)))
            if args.alert_ids and rules is library and store == "dict":
                args.alert_ids.write_text("".join(f"{i}\n" for i in sorted(ids)))
    print(
        f"\n| {'run':<24} | {'store':<9} | {'events/s':>9} | {'µs/event':>8} | "
        f"{'vs baseline':>11} | {'alerts':>6} |"
    )
    print(f"|{'-' * 26}|{'-' * 11}|{'-' * 10}:|{'-' * 9}:|{'-' * 12}:|{'-' * 7}:|")
    for label, store, seconds, alerts in rows:
        print(
            f"| {label:<24} | {store:<9} | {count / seconds:>9,.0f} | "
            f"{seconds / count * 1e6:>8.1f} | {base / seconds:>11.2f} | {alerts:>6,} |"
        )


if __name__ == "__main__":
    main()
