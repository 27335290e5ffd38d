"""One simulation run: organisation, incidents, normal behaviour, feeds, truth and manifest.

Everything comes from one ``random.Random(seed)`` consumed in a fixed order, and no clock
is read, so a seed always gives byte-identical output.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from correlator import serde
from correlator.errors import CorrelatorError
from correlator.sim.behaviour import count_crossings, normal_day
from correlator.sim.day import Day, Pools
from correlator.sim.feeds import LATENESS, plan_feeds, write_feeds
from correlator.sim.incidents import Injector
from correlator.sim.org import MAX_SITES, build_org

DEFAULT_START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
MANIFEST = "manifest.json"
DIRECTORY = "directory.json"
TRUTH = "truth.jsonl"


class SimulationError(CorrelatorError):
    """A simulation that cannot be generated as asked (too few sites, no whole day)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    seed: int = 1
    people: int = 500
    sites: int = 3
    hours: int = 168
    incidents: int = 2
    """Incidents per rule."""
    start: datetime = DEFAULT_START

    def check(self) -> None:
        if not 2 <= self.sites <= MAX_SITES:
            raise SimulationError(
                f"--sites {self.sites}: give 2 to {MAX_SITES} (rules compare sites)"
            )
        if self.hours < 24:
            raise SimulationError(f"--hours {self.hours}: give at least 24 (one whole day)")
        if self.people < 20:
            raise SimulationError(f"--people {self.people}: give at least 20")
        if self.incidents < 0:
            raise SimulationError("--incidents: give 0 or more per rule")


def simulate(scenario: Scenario, out: Path) -> dict[str, Any]:
    """Write the simulation into ``out`` (created if needed); returns the manifest."""
    scenario.check()
    rng = random.Random(scenario.seed)
    start, end = scenario.start, scenario.start + timedelta(hours=scenario.hours)
    org = build_org(rng, scenario.people, scenario.sites, start)
    day = Day(rng, org, Pools())
    whole = [(i, start.date() + timedelta(days=i)) for i in range(scenario.hours // 24)]
    weekdays = [(i, d) for i, d in whole if d.weekday() < 5] or whole
    injector = Injector(day, weekdays)
    injector.run(scenario.incidents)
    for index in range(scenario.hours // 24 + 2):  # nobody is in before the start
        normal_day(day, start.date() + timedelta(days=index), index, injector.reserved)
    count_crossings(day)
    feeds = plan_feeds(org, rng)
    out.mkdir(parents=True, exist_ok=True)
    counts = write_feeds(feeds, day.facts, out, start, end, rng)
    (out / DIRECTORY).write_bytes(serde.dumps_pretty(org.directory()))
    with (out / TRUTH).open("wb") as truth:
        for incident in injector.incidents:
            truth.write(serde.dumps(incident.to_json()) + b"\n")
    manifest = {
        "seed": scenario.seed,
        "people": scenario.people,
        "sites": scenario.sites,
        "hours": scenario.hours,
        "start": start,
        "end": end,
        "lateness": LATENESS,
        "directory": DIRECTORY,
        "truth": TRUTH,
        "incidents": len(injector.incidents),
        "feeds": [
            {
                "name": name,
                "path": feed.path,
                "format": feed.writer.format,
                "records": counts[name],
                "skew_ms": feed.skew // timedelta(milliseconds=1),
                "batched": feed.batched,
            }
            for name, feed in feeds.items()
        ],
    }
    (out / MANIFEST).write_bytes(serde.dumps_pretty(manifest))
    return manifest
