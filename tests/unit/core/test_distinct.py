"""``{distinct: STEP.PATH}``: compare a field with how many distinct values an earlier step saw.

The tailgating shape: a camera counts the people of a door cycle; every badge granted at that
door in the cycle is one person allowed in.
"""

from __future__ import annotations

from typing import Any

import pytest

from correlator.model import Alert, Event
from tests.unit.core.kit import ev, loader_problems, rule, run

CYCLE = rule(
    """
correlation:
  type: temporal_ordered
  by: location.site
  window: 20s
  steps:
    - {name: granted, match: {activity: access_granted}}
    - name: crossing
      match:
        activity: people_count
        attrs.count: {gt: {distinct: granted.actor.credential}}
        location.door: {ref: granted.location.door}
""",
    id="cycle",
)


def grant(t: float, badge: str, door: str = "main") -> Event:
    return ev(
        t,
        "access_granted",
        id=f"grant-{badge}@{t}/{door}",
        actor={"credential": badge},
        location={"door": door, "site": "hq"},
    )


def count(t: float, people: int, door: str = "main") -> Event:
    return ev(
        t,
        "people_count",
        domain="video",
        id=f"count@{t}/{door}",
        attrs={"count": people},
        location={"door": door, "site": "hq"},
    )


def alerts(*events: Event) -> list[Alert]:
    return run([CYCLE], events)[0]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([grant(0, "a"), count(4, 2)], 1, id="one-badge-two-people"),
        pytest.param([grant(0, "a"), count(4, 1)], 0, id="one-badge-one-person"),
        pytest.param([grant(0, "a"), grant(2, "b"), count(5, 2)], 0, id="two-badges-two-people"),
        pytest.param([grant(0, "a"), grant(2, "b"), count(5, 3)], 1, id="two-badges-three"),
        pytest.param([grant(0, "a"), grant(2, "a"), count(5, 2)], 1, id="one-badge-read-twice"),
        pytest.param([grant(0, "a"), grant(2, "b", "dock"), count(5, 2)], 1, id="other-door"),
        pytest.param([grant(0, "a"), grant(21, "b"), count(22, 2)], 1, id="first-badge-expired"),
        pytest.param([grant(0, "a"), grant(2, "b"), count(20, 2)], 0, id="window-inclusive"),
    ],
)
def test_count_against_distinct_badges(events: list[Event], expected: int) -> None:
    assert len(alerts(*events)) == expected


def test_evidence_holds_every_badge_of_the_cycle() -> None:
    (alert,) = alerts(grant(0, "a"), grant(1, "c", "dock"), grant(2, "b"), count(5, 3))
    assert [e.id for e in alert.evidence] == ["grant-a@0/main", "grant-b@2/main", "count@5/main"]


def test_a_cycle_is_not_counted_again_by_the_next_count() -> None:
    """Two colleagues, then one badge with a follower 8 s later: the second count sees one."""
    found = alerts(grant(0, "a"), grant(2, "b"), count(5, 2), grant(8, "c"), count(12, 2))
    (alert,) = found
    assert [e.id for e in alert.evidence] == ["grant-c@8/main", "count@12/main"]


def test_a_count_with_no_badge_waiting_matches_nothing() -> None:
    assert alerts(grant(0, "a"), count(4, 1), count(8, 2)) == []


def test_a_counted_first_step_is_gathered_as_one() -> None:
    twice = rule(
        """
correlation:
  type: temporal_ordered
  by: location.site
  window: 20s
  steps:
    - {name: granted, count: 2, match: {activity: access_granted}}
    - name: crossing
      match: {activity: people_count, attrs.count: {gt: {distinct: granted.actor.credential}}}
""",
        id="twice",
    )
    two_badges = [grant(0, "a"), grant(1, "b"), count(3, 2)]
    one_badge = [grant(0, "a"), grant(1, "a"), count(3, 2)]
    assert run([twice], two_badges)[0] == []
    assert len(run([twice], one_badge)[0]) == 1


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        pytest.param(
            "temporal_ordered",
            "steps: [{name: a, match: {attrs.n: {gt: {distinct: b.actor.account}}}}, "
            "{name: b, match: {domain: auth}}]",
            "no earlier present step 'b'",
            id="later-step",
        ),
        pytest.param(
            "absence",
            "steps: [{name: a, match: {domain: access}}, "
            "{name: b, absent: true, match: {attrs.n: {gt: {distinct: a.actor.account}}}}]",
            "only for present steps",
            id="absent-step",
        ),
        pytest.param(
            "event_count",
            "match: {attrs.n: {gt: {distinct: a.actor.account}}}\n  condition: {gte: 1}",
            "only allowed in steps of a sequence",
            id="counting-rule",
        ),
        pytest.param(
            "temporal_ordered",
            "steps: [{name: a, match: {domain: access}}, "
            "{name: b, match: {attrs.n: {gt: {distinct: a.actor.nope}}}}]",
            "ref 'a.actor.nope'",
            id="unknown-field",
        ),
    ],
)
def test_loader_rejects_misused_distinct(
    tmp_path: Any, kind: str, body: str, expected: str
) -> None:
    problems = loader_problems(tmp_path, kind, body)
    assert len(problems) == 1, problems
    assert expected in problems[0]
