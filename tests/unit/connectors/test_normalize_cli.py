"""``correlator formats`` and ``correlator normalize`` end to end, in process."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from correlator import serde
from correlator.cli import main

GOLDEN = Path(__file__).parents[2] / "fixtures" / "golden"


def test_formats_lists_names_with_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["formats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert {"suricata", "onvif", "vast-prox", "mapping:PATH"} <= set(names)
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_normalize_clean_file_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["normalize", "--format", "suricata", str(GOLDEN / "suricata" / "alert.raw")])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    (event,) = [serde.loads(line) for line in out.splitlines()]
    assert (event["domain"], event["activity"]) == ("ids", "alert")


def test_normalize_reports_every_reject_and_exits_one(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "normalize",
            "-f",
            "json-doors",
            "--ingest-time",
            "2024-06-01T00:00:00Z",
            str(GOLDEN / "json-doors" / "door-events.raw"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert len(out.splitlines()) == 4  # processing went on after the rejects
    rejects = [serde.loads(line) for line in err.splitlines()]
    assert [r["line"] for r in rejects] == [5, 6]
    assert rejects[0]["reason"] == "event type 'DoorClosed' is not in mapping 'json-doors'"
    assert all(
        serde.loads(line)["ingest_time"] == "2024-06-01T00:00:00Z" for line in out.splitlines()
    )


def test_normalize_stdin_and_rejects_file_with_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"garbage\x1b[31m\x07\nmore\n")))
    rejects = tmp_path / "rejects.jsonl"
    assert main(["normalize", "-f", "cef", "--rejects", str(rejects)]) == 1
    assert capsys.readouterr() == ("", "")
    text = rejects.read_text()
    assert "\x1b" not in text
    assert "\x07" not in text
    first, second = (serde.loads(line) for line in text.splitlines())
    assert first["raw"] == "garbage\x1b[31m\x07"
    assert first["line"] == 1
    assert second["line"] == 2


def test_normalize_unknown_format_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["normalize", "-f", "nope", str(GOLDEN / "suricata" / "alert.raw")]) == 1
    assert "valid formats:" in capsys.readouterr().err


def test_normalize_bad_zone_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["normalize", "-f", "cef", "--tz", "Mars/Base"]) == 1
    assert "unknown time zone" in capsys.readouterr().err
