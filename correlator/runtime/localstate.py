"""The worker's local table state is a cache of the changelogs: unreadable state is set
aside, not fatal, and state a worker left without a clean stop is rebuilt.

A worker's tables live in RocksDB files under its state directory, and every write also goes
to the table's changelog topic. A database that cannot be opened (a disk filled up, a file
truncated, a half-copied volume) would make Faust crash at every start: a crash loop for the
operator. Before the worker starts, each table database is opened once; one that fails is
moved to ``<state>/unreadable/`` with a message saying so, and Faust rebuilds it from its
changelog as it does for a deleted directory (its stored changelog offset goes with it).

Local tables are trusted only after a clean stop. Faust writes a change to RocksDB at once
and to the changelog later, so a worker killed in between leaves local tables holding
changes the changelog never got (see :mod:`correlator.runtime.changelog`). A worker that
stops with every changelog write acknowledged leaves a mark beside its tables
(:func:`mark_clean_stop`); at start the mark is taken away, and tables found without it are
deleted, to be rebuilt from the changelog (:func:`discard_after_unclean_stop`). The cost is
a full restore after a crash.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from rocksdict import Options, Rdict

from correlator.errors import CorrelatorError


class LocalStateError(CorrelatorError):
    """Unreadable local state that could not be set aside either."""


def databases(state: Path) -> list[Path]:
    """The RocksDB directories of the tables under a worker's state directory."""
    return sorted(p for p in state.glob("v*/tables/*.db") if p.is_dir())


def unreadable(db: Path) -> str | None:
    """Why the database at ``db`` cannot be opened, or None if it opens."""
    try:
        Rdict(str(db), options=Options(raw_mode=True)).close()
    except Exception as exc:  # rocksdict raises plain Exception for corruption and I/O
        return str(exc).splitlines()[0]
    return None


def set_aside_unreadable(state: Path) -> list[str]:
    """Move every table database under ``state`` that cannot be opened out of the way;
    returns one message per database moved (for the log)."""
    moved = []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for db in databases(state):
        reason = unreadable(db)
        if reason is None:
            continue
        target = state / "unreadable" / f"{db.name}-{stamp}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(db), target)
        except OSError as exc:
            raise LocalStateError(
                f"{db}: local table state is unreadable ({reason}) and could not be moved "
                f"aside ({exc}). Delete it: the worker rebuilds it from the changelog."
            ) from exc
        moved.append(
            f"{db}: local table state is unreadable ({reason}); moved to {target}. It is "
            "rebuilt from the changelog; delete the copy once no longer needed."
        )
    return moved


CLEAN_STOP = "clean-stop"
"""The mark a worker leaves in its state directory when it stops cleanly."""


def mark_clean_stop(state: Path) -> None:
    """Say that the tables under ``state`` hold nothing their changelogs lack."""
    (state / CLEAN_STOP).write_text(datetime.now(UTC).isoformat() + "\n")


def discard_after_unclean_stop(state: Path) -> list[str]:
    """Delete the table databases under ``state`` unless the last worker there stopped
    cleanly, and take the mark away (a worker that dies from now on leaves none); returns
    one message for the log if anything was deleted."""
    mark = state / CLEAN_STOP
    clean = mark.exists()
    dbs = [] if clean else databases(state)
    for db in dbs:
        try:
            shutil.rmtree(db)
        except OSError as exc:
            raise LocalStateError(
                f"{db}: the last worker here did not stop cleanly, so this local table state "
                f"may hold changes its changelog lacks, and it could not be deleted ({exc}). "
                "Delete it: the worker rebuilds it from the changelog."
            ) from exc
    mark.unlink(missing_ok=True)
    if not dbs:
        return []
    return [
        f"{state}: the last worker here did not stop cleanly (killed, crashed, or a changelog "
        f"write failed); its local table state ({len(dbs)} databases) may hold changes its "
        "changelog lacks and was deleted. It is rebuilt from the changelog."
    ]
