"""The changelog ledger: table writes are counted until the broker acknowledges them, and a
commit waits for the writes of the records it covers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from correlator.runtime.app import build_app
from correlator.runtime.changelog import ChangelogLedger, ChangelogWriteFailed, ledger
from correlator.settings import Settings
from tests.unit.runtime.test_offsets import EVENTS, acknowledge, safe_consumer


def test_a_write_is_waiting_until_acknowledged_and_a_failed_one_stays_a_failure() -> None:
    async def run() -> None:
        book = ChangelogLedger()
        assert book.clean
        first, second = asyncio.Future[Any](), asyncio.Future[Any]()
        book.sent(first)
        book.sent(second)
        assert (book.waiting, book.clean) == (2, False)
        first.set_result("offset 7")
        await asyncio.sleep(0)  # done callbacks run on the loop
        assert (book.waiting, book.clean) == (1, False)
        second.set_exception(ConnectionError("broker gone"))
        await asyncio.sleep(0)
        assert book.waiting == 0
        assert not book.clean  # nothing waits, but the changelog lacks a change
        with pytest.raises(ChangelogWriteFailed, match="broker gone"):
            await book.settle()

    asyncio.run(run())


def test_settle_waits_for_the_writes_sent_before_it_only() -> None:
    async def run() -> None:
        book = ChangelogLedger()
        early = asyncio.Future[Any]()
        book.sent(early)
        settling = asyncio.ensure_future(book.settle())
        await asyncio.sleep(0.01)
        assert not settling.done()
        book.sent(asyncio.Future[Any]())  # sent after the call: not waited for
        early.set_result("offset 8")
        await asyncio.wait_for(settling, 1.0)
        assert book.waiting == 1

    asyncio.run(run())


def test_the_worker_tables_put_their_changelog_writes_in_the_ledger(tmp_path: Path) -> None:
    from correlator.runtime.correlating import attach
    from correlator.runtime.metrics import RuntimeMetrics

    settings = Settings(state_dir=tmp_path)
    app = build_app(settings, "ledger-test")
    pipeline = attach(app, settings, RuntimeMetrics())

    async def run() -> None:
        engine = pipeline.state.send_changelog(0, "0/person/k", {"v": 1})
        identity = pipeline.identity_state.send_changelog(1, "p", {"v": 2})
        assert ledger(app).waiting == 2
        engine.set_result("acknowledged")
        identity.set_result("acknowledged")
        await asyncio.sleep(0)
        assert ledger(app).clean

    asyncio.run(run())


class App:
    """Stands for the Faust app, which only the ledger is looked up by."""


class Committing:
    """A SafeConsumer with Faust's offset bookkeeping, whose commits are recorded."""

    def __init__(self) -> None:
        self.consumer = consumer = safe_consumer()
        consumer._committed_offset[EVENTS] = 100
        consumer.app = App()
        consumer._should_commit = lambda tp, offset: True
        self.committed: list[dict[Any, int]] = []
        self.crashes: list[BaseException] = []

        async def handle_attached(offsets: Any) -> None:
            return None

        async def commit_offsets(offsets: Any, start_new_transaction: bool = True) -> bool:
            self.committed.append(dict(offsets))
            return True

        async def crash(exc: BaseException) -> None:
            self.crashes.append(exc)

        consumer._handle_attached = handle_attached
        consumer._commit_offsets = commit_offsets
        consumer.crash = crash

    @property
    def ledger(self) -> ChangelogLedger:
        return ledger(self.consumer.app)

    async def commit(self) -> bool:
        done: bool = await self.consumer._commit_tps([EVENTS], start_new_transaction=False)
        return done


def test_a_commit_waits_for_the_changelog_writes_of_the_records_it_covers() -> None:
    async def run() -> None:
        c = Committing()
        write = asyncio.Future[Any]()
        acknowledge(c.consumer, 100, 101)
        c.ledger.sent(write)  # record 101's state change, not acknowledged yet
        committing = asyncio.ensure_future(c.commit())
        await asyncio.sleep(0.01)
        assert c.committed == []  # waiting for the write
        acknowledge(c.consumer, 102)  # handled while the commit waits: not part of it
        c.ledger.sent(asyncio.Future[Any]())
        write.set_result("acknowledged")
        assert await asyncio.wait_for(committing, 1.0)
        assert c.committed == [{EVENTS: 102}]
        assert c.crashes == []

    asyncio.run(run())


def test_a_failed_changelog_write_stops_the_worker_instead_of_committing() -> None:
    async def run() -> None:
        c = Committing()
        write = asyncio.Future[Any]()
        c.ledger.sent(write)
        write.set_exception(ConnectionError("record too large"))
        await asyncio.sleep(0)
        acknowledge(c.consumer, 100)
        assert not await c.commit()
        assert c.committed == []
        assert [type(exc) for exc in c.crashes] == [ChangelogWriteFailed]

    asyncio.run(run())
