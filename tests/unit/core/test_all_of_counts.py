"""``temporal`` rules with ``count`` on their steps: N of this and M of that, any order."""

from __future__ import annotations

import pytest

from correlator.model import Event
from tests.unit.core.kit import ev, rule, run

COUNTED = rule(
    """
correlation:
  type: temporal
  by: location
  window: 60s
  steps:
    - {name: denied, count: 3, match: {activity: access_denied}}
    - {name: forced, count: 2, match: {activity: door_forced}}
""",
    id="counted",
)


def d(t: float) -> Event:
    return ev(t, "access_denied")


def f(t: float) -> Event:
    return ev(t, "door_forced")


@pytest.mark.parametrize(
    ("events", "alerts"),
    [
        pytest.param([d(0), d(1), d(2), f(3), f(4)], 1, id="in-order"),
        pytest.param([f(0), d(1), f(2), d(3), d(4)], 1, id="interleaved"),
        pytest.param([d(0), d(1), f(2), f(3), f(4)], 0, id="one-denial-short"),
        pytest.param([d(0), d(1), d(2), f(3)], 0, id="one-forced-short"),
        pytest.param([d(0), d(30), d(40), f(50), f(60)], 1, id="at-the-window-edge"),
        pytest.param([d(0), d(30), d(40), f(50), f(61)], 0, id="first-denial-expired"),
        pytest.param([d(0), d(30), d(40), d(45), f(50), f(61)], 1, id="latest-three-kept"),
    ],
)
def test_every_step_needs_its_count_within_the_window(events: list[Event], alerts: int) -> None:
    assert len(run([COUNTED], events)[0]) == alerts


def test_evidence_holds_every_counted_event_and_is_consumed() -> None:
    alerts, _ = run([COUNTED], [d(0), d(1), d(2), f(3), f(4), f(5), d(6)])
    (alert,) = alerts
    assert [e.id for e in alert.evidence] == [e.id for e in (d(0), d(1), d(2), f(3), f(4))]
