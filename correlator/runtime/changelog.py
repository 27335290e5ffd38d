"""The changelog writes of a worker's tables that the broker has not acknowledged yet.

Faust writes a table change to the local RocksDB at once and to the table's changelog topic
later, through the producer; nothing ties the two, or the commit of the input record that
made the change, together. Two things then go wrong when a worker dies (``kill -9``, a lost
host) or a changelog write fails:

- Faust commits input offsets without waiting for the changelog: a record can be committed
  while the state it made is still in the producer's buffer. The worker that takes over
  restores the state without it and never reads the record again.
- the local table can hold a change its changelog never got. A restarted worker trusts its
  local tables (it only reads the changelog past the last offset it saw acknowledged), and
  nothing ever writes the change again if the engine finds it already there: the tables of
  the next worker to restore from the changelog lack it.

The ledger counts every changelog write until the broker acknowledges it. The consumer
commits an input offset only once the changelog writes made before it are acknowledged
(:class:`~correlator.runtime.offsets.SafeConsumer`), and the worker leaves a clean-stop mark
beside its tables only when it stops with nothing outstanding and nothing failed; a worker
that starts without the mark rebuilds its tables from the changelog
(:mod:`correlator.runtime.localstate`).
"""

from __future__ import annotations

import asyncio
from typing import Any
from weakref import WeakKeyDictionary

import faust

from correlator.errors import CorrelatorError


class ChangelogWriteFailed(CorrelatorError):
    """The broker refused a changelog write: the table has a change its changelog lacks."""


class ChangelogLedger:
    """Changelog writes sent and not yet acknowledged, and the first one that failed."""

    def __init__(self) -> None:
        self._waiting: set[asyncio.Future[Any]] = set()
        self.failure: BaseException | None = None

    def sent(self, write: asyncio.Future[Any]) -> None:
        """Count ``write`` (the future Faust returns for a changelog record) until it ends."""
        self._waiting.add(write)
        write.add_done_callback(self._ended)

    def _ended(self, write: asyncio.Future[Any]) -> None:
        self._waiting.discard(write)
        if self.failure is not None:
            return
        if write.cancelled():
            self.failure = asyncio.CancelledError("a changelog write was cancelled")
        else:
            self.failure = write.exception()

    @property
    def waiting(self) -> int:
        """Writes sent and not acknowledged yet."""
        return len(self._waiting)

    @property
    def clean(self) -> bool:
        """Every write sent was acknowledged."""
        return not self._waiting and self.failure is None

    async def settle(self) -> None:
        """Wait until the writes sent before this call are acknowledged. Raises
        :class:`ChangelogWriteFailed` once any write has failed."""
        self._check()
        writes = list(self._waiting)
        if writes:
            await asyncio.wait(writes)
            self._check()

    def _check(self) -> None:
        if self.failure is not None:
            raise ChangelogWriteFailed(
                f"a table change could not be written to its changelog ({self.failure!r}); "
                "the worker stops so that its state is rebuilt from the changelog and the "
                "records since the last commit are read again"
            ) from self.failure


_LEDGERS: WeakKeyDictionary[Any, ChangelogLedger] = WeakKeyDictionary()


def ledger(app: faust.App) -> ChangelogLedger:
    """The ledger of ``app``'s tables."""
    return _LEDGERS.setdefault(app, ChangelogLedger())


class _Counted:
    """Table mixin: each changelog write goes into the app's ledger."""

    app: faust.App

    def send_changelog(self, *args: Any, **kwargs: Any) -> Any:
        write = super().send_changelog(*args, **kwargs)  # type: ignore[misc]
        ledger(self.app).sent(write)
        return write


class Table(_Counted, faust.Table):  # type: ignore[misc,type-arg]
    """A Faust table whose changelog writes the ledger counts."""


class GlobalTable(_Counted, faust.GlobalTable):  # type: ignore[misc]
    """A Faust global table whose changelog writes the ledger counts."""
