"""Alert summaries: the template reads the evidence of each step."""

from __future__ import annotations

from tests.unit.core.kit import ev, rule, run

SEQUENCE = """
correlation:
  type: temporal_ordered
  by: location
  window: 1m
  steps:
    - {name: denied, count: 2, match: {activity: access_denied}}
    - {name: forced, match: {activity: door_forced}}
"""


def summary_of(template: str) -> str:
    events = [
        ev(0, "access_denied", actor={"credential": "1001"}),
        ev(5, "access_denied", actor={"credential": "1002"}),
        ev(20, "door_forced"),
    ]
    alerts, _ = run([rule(SEQUENCE, summary=template)], events)
    (alert,) = alerts
    return alert.summary


def test_step_fields_come_from_the_latest_event_of_that_step() -> None:
    text = "badge {denied.actor.credential} refused at {denied.location.door}, then forced"
    assert summary_of(text) == "badge 1002 refused at k1, then forced"


def test_times_take_a_strftime_format_or_a_readable_default() -> None:
    assert summary_of("{forced.time:%H:%M:%S}") == "09:00:20"
    assert summary_of("{forced.time}") == "2024-03-04 09:00:20 UTC"


def test_a_missing_field_reads_as_a_question_mark_and_braces_escape() -> None:
    assert summary_of("from {forced.src.ip} {{literal}}") == "from ? {literal}"


def test_title_key_and_count_still_work() -> None:
    assert summary_of("{title}: {key} ({count} events)") == "test rule: k1 (3 events)"


def test_control_characters_from_the_evidence_are_escaped_in_the_summary() -> None:
    forged = "1002\r\n[CRITICAL] all clear\x1b[2J\u202e"
    door = "k1\x07"
    events = [
        ev(0, "access_denied", door, actor={"credential": "1001"}),
        ev(5, "access_denied", door, actor={"credential": forged}),
        ev(20, "door_forced", door),
    ]
    template = "badge {denied.actor.credential} at {denied.location.door} ({key})"
    (alert,), _ = run([rule(SEQUENCE, summary=template)], events)
    assert alert.summary == (
        "badge 1002\\x0d\\x0a[CRITICAL] all clear\\x1b[2J\\u202e at k1\\x07 (k1\\x07)"
    )
    assert alert.evidence[1].actor is not None
    assert alert.evidence[1].actor.credential == forged  # the evidence keeps what was sent
