"""The registry, mapping files and a few parser decisions worth pinning by name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from correlator_connectors import formats
from correlator_connectors.parsers.base import ParseContext, Reject
from correlator_connectors.parsers.mapping import MappingError

from correlator.errors import CorrelatorError

CTX = ParseContext(connector="t", ingest_time=datetime(2024, 6, 1, tzinfo=UTC))


def test_available_lists_every_required_format_once() -> None:
    names = [name for name, _ in formats.available()]
    required = {"onvif", "suricata", "zeek", "panos", "fortigate", "cef", "leef", "winevent"}
    assert required | {"vast-prox", "json-doors", "mapping:PATH"} <= set(names)
    assert len(names) == len(set(names))
    assert all(description for _, description in formats.available())


def test_unknown_format_lists_valid_names() -> None:
    with pytest.raises(
        CorrelatorError, match=r"unknown format 'syslogx'; valid formats: .*suricata.*vast-prox"
    ):
        formats.get_parser("syslogx")


def test_each_call_gives_a_fresh_stateful_parser() -> None:
    first, second = formats.get_parser("vast-prox"), formats.get_parser("vast-prox")
    assert first is not second


def test_user_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "lenel.yaml"
    path.write_text(
        "description: test export\ninput: csv\n"
        "time: {field: When, formats: ['%d/%m/%Y %H:%M'], timezone: Europe/Paris}\n"
        "domain: access\n"
        "activity: {field: Kind, map: {GRANTED: access_granted, DENIED: access_denied}}\n"
        "fields: {actor.credential: Badge, location.door: Door}\n"
    )
    parser = formats.get_parser(f"mapping:{path}")
    assert parser.name == "lenel"
    assert parser.parse(b"When,Kind,Badge,Door", CTX) == []  # the header row is consumed
    events = parser.parse(b"06/05/2024 10:00,DENIED,42,Lab", CTX)
    assert not isinstance(events, Reject)
    (event,) = events
    assert (event.activity, event.outcome) == ("access_denied", "failure")
    assert event.time == datetime(2024, 5, 6, 8, 0, tzinfo=UTC)  # 10:00 in Paris (CEST)
    assert event.actor is not None
    assert event.actor.credential == "42"
    assert event.location is not None
    assert event.location.door == "Lab"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("description: x\ninput: xml\n", r"input: Input should be 'csv' or 'json'"),
        (
            "description: x\ninput: csv\ntime: {field: t, timezone: Mars/Base}\n"
            "domain: access\nactivity: a\n",
            r"unknown time zone 'Mars/Base'",
        ),
        (
            "description: x\ninput: csv\ntime: {field: t}\ndomain: access\nactivity: a\n"
            "fields: {actor.badge: b}\n",
            r"unknown target 'actor.badge'",
        ),
        ("- a list\n", r"a mapping file is a YAML object"),
    ],
)
def test_bad_mapping_files_name_the_file_and_the_problem(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(MappingError, match=rf"bad\.yaml: .*{message}"):
        formats.get_parser(f"mapping:{path}")


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"nope\.yaml: cannot read mapping file"):
        formats.get_parser(f"mapping:{tmp_path / 'nope.yaml'}")


def test_non_utf8_record_keeps_raw_as_base64() -> None:
    raw = b'{"EventTime":"2024-05-06T08:00:00Z","EventType":"AccessGranted","CardNumber":"\xff"}'
    result = formats.get_parser("json-doors").parse(raw.replace(b"\xff", b"7") + b" \xff", CTX)
    assert isinstance(result, Reject)  # trailing junk after the object is malformed JSON
    result = formats.get_parser("cef").parse(b"CEF:0|V|P|1|sig|Name \xff|5|src=10.0.0.1", CTX)
    assert not isinstance(result, Reject)
    assert result[0].attrs["raw_encoding"] == "base64"


def test_several_events_from_one_record_get_distinct_ids() -> None:
    doc = (Path(__file__).parents[2] / "fixtures/golden/onvif/analytics.raw").read_bytes()
    events = formats.get_parser("onvif").parse(doc, CTX)
    assert not isinstance(events, Reject)
    assert len({e.id for e in events}) == len(events) >= 2
    again = formats.get_parser("onvif").parse(doc, CTX)
    assert not isinstance(again, Reject)
    assert [e.id for e in again] == [e.id for e in events]


def test_onvif_refuses_a_dtd() -> None:
    doc = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    result = formats.get_parser("onvif").parse(doc, CTX)
    assert isinstance(result, Reject)
    assert "DTD" in result.reason


def test_bsd_syslog_time_uses_the_default_zone() -> None:
    from zoneinfo import ZoneInfo

    ctx = ParseContext(
        connector="t", ingest_time=CTX.ingest_time, default_tz=ZoneInfo("America/New_York")
    )
    raw = b"<134>May 31 10:00:00 ids CEF:0|V|P|1|sig|Name|5|src=10.0.0.1"
    result = formats.get_parser("cef").parse(raw, ctx)
    assert not isinstance(result, Reject)
    assert result[0].time == datetime(2024, 5, 31, 14, 0, tzinfo=UTC)
    assert result[0].attrs["time_source"] == "syslog"
