"""Core engine throughput: events per second through the shipped rules, per state store.

Generates a deterministic stream of physical-access and logon events over many keys (doors,
badges, accounts), slightly out of order within the allowed lateness, and replays it through
one engine per store. Only ``engine.process`` (and the final flush) is timed; generating the
events is not.

    .venv/bin/python benchmarks/core_throughput.py --events 1000000 --keys 10000
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from correlator.core.engine import Engine
from correlator.core.rules import load_rules
from correlator.model import Event
from correlator.state.store import DictStore, RocksdictStore, Store

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
CHUNK = 50_000
LATENESS = timedelta(seconds=10)

# (weight, domain, activity, outcome)
MIX = [
    (40, "access", "access_granted", "success"),
    (5, "access", "access_denied", "failure"),
    (1, "access", "door_forced", None),
    (30, "auth", "logon", "success"),
    (12, "auth", "logon", "failure"),
    (12, "ids", "alert", None),
]


def stream(count: int, keys: int, seed: int = 7) -> Iterator[list[Event]]:
    """Chunks of events; every 5 ms on average, jittered by up to the lateness."""
    rnd = random.Random(seed)
    kinds = [kind for kind in MIX for _ in range(kind[0])]
    chunk: list[Event] = []
    jitter = int(LATENESS / timedelta(milliseconds=1))
    for i in range(count):
        _, domain, activity, outcome = rnd.choice(kinds)
        key = rnd.randrange(keys)
        when = T0 + timedelta(milliseconds=5 * i - rnd.randrange(jitter))
        data: dict[str, object] = {
            "id": f"e{i}",
            "time": when,
            "ingest_time": when,
            "source": {"connector": "bench", "format": "bench"},
            "domain": domain,
            "activity": activity,
            "outcome": outcome,
        }
        if domain == "access":
            data["location"] = {"door": f"door-{key}"}
            data["actor"] = {"credential": f"b{key}"}
        else:
            data["actor"] = {"account": f"user{key}"}
            data["src"] = {"ip": f"10.{key % 256}.{key // 256 % 256}.1"}
        chunk.append(Event.model_validate(data))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def measure(name: str, store: Store, count: int, keys: int) -> None:
    loaded = load_rules([ROOT / "rules"])
    rules = [r.rule for r in loaded if not any(case.directory for case in r.rule.tests)]
    engine = Engine(rules, store, lateness=LATENESS)
    busy = 0.0
    alerts = 0
    peak = 0
    for chunk in stream(count, keys):
        # The generated chunk is not engine state: keep the collector from scanning it, as a
        # worker would never hold 50,000 decoded events at once.
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        for event in chunk:
            alerts += len(engine.process(event).alerts)
        busy += time.perf_counter() - started
        peak = max(peak, sum(1 for _ in store.keys()))  # noqa: SIM118 (a Store is not iterable)
    started = time.perf_counter()
    alerts += len(engine.flush())
    busy += time.perf_counter() - started
    stats = engine.stats
    print(
        f"{name:<10} {count:>9,} events {busy:8.1f} s {count / busy:>9,.0f} events/s  "
        f"alerts {alerts:,} suppressed {stats.suppressed:,} late {stats.late:,} "
        f"peak state keys {peak:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--stores", default="dict,rocksdict")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {args.keys:,} keys")
    for name in args.stores.split(","):
        if name == "dict":
            measure(name, DictStore(), args.events, args.keys)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                store = RocksdictStore(Path(tmp) / "state")
                try:
                    measure(name, store, args.events, args.keys)
                finally:
                    store.close()


if __name__ == "__main__":
    main()
