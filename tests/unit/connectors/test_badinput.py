"""Bad input, every format: each hostile record of the corpus is a reject with a reason, the
valid records around it come out as they would alone, and the connector pipeline turns each
reject into a dead letter with the raw bytes, the reason and the position."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from correlator_connectors.parsers.base import ParseContext, ParseResult, Reject
from correlator_connectors.transports.delivery import Intake, Record

from correlator import serde
from correlator.model.event import Event
from correlator.settings import Settings
from tests.badinput import (
    BIG,
    FORMATS,
    INGEST,
    KINDS,
    Case,
    bad_cases,
    fresh,
    tolerated,
    valid,
)

CTX = ParseContext(connector="bad", ingest_time=INGEST, position="feed.log:0")
ALL = [pytest.param(fmt, case, id=f"{fmt}-{case.id}") for fmt in FORMATS for case in bad_cases(fmt)]
SETTINGS = Settings(topic_prefix="p.", connector_max_record_bytes=1 << 20)
"""The largest cap a connector allows: the 100 000-deep records (600 kB) reach the parser."""


def expected_kinds(case: Case) -> set[str]:
    if case.kind.startswith("time-"):
        return {"time"}
    if case.kind == "oversize":
        return {"oversize"}
    return {"malformed", "unsupported"}


@pytest.mark.parametrize(("fmt", "case"), ALL)
def test_every_bad_record_is_a_reject_with_a_deliberate_reason(fmt: str, case: Case) -> None:
    result = fresh(fmt).parse(case.data, CTX)
    assert isinstance(result, Reject), f"{case.id} became {result}"
    assert result.kind in expected_kinds(case), result.reason
    assert result.reason
    assert not result.reason.startswith("parser error:"), "a parser bug caught by the net"
    assert result.raw == case.data
    assert (result.format, result.position) == (fmt, "feed.log:0")


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_corpus_covers_every_kind_for_every_format(fmt: str) -> None:
    assert {case.kind for case in bad_cases(fmt)} == set(KINDS)
    assert len({case.data for case in bad_cases(fmt)}) == len(bad_cases(fmt)), "duplicates"
    oversize = next(case for case in bad_cases(fmt) if case.kind == "oversize")
    assert len(oversize.data) >= BIG


def _events(result: ParseResult) -> list[dict[str, Any]]:
    assert not isinstance(result, Reject), result.reason
    return [event.model_dump(mode="json") for event in result]


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_records_between_bad_ones_come_out_as_they_would_alone(fmt: str) -> None:
    parser = fresh(fmt)
    mixed = []
    for n, case in enumerate(bad_cases(fmt)):
        mixed.append(_events(parser.parse(valid(fmt, n), CTX)))
        assert isinstance(parser.parse(case.data, CTX), Reject)
    alone = [_events(fresh(fmt).parse(valid(fmt, n), CTX)) for n in range(len(mixed))]
    assert mixed == alone
    assert all(len(events) == 1 for events in mixed)


@pytest.mark.parametrize(
    ("fmt", "case"),
    [pytest.param(f, c, id=f"{f}-{c.id}") for f in FORMATS for c in tolerated(f)],
)
def test_control_characters_and_stray_bytes_inside_a_value_are_kept_not_rejected(
    fmt: str, case: Case
) -> None:
    (event,) = _events(fresh(fmt).parse(case.data, CTX))
    if case.kind == "invalid-utf8":  # the raw record survives byte for byte
        assert event["attrs"]["raw_encoding"] == "base64"
        assert base64.b64decode(event["raw"]) == case.data
    else:
        assert event["raw"] == case.data.decode()


# -- the connector pipeline: raw record -> events or dead letter -----------------------------


def convert(fmt: str, records: list[Record], settings: Settings = SETTINGS) -> list[Any]:
    intake = Intake(settings, "bad", fmt)
    parser = fresh(fmt)
    outcome = intake.convert(parser, records, INGEST)
    return [(m.topic, serde.loads(m.value)) for m in outcome.messages]


def _raw(letter: dict[str, Any]) -> bytes:
    if letter["raw_encoding"] == "base64":
        return base64.b64decode(letter["raw"])
    return str(letter["raw"]).encode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_pipeline_writes_a_dead_letter_per_bad_record_with_raw_reason_and_position(
    fmt: str,
) -> None:
    cases = bad_cases(fmt)
    records = []
    for n, case in enumerate(cases):
        records.append(Record(valid(fmt, n), f"feed.log:{2 * n}"))
        records.append(Record(case.data, f"feed.log:{2 * n + 1}"))
    messages = convert(fmt, records)
    letters = [value for topic, value in messages if topic == "p.dlq"]
    events = [value for topic, value in messages if topic != "p.dlq"]
    assert [letter["position"] for letter in letters] == [
        f"feed.log:{2 * n + 1}" for n in range(len(cases))
    ]
    for case, letter in zip(cases, letters, strict=True):
        kind = str(letter["reason"]).split(":", 1)[0]
        assert kind in expected_kinds(case), letter["reason"]
        assert (letter["stage"], letter["format"]) == ("bad", fmt)
        if case.kind == "oversize":  # cut, so that the letter fits one Kafka message
            assert case.data.startswith(_raw(letter))
            assert len(serde.dumps(letter)) < 1_000_000
        else:
            assert _raw(letter) == case.data
    assert [e["source"]["position"] for e in events] == [
        f"feed.log:{2 * n}" for n in range(len(cases))
    ]


def test_the_time_bounds_follow_the_settings() -> None:
    ahead = valid("suricata", 1, INGEST + timedelta(hours=3))
    strict = SETTINGS.model_copy(update={"event_max_ahead": "2h"})
    lenient = SETTINGS.model_copy(update={"event_max_ahead": "4h"})
    ((topic, letter),) = convert("suricata", [Record(ahead, "eve.json:0")], strict)
    assert topic == "p.dlq"
    assert str(letter["reason"]).startswith("time: event time 2024-05-06T12:00:00")
    assert "more than the 2h allowed" in str(letter["reason"])
    ((topic, event),) = convert("suricata", [Record(ahead, "eve.json:0")], lenient)
    assert topic == "p.events.network"
    assert Event.model_validate(event).time == INGEST + timedelta(hours=3)


def test_rejects_are_logged_with_control_characters_escaped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hostile = b'{"timestamp": "\x1b[2J\r\nforged: ok", oops'
    with caplog.at_level("WARNING"):
        convert("suricata", [Record(hostile, "tcp 10.0.0.7:4000\r\n\x1b[1m@0")])
    (line,) = [r.getMessage() for r in caplog.records]
    assert "rejected suricata record at tcp 10.0.0.7:4000\\x0d\\x0a\\x1b[1m@0: " in line
    assert not any(ch in line for ch in "\r\n\x1b")
