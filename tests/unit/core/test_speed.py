"""``speed_kmh``: how fast one would have to travel between two steps' positions."""

from __future__ import annotations

import math
from typing import Any

import pytest

from correlator.core.predicates import travel_kmh
from correlator.model import Event
from tests.unit.core.kit import ev, loader_problems, rule, run

PARIS, LYON = (48.8566, 2.3522), (45.764, 4.8357)
HOUR = 3_600_000_000


def test_paris_to_lyon_is_about_392_km() -> None:
    assert travel_kmh(PARIS, 0, LYON, HOUR) == pytest.approx(392, abs=2)
    assert travel_kmh(list(LYON), 0, list(PARIS), 2 * HOUR) == pytest.approx(196, abs=1)


@pytest.mark.parametrize(
    ("start", "end", "elapsed", "expected"),
    [
        pytest.param(PARIS, LYON, 0, math.inf, id="no-time-over-a-distance"),
        pytest.param(PARIS, PARIS, 0, 0.0, id="same-place-same-time"),
        pytest.param(PARIS, None, HOUR, None, id="missing-position"),
        pytest.param(PARIS, ("x", 1), HOUR, None, id="not-a-position"),
        pytest.param(("48.8566", "2.3522"), LYON, HOUR, pytest.approx(392, abs=2), id="text"),
    ],
)
def test_edge_cases(start: Any, end: Any, elapsed: int, expected: Any) -> None:
    assert travel_kmh(start, 0, end, elapsed) == expected


class Sites:
    """Identity that places an event at its ``location.site`` and knows two sites' positions."""

    def observe(self, event: Event) -> Event:
        return event

    def attribute(self, event: Event, path: str) -> Any:
        site = event.location.site if event.location else None
        return {"paris": PARIS, "lyon": LYON}.get(site or "") if path == "site.geo" else None


TRAVEL = """
correlation:
  type: temporal_ordered
  by: actor.credential
  window: 12h
  steps:
    - {name: first, match: {activity: access_granted}}
    - name: second
      match:
        activity: access_granted
        site.geo: {speed_kmh: {from: {ref: first.site.geo}, gt: 900}}
"""


def badge(minutes: float, site: str) -> Event:
    return ev(
        minutes * 60,
        "access_granted",
        key=site,
        actor={"credential": "7"},
        location={"site": site},
        id=f"{site}@{minutes}",
    )


@pytest.mark.parametrize(
    ("events", "alerts"),
    [
        pytest.param([badge(0, "paris"), badge(20, "lyon")], 1, id="lyon-20-minutes-later"),
        pytest.param([badge(0, "paris"), badge(60, "lyon")], 0, id="lyon-an-hour-later"),
        pytest.param([badge(0, "paris"), badge(1, "paris")], 0, id="same-site"),
        pytest.param(
            [badge(0, "paris"), badge(180, "paris"), badge(200, "lyon")],
            1,
            id="latest-badge-counts",
        ),
    ],
)
def test_speed_between_two_steps(events: list[Event], alerts: int) -> None:
    found, _ = run([rule(TRAVEL)], events, identity=Sites())
    assert len(found) == alerts


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        pytest.param(
            "temporal_ordered",
            "steps: [{name: a, match: {domain: access}}, "
            "{name: b, match: {site.geo: {speed_kmh: {from: {ref: a.site.geo}}}}}]",
            "give a speed to compare",
            id="no-comparison",
        ),
        pytest.param(
            "event_count",
            "match: {site.geo: {speed_kmh: {from: {ref: a.site.geo}, gt: 1}}}\n"
            "  condition: {gte: 1}",
            "only allowed in steps of a sequence",
            id="counting-rule",
        ),
    ],
)
def test_loader_rejects_misused_speed(tmp_path: Any, kind: str, body: str, expected: str) -> None:
    problems = loader_problems(tmp_path, kind, body)
    assert len(problems) == 1, problems
    assert expected in problems[0]
