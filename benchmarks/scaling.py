"""Scaling of the core: tracked identities, and the number of rules, at a fixed stream.

Identities: a synthetic directory of N people (one badge, one account and one workstation
each, six sites) for N = 10k, 100k and 1M. A warm-up stream brings every person into state
(one badge in at a door of their home site and one logon on their workstation, spread over
the morning), then a fixed stream of ``--events`` events (badges, logons and logoffs, VPN
connects, firewall traffic) over people drawn at random is timed through identity and the
whole rule library. Reported per N: events/s of the timed stream (CPU time), state bytes per
identity (every key and value of the engine's and identity's stores as the RocksDB store
would write them: UTF-8 key + JSON value, over N), the same state written to a RocksDB
directory (``RocksdictStore``, closed, size on disk), and the process's peak RSS. Each N runs
in its own process, so RSS is that level's alone.

Rules: the same stream at 10k identities through 10 library rules and through 100 (each of
the 10 cloned ten times with distinct ids and windows 1 s apart); reported as the cost ratio.

Events are built directly as validated ``Event`` objects (no simulator or parsers: the
1M-person case would take hours to simulate), before timing starts.

    .venv/bin/python benchmarks/scaling.py            # 10k, 100k, 1M identities; 10 vs 100 rules
    .venv/bin/python benchmarks/scaling.py --quick    # 10k and 30k identities, 20k events
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from correlator import serde
from correlator.core import duration
from correlator.core.engine import Engine
from correlator.core.rules import load_rules
from correlator.core.rules.model import Rule
from correlator.identity import Identity
from correlator.identity.directory import Directory
from correlator.model import Event, Source
from correlator.state.store import DictStore, RocksdictStore

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
LATENESS = timedelta(minutes=3)
SITES = [
    ("hq", "FR", 48.8566, 2.3522, "Europe/Paris"),
    ("lyon", "FR", 45.764, 4.8357, "Europe/Paris"),
    ("ber", "DE", 52.52, 13.405, "Europe/Berlin"),
    ("lon", "GB", 51.5072, -0.1276, "Europe/London"),
    ("mad", "ES", 40.4168, -3.7038, "Europe/Madrid"),
    ("mil", "IT", 45.4642, 9.19, "Europe/Rome"),
]
DOORS_PER_SITE = 8
Events = list[Event]
SOURCE = Source(connector="bench", format="synthetic")


def directory(people: int) -> Directory:
    """N people, each with a badge, an account and a workstation at a home site."""
    sites, doors, cameras = [], [], []
    for n, (site, country, lat, lon, zone) in enumerate(SITES):
        nets = [{"cidr": f"10.{n + 1}.0.0/16"}, {"cidr": f"10.{n + 101}.0.0/16", "kind": "vpn"}]
        sites.append(
            {"id": site, "country": country, "latitude": lat, "longitude": lon}
            | {"timezone": zone, "networks": nets}
        )
        for d in range(DOORS_PER_SITE):
            doors.append({"id": f"{site}-d{d}", "site": site, "direction": "in", "perimeter": True})
        cameras.append({"id": f"cam-{site}", "site": site, "doors": [f"{site}-d0"]})
    persons, assets = [], []
    for i in range(people):
        site = SITES[i % len(SITES)][0]
        persons.append(
            {"id": f"p{i}", "name": f"Person {i}", "home_site": site}
            | {"credentials": [{"badge": f"b{i}"}], "accounts": [{"username": f"u{i}"}]}
        )
        assets.append({"id": f"ws{i}", "hostnames": [f"ws{i}"], "owner": f"p{i}", "site": site})
    data = {"sites": sites, "doors": doors, "cameras": cameras, "people": persons}
    return Directory.model_validate(data | {"assets": assets})


def _ip(i: int) -> str:
    """A workstation's DHCP address on its home site's network."""
    site = i % len(SITES)
    return f"10.{site + 1}.{(i // 250) % 250}.{i % 250 + 1}"


def _event(t: datetime, serial: int, domain: str, activity: str, **fields: Any) -> Event:
    raw = f"{serial}"
    return Event(
        id=f"{serial:032x}",
        time=t,
        ingest_time=t,
        source=SOURCE,
        domain=domain,
        activity=activity,
        raw=raw,
        **fields,
    )


def _badge(t: datetime, serial: int, i: int, rng: random.Random) -> Event:
    site = SITES[i % len(SITES)][0]
    door = f"{site}-d{rng.randrange(DOORS_PER_SITE)}"
    return _event(
        t,
        serial,
        "access",
        "access_granted",
        outcome="success",
        actor={"credential": f"b{i}"},
        location={"door": door},
    )


def _logon(t: datetime, serial: int, i: int, activity: str = "logon") -> Event:
    return _event(
        t,
        serial,
        "auth",
        activity,
        outcome="success",
        actor={"account": f"u{i}"},
        dst={"host": f"ws{i}"},
        attrs={"logon_type": 2},
    )


def _other(t: datetime, serial: int, i: int, rng: random.Random) -> Event:
    kind = rng.random()
    if kind < 0.1:
        return _logon(t, serial, i, "logoff")
    if kind < 0.2:
        return _event(
            t,
            serial,
            "vpn",
            "connect",
            outcome="success",
            actor={"account": f"u{i}"},
            src={"ip": f"10.{i % len(SITES) + 101}.{(i // 250) % 250}.{i % 250 + 1}"},
            attrs={"public_ip": f"203.0.113.{i % 250 + 1}"},
        )
    return _event(
        t,
        serial,
        "firewall",
        "traffic",
        src={"ip": _ip(i), "port": 50000 + i % 10000},
        dst={"ip": f"198.51.100.{i % 250 + 1}", "port": 443},
        attrs={"bytes_sent": rng.randrange(100, 100_000)},
    )


def warmup(people: int) -> list[Event]:
    """One badge in and one logon per person, over six hours of the morning."""
    rng = random.Random(1)
    step = timedelta(hours=6) / (2 * people)
    events = []
    for i in range(people):
        t = START + step * (2 * i)
        events.append(_badge(t, 2 * i, i, rng))
        events.append(_logon(t + step, 2 * i + 1, i))
    return events


def timed_stream(people: int, count: int) -> list[Event]:
    """``count`` events over the next hour, each about a person drawn at random."""
    rng = random.Random(2)
    step = timedelta(hours=1) / count
    start, serial = START + timedelta(hours=6), 10 * people
    events = []
    for n in range(count):
        i = rng.randrange(people)
        t = start + step * n
        kind = rng.random()
        if kind < 0.3:
            events.append(_badge(t, serial + n, i, rng))
        elif kind < 0.6:
            events.append(_logon(t, serial + n, i))
        else:
            events.append(_other(t, serial + n, i, rng))
    return events


def clones(rules: list[Rule], times: int) -> list[Rule]:
    """Each rule ``times`` times: distinct ids, windows one second apart."""
    out = []
    for rule in rules:
        window = duration.parse_us(rule.correlation.window) // 1_000_000
        for k in range(times):
            corr = rule.correlation.model_copy(update={"window": f"{window + k}s"})
            out.append(rule.model_copy(update={"id": f"{rule.id}-{k}", "correlation": corr}))
    return out


def run(rules: list[Rule], ident: Identity, store: DictStore, warm: Events, timed: Events) -> float:
    """CPU seconds of the timed stream, after the warm-up (not timed)."""
    engine = Engine(rules, store, identity=ident, lateness=LATENESS)
    for i, event in enumerate(warm, 1):
        engine.process(event)
        if not i % 200_000:
            print(f"  warm-up {i:,}/{len(warm):,}", file=sys.stderr, flush=True)
    gc.collect()
    started = time.process_time()
    for event in timed:
        engine.process(event)
    return time.process_time() - started


def state_bytes(*stores: DictStore) -> tuple[int, int]:
    """Bytes of every key and value as the RocksDB store encodes them, and on disk there."""
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        rocks = RocksdictStore(Path(tmp) / "state")
        for store in stores:
            for key in store.keys():  # noqa: SIM118 (a Store is not iterable)
                value = store.get(key)
                total += len(key.encode()) + len(serde.dumps(value))
                rocks.put(key, value)
        rocks.close()
        disk = sum(f.stat().st_size for f in (Path(tmp) / "state").rglob("*") if f.is_file())
    return total, disk


def level(people: int, events: int) -> dict[str, Any]:
    """One identity count, in this process: throughput, state size, RSS."""
    library = [r.rule for r in load_rules([ROOT / "rules"])]
    built = time.process_time()
    ident = Identity(directory(people))
    warm, timed = warmup(people), timed_stream(people, events)
    print(f"  {people:,} people: built in {time.process_time() - built:.0f} s", file=sys.stderr)
    gc.collect()
    gc.freeze()
    engine_store = DictStore()
    seconds = run(library, ident, engine_store, warm, timed)
    identity_store = ident.store
    assert isinstance(identity_store, DictStore)
    encoded, disk = state_bytes(engine_store, identity_store)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "people": people,
        "events": len(timed),
        "seconds": seconds,
        "keys": len(engine_store) + len(identity_store),
        "bytes": encoded,
        "disk": disk,
        "rss": rss,
    }


def rules_ratio(people: int, events: int, runs: int) -> dict[str, Any]:
    """The timed stream through 10 library rules and through 100 (clones), same process."""
    library = [r.rule for r in load_rules([ROOT / "rules"])]
    ten = library[:10]
    hundred = clones(ten, 10)
    directory_ = directory(people)
    warm, timed = warmup(people), timed_stream(people, events)
    gc.collect()
    gc.freeze()
    times: dict[int, list[float]] = {10: [], 100: []}
    for _ in range(runs):
        for rules in (ten, hundred):
            times[len(rules)].append(run(rules, Identity(directory_), DictStore(), warm, timed))
            gc.collect()
    ten_s, hundred_s = statistics.median(times[10]), statistics.median(times[100])
    return {"people": people, "events": events, "ten": ten_s, "hundred": hundred_s}


def child(args: argparse.Namespace) -> None:
    if args.level:
        out = level(args.level, args.events)
    else:
        out = rules_ratio(args.rules_people, args.events, args.runs)
    print(json.dumps(out))


def spawn(*extra: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, *extra]
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 30k identities")
    parser.add_argument("--people", default="10000,100000,1000000")
    parser.add_argument("--events", type=int, help="timed events (default 200k; quick 20k)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the rules comparison")
    parser.add_argument("--rules-people", type=int, default=10_000)
    parser.add_argument("--level", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rules-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.events = args.events or (20_000 if args.quick else 200_000)
    if args.level or args.rules_only:
        child(args)
        return
    people = [10_000, 30_000] if args.quick else [int(p) for p in args.people.split(",")]
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores; {args.events:,} timed "
        f"events per row, whole library, dict store, CPU time"
    )
    rows = []
    for n in people:
        print(f"{n:,} identities ...", file=sys.stderr, flush=True)
        rows.append(spawn("--level", str(n), "--events", str(args.events)))
    print(
        f"\n| {'identities':>10} | {'events/s':>9} | {'state keys':>10} | {'B/identity':>10} | "
        f"{'on disk B/id':>12} | {'RSS MiB':>8} |"
    )
    print(f"|{'-' * 11}:|{'-' * 10}:|{'-' * 11}:|{'-' * 11}:|{'-' * 13}:|{'-' * 9}:|")
    for r in rows:
        print(
            f"| {r['people']:>10,} | {r['events'] / r['seconds']:>9,.0f} | {r['keys']:>10,} | "
            f"{r['bytes'] / r['people']:>10,.0f} | {r['disk'] / r['people']:>12,.0f} | "
            f"{r['rss'] / 2**20:>8,.0f} |"
        )
    print(f"rules: 10 vs 100 at {args.rules_people:,} identities ...", file=sys.stderr, flush=True)
    ratio = spawn(
        "--rules-only",
        "--events",
        str(args.events),
        "--runs",
        str(1 if args.quick else args.runs),
        "--rules-people",
        str(args.rules_people),
    )
    events = ratio["events"]
    print(f"\n| {'rules':>5} | {'events/s':>9} | {'µs/event':>8} | {'cost vs 10':>10} |")
    print(f"|{'-' * 6}:|{'-' * 10}:|{'-' * 9}:|{'-' * 11}:|")
    for count, seconds in ((10, ratio["ten"]), (100, ratio["hundred"])):
        print(
            f"| {count:>5} | {events / seconds:>9,.0f} | {seconds / events * 1e6:>8.1f} | "
            f"{seconds / ratio['ten']:>10.2f} |"
        )


if __name__ == "__main__":
    main()
