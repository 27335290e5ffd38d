from __future__ import annotations

from datetime import UTC, datetime

from correlator.model import Alert, AlertEntity
from correlator.runtime.alertwatch import alert_line


def alert(summary: str, severity: str = "high") -> Alert:
    when = datetime(2025, 3, 3, 21, 17, 1, tzinfo=UTC)
    return Alert.model_validate(
        {"id": "a1", "rule": "door-forced-no-badge", "title": "Door forced",
         "severity": severity, "entity": AlertEntity(type="location", id="hq-dock"),
         "time": when, "first_seen": when, "last_seen": when, "evidence": (),
         "summary": summary}
    )  # fmt: skip


def test_one_line_with_time_severity_rule_entity_and_summary() -> None:
    line = alert_line(alert("Door hq-dock forced open"))
    assert line.split()[:5] == [
        "Mon",
        "21:17:01",
        "HIGH",
        "door-forced-no-badge",
        "location:hq-dock",
    ]
    assert line.endswith("Door hq-dock forced open")


def test_severities_line_up() -> None:
    lines = [alert_line(alert("x", severity)) for severity in ("low", "critical")]
    assert lines[0].index("door-forced") == lines[1].index("door-forced")


def test_control_characters_in_a_summary_cannot_break_the_line() -> None:
    line = alert_line(alert("forged\nMon 00:00:00  LOW  fake\x1b[2J"))
    assert "\n" not in line
    assert "\x1b" not in line
    assert "\\x0a" in line
    assert "\\x1b" in line
