"""``correlator rules validate|test`` and ``correlator replay`` end to end, in process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from correlator import serde
from correlator.cli import main
from correlator.model import Alert
from tests.unit.core.kit import ev

RULES = Path(__file__).resolve().parents[3] / "rules"


def test_validate_shipped_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "validate", str(RULES)]) == 0
    assert "rule(s) valid" in capsys.readouterr().out


def test_validate_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(RULES / "denied-then-forced.yaml", tmp_path)
    text = (RULES / "badge-denied-burst.yaml").read_text()
    (tmp_path / "badge-denied-burst.yaml").write_text(
        text.replace("window: 5m", "window: 5x").replace("severity: medium", "severity: mid")
    )
    assert main(["rules", "validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "badge-denied-burst.yaml:7 severity: 'mid'" in err
    assert "correlation.window: '5x' is not a duration (use 30s, 5m, 1h)" in err
    assert "2 problem(s)" in err


def test_rules_test_passes_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test", str(RULES)]) == 0
    out = capsys.readouterr().out
    assert "PASS denied-then-forced::denied then forced" in out
    assert " 0 failed" in out
    broken = (RULES / "denied-then-forced.yaml").read_text().replace("window: 2m", "window: 1m")
    (tmp_path / "denied-then-forced.yaml").write_text(broken)
    assert main(["rules", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL denied-then-forced::forced exactly two minutes later: expected 1 alert" in out


def write_events(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def line(event: object) -> str:
    return serde.encode_model(event).decode()  # type: ignore[arg-type]  # an Event


def test_replay_merges_inputs_and_reports_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doors = write_events(
        tmp_path / "doors.jsonl",
        [
            line(ev(0, "access_denied", "lab-d3")),
            "{not json",
            line(ev(20, "door_forced", "lab-d3")),
        ],
    )
    other = write_events(tmp_path / "other.jsonl", [line(ev(10, "door_forced", "hq-d1"))])
    out = tmp_path / "alerts.jsonl"
    code = main(["replay", "--rules", str(RULES), "-o", str(out), str(doors), str(other)])
    assert code == 0
    alerts = [serde.decode_model(Alert, raw) for raw in out.read_bytes().splitlines()]
    assert sorted((a.rule, a.entity.id) for a in alerts) == [
        ("denied-then-forced", "lab-d3"),
        ("door-forced-no-badge", "hq-d1"),
        ("door-forced-no-badge", "lab-d3"),
    ]
    err = capsys.readouterr().err
    assert f"{doors}:2: skipped: not a valid Event" in err
    assert "replayed 3 events" in err
    assert "1 bad lines" in err


def test_replay_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = write_events(
        tmp_path / "e.jsonl", [line(ev(t, "door_forced", f"d{t % 3}")) for t in range(0, 300, 7)]
    )
    assert main(["replay", "--rules", str(RULES), "-o", str(tmp_path / "a"), str(events)]) == 0
    assert main(["replay", "--rules", str(RULES), "-o", str(tmp_path / "b"), str(events)]) == 0
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    assert (tmp_path / "a").read_bytes()


def test_replay_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "feed.log"
    raw.write_text("x\n")
    assert main(["replay", "--rules", str(RULES), f"nosuchformat:{raw}"]) == 1
    assert "unknown format 'nosuchformat'" in capsys.readouterr().err
