"""Syslog header parsing (RFC 3164, RFC 5424 with SD) and stream framing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from correlator_connectors.parsers.framing import LineFramer, XmlDocumentFramer, split_records
from correlator_connectors.parsers.syslog import SyslogFramer, parse_syslog

INGEST = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


def test_rfc5424_with_structured_data_and_escapes() -> None:
    raw = (
        b'<165>1 2024-01-10T11:59:58.5+01:00 fw01 panos 42 ID47 [exampleSDID@32473 iut="3" '
        b'eventSource="Appl\\"ication\\]" ][meta seq="1"] \xef\xbb\xbfhello'
    )
    msg = parse_syslog(raw, INGEST, UTC)
    assert msg.kind == "5424"
    assert (msg.facility, msg.severity) == (20, 5)
    assert msg.time == datetime(2024, 1, 10, 10, 59, 58, 500000, tzinfo=UTC)
    assert (msg.host, msg.app, msg.procid, msg.msgid) == ("fw01", "panos", "42", "ID47")
    assert msg.structured_data == {
        "exampleSDID@32473": {"iut": "3", "eventSource": 'Appl"ication]'},
        "meta": {"seq": "1"},
    }
    assert msg.message == b"hello"


def test_rfc5424_nil_values() -> None:
    msg = parse_syslog(b"<14>1 - - - - - - body", INGEST, UTC)
    assert msg.kind == "5424"
    assert (msg.time, msg.host, msg.structured_data, msg.message) == (None, None, {}, b"body")


def test_bsd_header_with_tag_and_default_zone() -> None:
    zone = timezone(timedelta(hours=-5))
    msg = parse_syslog(b"<135>Jan  4 10:20:33 sensor1 suricata[5885]: {}", INGEST, zone)
    assert msg.kind == "3164"
    assert msg.time == datetime(2024, 1, 4, 10, 20, 33, tzinfo=zone)
    assert (msg.host, msg.app, msg.procid, msg.message) == ("sensor1", "suricata", "5885", b"{}")


def test_bsd_year_rolls_back_for_december_records_read_in_january() -> None:
    msg = parse_syslog(b"Dec 31 23:59:59 h x", INGEST, UTC)
    assert msg.time is not None
    assert msg.time.year == 2023


def test_bsd_header_without_host_keeps_csv_intact() -> None:
    msg = parse_syslog(b"Oct 30 09:46:12 1,2012/10/30 09:46:12,0016,TRAFFIC", INGEST, UTC)
    assert msg.host is None
    assert msg.message.startswith(b"1,2012/10/30")


def test_no_header() -> None:
    msg = parse_syslog(b"CEF:0|a|b|c|d|e|1|", INGEST, UTC)
    assert msg.kind == "none"
    assert msg.message == b"CEF:0|a|b|c|d|e|1|"


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_octet_counting_framer_any_chunking(chunk: int) -> None:
    stream = b"11 <14>1 - - a13 <14>1 - - bcd\n"
    # the second frame is "<14>1 - - bcd" (13 bytes); the newline after it is ignored
    chunks = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    frames = [f.data for f in split_records(SyslogFramer(), chunks)]
    assert frames == [b"<14>1 - - a", b"<14>1 - - bcd"]


def test_syslog_framer_falls_back_to_lines() -> None:
    frames = list(split_records(SyslogFramer(), [b"<14>one\r\n", b"<14>two\n\n<14>three"]))
    assert [(f.line, f.data) for f in frames] == [
        (1, b"<14>one"),
        (2, b"<14>two"),
        (4, b"<14>three"),
    ]


def test_line_framer_offsets_and_oversize_lines() -> None:
    framer = LineFramer(cap=8)
    frames = list(split_records(framer, [b"short\n", b"x" * 20, b"y" * 5, b"\nlast"]))
    assert [(f.offset, f.line, f.data) for f in frames] == [
        (0, 1, b"short"),
        (6, 2, b"x" * 9),  # cap + 1 bytes: the parser rejects it as oversize
        (32, 3, b"last"),
    ]


def test_xml_framer_splits_documents_across_lines_and_chunks() -> None:
    doc = b'<?xml version="1.0"?>\n<a:Root xmlns:a="x">\n<a:Root2/>\n</a:Root>\n'
    stream = doc + b"\n" + doc
    frames = list(
        split_records(XmlDocumentFramer(), [stream[i : i + 5] for i in range(0, len(stream), 5)])
    )
    assert [f.line for f in frames] == [1, 6]
    assert all(f.data.endswith(b"</a:Root>") for f in frames)
