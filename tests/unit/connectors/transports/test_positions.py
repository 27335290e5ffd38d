from __future__ import annotations

from pathlib import Path

import pytest
from correlator_connectors.parsers.framing import LineFramer
from correlator_connectors.transports.positions import (
    FileId,
    FilePosition,
    PositionStore,
    frame_end,
    resume_offset,
)

from correlator.errors import ConfigError

SAME = FileId(device=1, inode=100)
OTHER = FileId(device=1, inode=200)


@pytest.mark.parametrize(
    ("saved", "current", "size", "expected"),
    [
        pytest.param(None, SAME, 500, 0, id="never-read"),
        pytest.param(FilePosition("a", SAME, 300), SAME, 500, 300, id="same-file-grown"),
        pytest.param(FilePosition("a", SAME, 500), SAME, 500, 500, id="same-file-at-end"),
        pytest.param(FilePosition("a", SAME, 300), OTHER, 500, 0, id="rotated-new-file"),
        pytest.param(FilePosition("a", SAME, 300), SAME, 100, 0, id="truncated"),
    ],
)
def test_resume_offset(
    saved: FilePosition | None, current: FileId, size: int, expected: int
) -> None:
    assert resume_offset(saved, current, size) == expected


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
@pytest.mark.parametrize("cut", [1, 7, 15, 40])
def test_resuming_at_a_frame_end_reads_the_rest_exactly_once(eol: bytes, cut: int) -> None:
    records = [b"alpha", b"bravo charlie", b"", b"delta", b"echo foxtrot golf"]
    stream = b"".join(r + eol for r in records)
    first = LineFramer().feed(stream[:cut])
    resume = frame_end(0, first[-1]) if first else 0
    rest = LineFramer()
    again = [*rest.feed(stream[resume:]), *rest.flush()]
    read = [f.data for f in first] + [f.data for f in again]
    assert read == [r for r in records if r]
    assert all(stream[resume + f.offset :].startswith(f.data) for f in again)


def test_store_round_trip_and_atomic_replace(tmp_path: Path) -> None:
    store = PositionStore(tmp_path / "connectors" / "ids")
    assert store.load() is None
    store.save(FilePosition("/var/log/eve.json", SAME, 1234))
    store.save(FilePosition("/var/log/eve.json", OTHER, 99))
    assert store.load() == FilePosition("/var/log/eve.json", OTHER, 99)
    assert [p.name for p in store.file.parent.iterdir()] == ["position.json"]


def test_corrupt_store_says_how_to_recover(tmp_path: Path) -> None:
    store = PositionStore(tmp_path)
    store.file.write_bytes(b'{"path": "x", "offset": 3}')
    with pytest.raises(ConfigError, match=r"position\.json: unreadable .*delete it"):
        store.load()
