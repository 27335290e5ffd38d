"""Unreadable local table state is moved aside with a message; readable state stays."""

from __future__ import annotations

from pathlib import Path

from rocksdict import Options, Rdict

from correlator.runtime.localstate import databases, set_aside_unreadable, unreadable


def table(state: Path, name: str, rows: int) -> Path:
    path = state / "v1" / "tables" / f"{name}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Rdict(str(path), options=Options(raw_mode=True))
    for n in range(rows):
        db[f"key-{n}".encode()] = b"x" * 100
    db.flush()
    db.close()
    return path


def truncate_table_file(db: Path) -> None:
    sst = sorted(db.glob("*.sst"))[0]
    sst.write_bytes(sst.read_bytes()[:100])


def test_a_truncated_table_is_moved_aside_and_a_readable_one_stays(tmp_path: Path) -> None:
    good = table(tmp_path, "engine-0", 1000)
    bad = table(tmp_path, "engine-1", 1000)
    truncate_table_file(bad)
    assert unreadable(good) is None
    assert "Corruption" in (unreadable(bad) or "")

    messages = set_aside_unreadable(tmp_path)

    assert len(messages) == 1
    assert str(bad) in messages[0]
    assert "rebuilt from the changelog" in messages[0]
    assert databases(tmp_path) == [good]
    (aside,) = (tmp_path / "unreadable").iterdir()
    assert aside.name.startswith("engine-1.db-")
    assert unreadable(aside) is not None  # kept as it was, for a look
    assert set_aside_unreadable(tmp_path) == []  # the next start finds nothing to do


def test_no_state_yet_is_nothing_to_do(tmp_path: Path) -> None:
    assert set_aside_unreadable(tmp_path / "missing") == []
