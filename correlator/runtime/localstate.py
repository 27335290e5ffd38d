"""The worker's local table state is a cache of the changelogs: unreadable state is set
aside, not fatal.

A worker's tables live in RocksDB files under its state directory, and every write also goes
to the table's changelog topic. A database that cannot be opened (a disk filled up, a file
truncated, a half-copied volume) would make Faust crash at every start: a crash loop for the
operator. Before the worker starts, each table database is opened once; one that fails is
moved to ``<state>/unreadable/`` with a message saying so, and Faust rebuilds it from its
changelog as it does for a deleted directory (its stored changelog offset goes with it).
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
