"""Counting kinds (event_count, value_count) accept every kind of field test, not only literals."""

from __future__ import annotations

import pytest

from tests.unit.core.kit import ev, rule, run

COUNT = """
correlation:
  type: {kind}
  by: location
  window: 1m
  {field}
  match:
    activity: door_forced
    attrs.zone: {{not: {{eq: {{attr: door.zone}}}}}}
    attrs.count: {{gte: 2}}
  condition: {{gte: 1}}
"""


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        pytest.param("event_count", "", id="event_count"),
        pytest.param("value_count", "field: attrs.count", id="value_count"),
    ],
)
def test_operators_and_attributes_in_a_counting_match(kind: str, field: str) -> None:
    counting = rule(COUNT.format(kind=kind, field=field))
    events = [ev(0, "door_forced", attrs={"count": 1}), ev(1, "door_forced", attrs={"count": 3})]
    alerts, _ = run([counting], events)
    assert [a.evidence[0].attrs["count"] for a in alerts] == [3]
