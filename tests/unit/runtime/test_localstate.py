"""Unreadable local table state is moved aside with a message; readable state stays. State
left without a clean stop is deleted, to be rebuilt from the changelog."""

from __future__ import annotations

from pathlib import Path

from rocksdict import Options, Rdict

from correlator.runtime.localstate import (
    CLEAN_STOP,
    databases,
    discard_after_unclean_stop,
    mark_clean_stop,
    set_aside_unreadable,
    unreadable,
)


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
    assert discard_after_unclean_stop(tmp_path / "missing") == []


def test_tables_are_kept_after_a_clean_stop_and_the_mark_is_taken_at_start(
    tmp_path: Path,
) -> None:
    tables = [table(tmp_path, "engine-0", 10), table(tmp_path, "engine-1", 10)]
    mark_clean_stop(tmp_path)
    assert discard_after_unclean_stop(tmp_path) == []
    assert databases(tmp_path) == tables
    assert not (tmp_path / CLEAN_STOP).exists()  # a worker that dies now leaves none


def test_tables_left_without_a_clean_stop_are_deleted_with_a_message(tmp_path: Path) -> None:
    table(tmp_path, "engine-0", 10)
    table(tmp_path, "engine-1", 10)
    mark_clean_stop(tmp_path)
    discard_after_unclean_stop(tmp_path)  # a worker starts, then is killed: no new mark

    messages = discard_after_unclean_stop(tmp_path)

    assert len(messages) == 1
    assert "did not stop cleanly" in messages[0]
    assert "2 databases" in messages[0]
    assert databases(tmp_path) == []
    assert discard_after_unclean_stop(tmp_path) == []  # nothing left to delete
