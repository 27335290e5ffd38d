"""A 10 MB record in a stream: every framer hands on its first ``cap + 1`` bytes (which the
parser rejects as oversize), drops the rest without buffering it, and the records after it
come out intact, at their true offsets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from correlator_connectors import formats
from correlator_connectors.parsers.base import ParseContext, Reject
from correlator_connectors.parsers.framing import Frame, Framer, LineFramer, XmlDocumentFramer
from correlator_connectors.parsers.syslog import SyslogFramer

from tests.badinput import BIG, INGEST, bad_cases, valid

CAP = 1 << 20
CHUNK = 1 << 16


def oversize(fmt: str) -> bytes:
    return next(case.data for case in bad_cases(fmt) if case.kind == "oversize")


def frames(framer: Framer, data: bytes) -> Iterator[Frame]:
    """The frames of ``data`` read in 64 KiB chunks, checking the framer's buffer stays
    bounded by the cap and a chunk (it never holds the whole 10 MB)."""
    for start in range(0, len(data), CHUNK):
        yield from framer.feed(data[start : start + CHUNK])
        assert len(getattr(framer, "_buffer", b"")) <= CAP + 2 * CHUNK
    yield from framer.flush()


@pytest.mark.parametrize(
    ("fmt", "framer", "separator"),
    [
        pytest.param("suricata", LineFramer(CAP), b"\n", id="lines"),
        pytest.param("onvif", XmlDocumentFramer(CAP), b"\n", id="xml-documents"),
        pytest.param("cef", SyslogFramer(CAP), b"\n", id="syslog-lines"),
    ],
)
def test_an_oversize_record_is_cut_and_its_neighbours_are_intact(
    fmt: str, framer: Framer, separator: bytes
) -> None:
    before, huge, after = valid(fmt, 1), oversize(fmt), valid(fmt, 2)
    stream = before + separator + huge + separator + after + separator
    got = list(frames(framer, stream))
    assert [f.data for f in got] == [before, huge[: CAP + 1], after]
    assert [f.offset for f in got] == [0, len(before) + 1, len(before) + len(huge) + 2]
    parser = formats.get_parser(fmt)
    ctx = ParseContext(connector="t", ingest_time=INGEST, max_record_bytes=CAP)
    results = [parser.parse(f.data, ctx) for f in got]
    assert isinstance(results[1], Reject)
    assert results[1].kind == "oversize"
    assert not isinstance(results[0], Reject)
    assert not isinstance(results[2], Reject)


def test_octet_counting_skips_a_10_mb_record_by_its_count() -> None:
    before, after = b"<134>" + valid("cef", 1), b"<134>" + valid("cef", 2)
    huge = b"<134>" + oversize("cef")
    stream = b"".join(b"%d %s" % (len(r), r) for r in (before, huge, after))
    got = list(frames(SyslogFramer(CAP), stream))
    assert [f.data for f in got] == [before, huge[: CAP + 1], after]
    assert len(huge) >= BIG


def test_the_tail_of_an_oversize_xml_document_never_passes_for_documents() -> None:
    """The 10 MB document holds complete notification elements: once cut, none of them may
    come out as a record of its own."""
    inner = valid("onvif", 3).split(b"<tt:Event>")[1].split(b"</tt:Event>")[0]
    huge = b'<tt:MetadataStream xmlns:tt="x"><tt:Event>' + inner * (BIG // len(inner))
    huge += b"</tt:Event></tt:MetadataStream>"
    stream = huge + b"\n" + valid("onvif", 4)
    got = list(frames(XmlDocumentFramer(CAP), stream))
    assert [f.data for f in got] == [huge[: CAP + 1], valid("onvif", 4)]


def test_garbage_before_a_csv_header_is_rejected_and_the_header_still_counts() -> None:
    parser = formats.get_parser("csv-doors")
    ctx = ParseContext(connector="t", ingest_time=INGEST)
    garbage = parser.parse(b"\x1b[2J,nothing,here", ctx)
    assert isinstance(garbage, Reject)
    assert "expected the header row first, naming 'Timestamp', 'Event'" in garbage.reason
    assert parser.parse(b"Timestamp,Event,Card,Cardholder,Site,Door,Reader,Controller", ctx) == []
    (event,) = parser.parse(valid("csv-doors", 1).rsplit(b",", 1)[0], ctx)  # type: ignore[misc]  # a list of one event here
    assert event.actor is not None
    assert event.actor.credential == "0000001"


def test_broken_and_foreign_records_in_an_xml_stream_leave_the_good_documents_whole() -> None:
    """An unclosed document ends where the next ``<?xml`` begins; a JSON line or a UTF-16
    document between documents is a record of its own."""
    good = [valid("onvif", n) for n in range(4)]
    broken = good[0][:-40]
    foreign = [valid("suricata", 1), good[0].decode().encode("utf-16")]
    stream = b"\n".join([good[1], broken, good[2], *foreign, good[3]]) + b"\n"
    got = [f.data for f in frames(XmlDocumentFramer(CAP), stream)]
    assert got == [good[1], broken, good[2], *foreign, good[3]]
