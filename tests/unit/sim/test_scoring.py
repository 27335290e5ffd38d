"""Matching alerts to incidents: entity, aliases, time tolerance, side alerts, one-to-one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from correlator.model import Alert, AlertEntity
from correlator.sim.scoring import Truth, TruthError, load_truth, overall, score

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
WINDOWS = {"r": timedelta(minutes=10), "side": timedelta(minutes=1)}
NO_SLACK = timedelta(0)


def _alert(
    rule: str,
    entity: tuple[str, str],
    first: timedelta,
    last: timedelta | None = None,
    name: str = "a",
) -> Alert:
    end = T0 + (last if last is not None else first)
    return Alert(
        id=f"{name}-{rule}-{first}",
        rule=rule,
        title="t",
        severity="high",
        entity=AlertEntity(type=entity[0], id=entity[1]),
        time=end,
        first_seen=T0 + first,
        last_seen=end,
        evidence=(),
        summary="s",
    )


def _truth(
    incident: str = "inc-1",
    start: timedelta = timedelta(0),
    end: timedelta = timedelta(minutes=5),
    also: frozenset[str] = frozenset(),
) -> Truth:
    entities = frozenset({("person", "p-1"), ("host", "ws-1")})
    return Truth(incident, "r", entities, T0 + start, T0 + end, also)


@pytest.mark.parametrize(
    ("alert", "detected", "false_positives"),
    [
        pytest.param(_alert("r", ("person", "p-1"), timedelta(minutes=2)), 1, 0, id="inside"),
        pytest.param(_alert("r", ("host", "ws-1"), timedelta(minutes=2)), 1, 0, id="alias"),
        pytest.param(_alert("r", ("person", "p-2"), timedelta(minutes=2)), 0, 1, id="other-entity"),
        pytest.param(_alert("r", ("field", "p-1"), timedelta(minutes=2)), 0, 1, id="other-type"),
        pytest.param(
            _alert("r", ("person", "p-1"), timedelta(minutes=15)),
            1,
            0,
            id="after-end-within-window",
        ),
        pytest.param(
            _alert("r", ("person", "p-1"), timedelta(minutes=15, seconds=1)),
            0,
            1,
            id="after-end-beyond-window",
        ),
        pytest.param(
            _alert("r", ("person", "p-1"), timedelta(minutes=-10)),
            1,
            0,
            id="before-start-at-window",
        ),
        pytest.param(
            _alert("r", ("person", "p-1"), -timedelta(hours=2), timedelta(minutes=1)),
            1,
            0,
            id="long-span-overlapping",
        ),
    ],
)
def test_alert_matches_by_entity_and_time(
    alert: Alert, detected: int, false_positives: int
) -> None:
    scores = score([alert], [_truth()], WINDOWS, NO_SLACK)
    assert scores["r"].detected == detected
    assert scores["r"].missed == ([] if detected else ["inc-1"])
    assert scores["r"].false_positives == false_positives


def test_slack_widens_the_tolerance() -> None:
    late = _alert("r", ("person", "p-1"), timedelta(minutes=16))
    assert score([late], [_truth()], WINDOWS, NO_SLACK)["r"].detected == 0
    assert score([late], [_truth()], WINDOWS, timedelta(minutes=3))["r"].detected == 1


def test_no_alert_is_a_miss_and_precision_stays_defined() -> None:
    (s,) = score([], [_truth()], WINDOWS).values()
    assert (s.detected, s.missed, s.recall, s.precision) == (0, ["inc-1"], 0.0, 1.0)


def test_alert_of_another_rule_is_its_rules_false_positive() -> None:
    scores = score([_alert("side", ("person", "p-1"), timedelta(0))], [_truth()], WINDOWS)
    assert scores["r"].missed == ["inc-1"]
    assert scores["side"].false_positives == 1
    assert scores["side"].precision == 0.0


def test_side_alert_named_in_also_counts_neither_way() -> None:
    truth = _truth(also=frozenset({"side"}))
    scores = score([_alert("side", ("person", "p-1"), timedelta(0))], [truth], WINDOWS)
    assert (scores["side"].side_alerts, scores["side"].false_positives) == (1, 0)
    assert scores["side"].precision == 1.0


def test_one_alert_detects_one_incident_the_nearest() -> None:
    truths = [_truth("inc-1"), _truth("inc-2", timedelta(minutes=6), timedelta(minutes=7))]
    one = _alert("r", ("person", "p-1"), timedelta(minutes=6))
    assert score([one], truths, WINDOWS)["r"].missed == ["inc-1"]
    two = [one, _alert("r", ("person", "p-1"), timedelta(minutes=6), name="b")]
    s = score(two, truths, WINDOWS)["r"]
    assert (s.detected, s.true_alerts, s.false_positives) == (2, 2, 0)


def test_duplicate_alerts_are_true_but_detect_once() -> None:
    alerts = [_alert("r", ("person", "p-1"), timedelta(minutes=1), name=n) for n in "abc"]
    s = score(alerts, [_truth()], WINDOWS)["r"]
    assert (s.detected, s.true_alerts, s.precision, s.recall) == (1, 3, 1.0, 1.0)


def test_overall_sums_rules() -> None:
    scores = score(
        [_alert("r", ("person", "p-1"), timedelta(0)), _alert("side", ("site", "x"), timedelta(0))],
        [_truth()],
        WINDOWS,
    )
    total = overall(scores.values())
    assert (total.incidents, total.detected, total.alerts, total.false_positives) == (1, 1, 2, 1)
    assert total.precision == 0.5


def test_truth_file_round_trip_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    path.write_text(
        '{"incident": "inc-1", "rule": "r", "entity": {"type": "person", "id": "p-1"}, '
        '"aliases": [{"type": "host", "id": "ws-1"}], "start": "2025-03-03T09:00:00Z", '
        '"end": "2025-03-03T09:05:00Z", "also": []}\n\n{"incident": "inc-2"}\n'
    )
    with pytest.raises(TruthError, match=r"truth.jsonl:3: not a truth record"):
        load_truth(path)
    path.write_text(path.read_text().splitlines()[0] + "\n")
    (truth,) = load_truth(path)
    assert truth.entities == {("person", "p-1"), ("host", "ws-1")}
    assert truth.end - truth.start == timedelta(minutes=5)
