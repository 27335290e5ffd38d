"""The simulator's output: deterministic, parseable, valid, and labelled with known rules."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from correlator_connectors.formats import get_parser
from correlator_connectors.parsers.base import ParseContext, Reject

from correlator import serde
from correlator.identity import load_directory
from correlator.sim import RULES, Scenario, SimulationError, simulate
from tests.unit.sim.conftest import SMALL

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"


def _files(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def test_same_seed_gives_byte_identical_output(small_sim: Path, tmp_path: Path) -> None:
    simulate(SMALL, tmp_path / "again")
    assert _files(tmp_path / "again") == _files(small_sim)


def test_another_seed_gives_other_output(small_sim: Path, tmp_path: Path) -> None:
    simulate(dataclasses.replace(SMALL, seed=8), tmp_path / "other")
    other, first = _files(tmp_path / "other"), _files(small_sim)
    assert other.keys() == first.keys()
    assert [name for name in first if other[name] == first[name]] == []


def _parse(fmt: str, path: Path) -> tuple[int, list[str]]:
    parser = get_parser(fmt)
    framer = parser.framer()
    ctx = ParseContext(connector="test", ingest_time=datetime(2026, 1, 1, tzinfo=UTC))
    events, rejects = 0, []
    for frame in [*framer.feed(path.read_bytes()), *framer.flush()]:
        result = parser.parse(frame.data, ctx)
        if isinstance(result, Reject):
            rejects.append(f"{path.name}:{frame.line}: {result.reason}")
        else:
            events += len(result)
    return events, rejects


def test_every_feed_record_parses_without_reject(small_sim: Path) -> None:
    manifest = serde.loads((small_sim / "manifest.json").read_bytes())
    formats = {feed["format"] for feed in manifest["feeds"]}
    assert {"onvif", "csv-doors", "suricata", "zeek", "panos", "winevent"} <= formats
    for feed in manifest["feeds"]:
        events, rejects = _parse(feed["format"], small_sim / feed["path"])
        assert rejects == []
        assert events == feed["records"] > 0, feed["name"]


def test_batched_door_export_is_out_of_time_order_but_within_lateness(small_sim: Path) -> None:
    manifest = serde.loads((small_sim / "manifest.json").read_bytes())
    (feed,) = [f for f in manifest["feeds"] if f["batched"]]
    stamps = [
        datetime.fromisoformat(line.split(",", 1)[0])
        for line in (small_sim / feed["path"]).read_text().splitlines()[1:]
    ]
    backwards = [b - a for a, b in itertools.pairwise(stamps) if b < a]
    assert backwards, "a batched export should hold records older than the one before"
    assert max(-gap.total_seconds() for gap in backwards) <= 180


def test_directory_validates_and_describes_the_organisation(small_sim: Path) -> None:
    directory = load_directory(small_sim / "directory.json")
    assert len(directory.people) == SMALL.people
    assert len({site.country for site in directory.sites}) >= 2
    assert {p.status for p in directory.people} >= {"active", "terminated"}
    kinds = {a.kind for a in directory.assets}
    assert {"laptop", "workstation", "server"} <= kinds
    assert all(camera.doors for camera in directory.cameras if camera.zone is not None)
    assert any(
        site.networks and any(n.kind == "vpn" for n in site.networks) for site in directory.sites
    )


def test_truth_names_only_known_rules_and_covers_each(small_sim: Path) -> None:
    """Side rules in ``also`` must be shipped: a stale name would excuse nothing."""
    rows = [serde.loads(line) for line in (small_sim / "truth.jsonl").read_bytes().splitlines()]
    shipped = {path.stem for path in RULES_DIR.glob("*.yaml")}
    assert {row["rule"] for row in rows} == set(RULES)
    assert all(set(row["also"]) <= shipped for row in rows)
    assert all(row["start"] <= row["end"] for row in rows)
    assert len({row["incident"] for row in rows}) == len(rows)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"sites": 1}, r"--sites 1: give 2 to 6", id="one-site"),
        pytest.param({"hours": 12}, r"--hours 12: give at least 24", id="half-day"),
        pytest.param({"people": 5}, r"--people 5: give at least 20", id="tiny"),
    ],
)
def test_impossible_scenarios_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        dataclasses.replace(Scenario(), **change).check()
