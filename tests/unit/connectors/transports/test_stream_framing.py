"""What the TCP syslog transport relies on from the octet-counting framer: positions that
locate each record in the connection's stream, and sync kept past an oversize record."""

from __future__ import annotations

import pytest
from correlator_connectors.parsers.framing import split_records
from correlator_connectors.parsers.syslog import SyslogFramer

RECORDS = [b"<14>first", b"<14>second\nwith a newline", b"<14>" + b"x" * 300, b"<14>last"]
STREAM = b"".join(b"%d %s" % (len(r), r) for r in RECORDS)


@pytest.mark.parametrize("chunk", [1, 3, 64, len(STREAM)])
def test_offsets_locate_each_record_and_an_oversize_one_does_not_break_sync(chunk: int) -> None:
    cap = 100
    pieces = [STREAM[i : i + chunk] for i in range(0, len(STREAM), chunk)]
    frames = list(split_records(SyslogFramer(cap), pieces))
    assert [f.data for f in frames] == [RECORDS[0], RECORDS[1], RECORDS[2][: cap + 1], RECORDS[3]]
    for frame in frames:
        assert STREAM[frame.offset :].startswith(frame.data)
