"""Window, sequence and absence semantics as scenario tables.

Timelines read left to right in seconds; ``|`` marks the window edge. Events are listed in
arrival order, which is not always time order.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from correlator.core.engine import Engine
from correlator.model import Event
from tests.unit.core.kit import FakeIdentity, at, ev, rule, run

SEQUENCE = rule(
    """
correlation:
  type: temporal_ordered
  by: location
  window: 60s
  steps:
    - {name: a, match: {activity: access_denied}}
    - {name: b, match: {activity: door_forced}}
""",
    id="sequence",
)

NOT_BETWEEN = rule(
    """
correlation:
  type: temporal_ordered
  by: location
  window: 60s
  steps:
    - {name: a, match: {activity: access_denied}}
    - {name: c, absent: true, match: {activity: access_granted}}
    - {name: b, match: {activity: door_forced}}
""",
    id="not-between",
)

NOT_FOLLOWED = rule(
    """
correlation:
  type: absence
  by: location
  window: 30s
  steps:
    - {name: a, match: {activity: door_held}}
    - {name: b, absent: true, match: {activity: door_closed}}
""",
    id="not-followed",
)

NOT_PRECEDED = rule(
    """
correlation:
  type: absence
  by: location
  window: 30s
  steps:
    - {name: granted, absent: true, match: {activity: access_granted}}
    - {name: forced, match: {activity: door_forced}}
""",
    id="not-preceded",
)

THRESHOLD = rule(
    """
correlation:
  type: event_count
  by: location
  window: 60s
  match: {activity: access_denied}
  condition: {gte: 3}
""",
    id="threshold",
)

ALL_OF = rule(
    """
correlation:
  type: temporal
  by: location
  window: 60s
  steps:
    - {name: a, match: {activity: access_denied}}
    - {name: b, match: {activity: door_forced}}
""",
    id="all-of",
)


def d(t: float, key: str = "k1") -> Event:
    return ev(t, "access_denied", key)


def f(t: float, key: str = "k1") -> Event:
    return ev(t, "door_forced", key)


def g(t: float, key: str = "k1") -> Event:
    return ev(t, "access_granted", key)


@pytest.mark.parametrize(
    ("events", "lateness", "alerts", "late"),
    [
        # a@0 ... b@60|            inclusive edge
        pytest.param([d(0), f(60)], 0, 1, 0, id="b-exactly-at-window-edge"),
        # a@0 ... |b@61
        pytest.param([d(0), f(61)], 0, 0, 0, id="b-one-second-past-edge"),
        pytest.param([f(0), d(10)], 0, 0, 0, id="wrong-order"),
        # arrives: b@30, a@0 (30s late, lateness 60s)
        pytest.param([f(30), d(0)], 60, 1, 0, id="out-of-order-within-lateness"),
        # arrives: b@30, a@0 (30s late, lateness 10s): a is late
        pytest.param([f(30), d(0)], 10, 0, 1, id="late-beyond-lateness"),
        # arrives a@0, b@10 at another door
        pytest.param([d(0), f(10, "k2")], 0, 0, 0, id="other-key"),
        # a@0 a@5 b@10: one alert (the earliest a), a@5 still waits
        pytest.param([d(0), d(5), f(10)], 0, 1, 0, id="two-a-one-b"),
        pytest.param([d(0), d(5), f(10), f(20)], 0, 2, 0, id="two-a-two-b"),
    ],
)
def test_sequence(events: list[Event], lateness: float, alerts: int, late: int) -> None:
    got, late_count = run([SEQUENCE], events, lateness)
    assert (len(got), late_count) == (alerts, late)


def test_sequence_evidence_is_the_earliest_partial_match() -> None:
    (alert,), _ = run([SEQUENCE], [d(0), d(5), f(10)])
    assert [e.id for e in alert.evidence] == [d(0).id, f(10).id]
    assert (alert.time, alert.first_seen, alert.last_seen) == (at(10), at(0), at(10))


@pytest.mark.parametrize(
    ("events", "alerts"),
    [
        # a@0  c@10  b@20
        pytest.param([d(0), g(10), f(20)], 0, id="c-in-between"),
        # a@0  b@20  c@30
        pytest.param([d(0), f(20), g(30)], 1, id="c-after-b"),
        # c@0 a@5 b@20
        pytest.param([g(0), d(5), f(20)], 1, id="c-before-a"),
        # a@0+c@0 (same instant) b@20: the same instant counts as in between
        pytest.param([d(0), g(0), f(20)], 0, id="c-same-instant-as-a"),
        pytest.param([g(0), d(0), f(20)], 0, id="c-same-instant-as-a-arriving-first"),
    ],
)
def test_sequence_with_absent_step_in_between(events: list[Event], alerts: int) -> None:
    assert len(run([NOT_BETWEEN], events)[0]) == alerts


def held(t: float) -> Event:
    return ev(t, "door_held")


def closed(t: float) -> Event:
    return ev(t, "door_closed")


@pytest.mark.parametrize(
    ("events", "alerts"),
    [
        pytest.param([held(0)], 1, id="never-closed"),
        # held@0 ... closed@30|     inclusive edge: closed in time
        pytest.param([held(0), closed(30)], 0, id="closed-exactly-at-deadline"),
        # held@0 ... |closed@31
        pytest.param([held(0), closed(31)], 1, id="closed-one-second-late"),
        # arrives closed@20 first, then held@0, lateness 60s
        pytest.param([closed(20), held(0)], 0, id="closed-arrives-first-within-lateness"),
    ],
)
def test_absence_not_followed(events: list[Event], alerts: int) -> None:
    got, _ = run([NOT_FOLLOWED], events, lateness=60)
    assert len(got) == alerts
    for alert in got:
        assert alert.time == at(30)  # fires at the deadline, in event time


@pytest.mark.parametrize("lateness", [0, 10])
def test_absence_fires_only_once_the_watermark_passes_the_deadline(lateness: int) -> None:
    # held@0, deadline 30; other doors' events move the watermark (max time - lateness)
    engine = Engine([NOT_FOLLOWED], lateness=timedelta(seconds=lateness))
    assert engine.process(held(0)).alerts == []
    assert engine.process(ev(30 + lateness, "tick", "other")).alerts == []  # watermark = 30
    fired = engine.process(ev(30.5 + lateness, "tick", "other")).alerts  # watermark > 30
    assert [a.rule for a in fired] == ["not-followed"]


def test_advance_moves_the_watermark_explicitly() -> None:
    engine = Engine([NOT_FOLLOWED])
    engine.process(held(0))
    assert engine.advance(at(30)) == []
    assert len(engine.advance(at(30) + timedelta(microseconds=1))) == 1
    assert engine.advance(at(3600)) == []


@pytest.mark.parametrize(
    ("events", "alerts"),
    [
        pytest.param([f(0)], 1, id="no-badge"),
        # granted@0 ... forced@30|   inclusive edge
        pytest.param([g(0), f(30)], 0, id="badge-exactly-window-before"),
        pytest.param([g(0), f(31)], 1, id="badge-one-second-too-early"),
        # forced@5 + granted@5: the same instant counts as before, whatever the ids
        pytest.param(
            [ev(5, "door_forced", id="a"), ev(5, "access_granted", id="z")],
            0,
            id="badge-same-instant-arriving-after",
        ),
        pytest.param([f(5), g(10)], 1, id="badge-after-forced"),
    ],
)
def test_absence_not_preceded(events: list[Event], alerts: int) -> None:
    assert len(run([NOT_PRECEDED], events, lateness=60)[0]) == alerts


@pytest.mark.parametrize(
    ("times", "alerts"),
    [
        pytest.param([0, 30, 60], 1, id="third-at-edge"),
        pytest.param([0, 30, 61], 0, id="third-past-edge"),
        pytest.param([0, 30, 61, 62], 1, id="window-slides"),
        pytest.param([0, 1, 2, 3, 4, 5], 2, id="a-match-consumes-its-events"),
    ],
)
def test_threshold(times: list[float], alerts: int) -> None:
    assert len(run([THRESHOLD], [d(t) for t in times])[0]) == alerts


@pytest.mark.parametrize(
    ("events", "alerts"),
    [
        pytest.param([f(0), d(60)], 1, id="any-order-at-edge"),
        pytest.param([f(0), d(61)], 0, id="past-edge"),
        pytest.param([d(0), f(10, "k2")], 0, id="other-key"),
    ],
)
def test_all_of(events: list[Event], alerts: int) -> None:
    assert len(run([ALL_OF], events)[0]) == alerts


def test_late_event_is_returned_not_dropped() -> None:
    engine = Engine([SEQUENCE], lateness=timedelta(seconds=5))
    engine.process(f(100))
    result = engine.process(d(50))
    assert result.late == [d(50)]
    assert engine.stats.late == 1


def test_same_event_twice_adds_no_alert() -> None:
    once, _ = run([SEQUENCE, THRESHOLD], [d(0), d(1), f(2), d(3)])
    twice, _ = run([SEQUENCE, THRESHOLD], [d(0), d(0), d(1), f(2), f(2), d(1), d(3)], lateness=5)
    assert [a.id for a in twice] == [a.id for a in once]


def test_suppression_counts_folded_matches_on_the_next_alert() -> None:
    noisy = rule(
        """
        correlation:
          type: event_count
          by: location
          window: 10s
          match: {activity: access_denied}
          condition: {gte: 1}
        """,
        suppress="1m",
    )
    alerts, _ = run([noisy], [d(0), d(10), d(20), d(60), d(61)])
    assert [(a.time, a.suppressed) for a in alerts] == [(at(0), 0), (at(60), 2)]


def test_person_key_and_presence_condition_through_identity() -> None:
    remote = rule("""
        correlation:
          type: temporal_ordered
          by: person
          window: 1h
          steps:
            - {name: badge, match: {activity: access_granted}}
            - name: vpn
              match:
                domain: vpn
                person.presence.on_site: true
                person.presence.site: {ref: badge.location.site}
    """)
    identity = FakeIdentity(
        {"alice": "p-alice", "bob": "p-bob"},
        {
            ("p-alice", "person.presence.on_site"): True,
            ("p-alice", "person.presence.site"): "hq",
            ("p-bob", "person.presence.on_site"): True,
            ("p-bob", "person.presence.site"): "lyon",
        },
    )
    events = [
        ev(0, "access_granted", actor={"account": "alice"}, location={"site": "hq"}),
        ev(0, "access_granted", actor={"account": "bob"}, location={"site": "hq"}),
        ev(60, "logon", domain="vpn", actor={"account": "alice"}),
        ev(60, "logon", domain="vpn", actor={"account": "bob"}),
    ]
    alerts, _ = run([remote], events, identity=identity)
    assert [(a.entity.type, a.entity.id) for a in alerts] == [("person", "p-alice")]
    assert identity.observed == len(events)


def test_an_engine_that_does_not_follow_events_moves_its_watermark_only_when_told() -> None:
    engine = Engine([SEQUENCE], follow_events=False)
    engine.process(ev(0, "access_denied"))
    engine.process(ev(5, "door_forced"))
    assert engine.process(ev(3600, "access_denied", key="k2")).alerts == []
    assert engine.watermark is None
    assert engine.process(ev(1, "door_forced", id="early")).late == []  # no watermark yet
    (alert,) = engine.advance(at(10))
    assert alert.entity.id == "k1"
    assert engine.process(ev(2, "door_forced", id="late")).late  # behind the one told
