"""Any bytes in, events or a Reject out: no parser may raise (as many examples as the
Hypothesis profile says, see :mod:`tests.fuzzing`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from correlator_connectors import formats
from correlator_connectors.parsers.base import ParseContext, Reject
from hypothesis import given
from hypothesis import strategies as st

from correlator.model.event import Event
from tests.fuzzing import FUZZ

pytestmark = pytest.mark.fuzz

CTX = ParseContext(connector="fuzz", ingest_time=datetime(2024, 6, 1, tzinfo=UTC))
NAMES = [name for name, _ in formats.available() if name != "mapping:PATH"]

# Prefixes that get random bytes past the first checks, into each parser's body.
PREFIXES = [
    b"",
    b"{",
    b'{"event_type":"alert","timestamp":"2024-01-01T00:00:00Z","alert":',
    b"<14>May  6 08:00:00 host ",
    b'<14>1 2024-05-06T08:00:00Z host app - - [a b="',
    b"1,2024/05/06 08:00:00,001,TRAFFIC,end,1,2024/05/06 08:00:00,",
    b"1,2024/05/06 08:00:00,001,GLOBALPROTECT,0,1,2024/05/06 08:00:00,,gateway-connected,",
    b"date=2024-05-06 time=08:00:00 type=event subtype=vpn action=tunnel-up ",
    b"CEF:0|a|b|c|d|e|",
    b"LEEF:2.0|a|b|c|d|x5e|",
    b'<tt:MetadataStream xmlns:tt="x"><tt:Event><NotificationMessage><Topic>',
    b"#fields\tts\tuid\n",
    b"2016-05-31 00:05, fixed-prox, ",
    b'{"EventID":4624,"EventTime":',
]


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(prefix=st.sampled_from(PREFIXES), tail=st.binary(max_size=300))
def test_parsers_never_raise(name: str, prefix: bytes, tail: bytes) -> None:
    parser = formats.get_parser(name)
    for record in (prefix + tail, tail):
        result = parser.parse(record, CTX)
        assert isinstance(result, Reject) or all(isinstance(e, Event) for e in result)
        if isinstance(result, Reject):
            assert result.reason
            assert result.raw == record


@pytest.mark.parametrize("name", NAMES)
def test_size_cap_rejects_before_parsing(name: str) -> None:
    ctx = ParseContext(connector="fuzz", ingest_time=CTX.ingest_time, max_record_bytes=64)
    result = formats.get_parser(name).parse(b"{" + b" " * 100 + b"}", ctx)
    assert isinstance(result, Reject)
    assert result.kind == "oversize"
    assert "64-byte cap" in result.reason
