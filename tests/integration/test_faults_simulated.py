"""Worker faults over a simulated organisation's stream (out-of-order arrivals and late
uploads, the whole rule library, the simulated directory): each faulty run must give exactly
the alert-id set of a fault-free run over the same input, after removing exact id repeats.
``make test`` runs them over 52,999 events (2,500 people over 40 hours), ``make soak`` over
149,534 (5,000 people over 60 hours; see :mod:`tests.integration.stream`).

The stream and the fault-free run are made once per test session (``simulated_stream`` and
``fault_free`` in ``tests/conftest.py``); the broker restart test
(:mod:`tests.integration.test_broker_restart`) compares with the same run. With the rule
library the worker spends about 3.5 ms of CPU on an event here, so a run takes minutes. Runs
go side by side (``faulty_runs``; the fault-free run beside the first test that needs it):
two take about as long as one alone here, as a worker waits on the broker much of the time.
The faults share two runs:

- one worker stopped and restarted five times: killed (``kill -9``) four times, its local
  state deleted before the second restart (it rebuilds it from the changelog, as it does
  after every kill), and stopped cleanly once, its table files then truncated (as a failing
  disk leaves them): it sets them aside and rebuilds them instead of crashing;
- one worker, then two (a rebalance hands half the partitions over), then one of them
  killed and never restarted (its partitions and their table state move to the other).

The stream is sent while the worker runs, half an hour of arrival time at a time (see
:mod:`tests.integration.stream`); faults land right after a slice is sent, mid-processing.
All runs allow two hours of lateness: after a fault the worker reads a backlog, and it reads
its topics at different paces, so with the simulator's three minutes the set of late events
would depend on fetch timing rather than on the faults under test.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from correlator.runtime.app import worker_dir
from correlator.runtime.control import publish
from correlator.runtime.correlating import APP_ID
from correlator.runtime.localstate import CLEAN_STOP, databases
from correlator.settings import Settings
from tests.integration.kafka import WorkerProcess
from tests.integration.stream import Background, Simulated, feed
from tests.integration.workers import (
    ROOT,
    alert_ids,
    heartbeat,
    prepare,
    send_events,
    wait_alerts,
    wait_consumed,
)

FAULT_TIMEOUT = int(os.environ.get("CORRELATOR_FAULT_TIMEOUT", "1800"))
"""Seconds per test: a run over the stream takes four to ten minutes, and the first test of a
session also waits for the fault-free run."""

pytestmark = pytest.mark.timeout(FAULT_TIMEOUT)


def run_settings(broker: str, state: Path) -> Settings:
    return Settings(
        bootstrap_servers=broker,
        topic_prefix=f"f{uuid.uuid4().hex[:8]}.",
        state_dir=state,
        partitions=2,
        lateness="2h",
    )


def rule_files() -> list[Path]:
    return sorted((ROOT / "rules").glob("*.yaml"))


def prepared(broker: str, state: Path, stream: Simulated) -> Settings:
    settings = run_settings(broker, state)
    prepare(settings, rule_files(), None)
    publish(settings, settings.topic("directory"), [stream.directory_record])
    return settings


def flush(settings: Settings, stream: Simulated) -> None:
    """An event far past the stream moves every watermark past it (a worker never ends its
    input the way a replay does)."""
    last = max(event.time for event in stream.events)
    send_events(settings, [heartbeat(last + timedelta(days=3))])


def settle(settings: Settings, stream: Simulated) -> list[str]:
    """Every alert id of the run, once the stream is sent: the flush, and until the workers
    have consumed everything (the flush's tick included)."""
    flush(settings, stream)
    wait_consumed(settings)
    time.sleep(3 * settings.tick_interval)  # the flush's tick is sent, then consumed
    wait_consumed(settings)
    return alert_ids(settings)


class FaultFree:
    """The fault-free run (the ``fault_free`` session fixture): one worker, the stream fed as
    in every run. It goes in the background from the first test that needs it, beside that
    test's own run; its alert ids are needed only when a faulty run has ended."""

    def __init__(self, broker: str, stream: Simulated, tmp: Path) -> None:
        self.stream = stream
        self.settings = prepared(broker, tmp / "state", stream)
        self.worker = WorkerProcess(self.settings, tmp / "worker.log")
        self.run = Background(self._run, "fault-free run")

    def _run(self) -> set[str]:
        feed(self.settings, self.stream)
        ids = settle(self.settings, self.stream)
        self.worker.stop()
        assert len(ids) == len(set(ids)), "a fault-free run repeats no alert"
        assert len(ids) >= 10, self.worker.output()[-3000:]
        return set(ids)

    def ids(self) -> set[str]:
        """Its alert ids, once it has ended."""
        return self.run.result()

    def stop(self) -> None:
        self.worker.stop()


class Workers:
    """The worker processes of one run, each with its own state directory and log."""

    def __init__(self, settings: Settings, tmp: Path) -> None:
        self.settings = settings
        self.tmp = tmp
        self.running: dict[str, WorkerProcess] = {}
        self.logs: list[Path] = []
        self.stopped = False

    def state(self, name: str) -> Path:
        return self.tmp / f"state-{name}"

    def start(self, name: str) -> None:
        assert not self.stopped, "the run was stopped"  # no worker left behind by a late fault
        settings = self.settings.model_copy(update={"state_dir": self.state(name)})
        log = self.tmp / f"worker-{name}.log"
        self.logs.append(log)
        self.running[name] = WorkerProcess(settings, log)

    def kill(self, name: str) -> None:
        self.running.pop(name).kill()

    def stop(self, name: str) -> int:
        """SIGTERM, and the worker's exit status."""
        return self.running.pop(name).stop()

    def stop_all(self) -> None:
        self.stopped = True
        for worker in self.running.values():
            worker.stop()

    def output(self, whole: bool = False) -> str:
        """The end of each worker's log (``whole``: all of it)."""
        texts = (log.read_text(errors="replace") for log in dict.fromkeys(self.logs))
        return "\n".join(text if whole else text[-4000:] for text in texts)


class Schedule:
    """Faults at given fractions of the stream's events sent: each one once, at the first
    slice that reaches its fraction."""

    def __init__(self, *at: float) -> None:
        self.pending = sorted(at)
        self.done = 0

    def due(self, sent: float) -> bool:
        if self.pending and sent >= self.pending[0]:
            self.pending.pop(0)
            self.done += 1
            return True
        return False


def killed_and_stopped(run: Workers, stream: Simulated) -> None:
    """One worker stopped and restarted five times: killed (``kill -9``) four times, its
    local state deleted before the second restart; stopped with SIGTERM before the fourth,
    and its table files truncated before it restarts."""
    run.start("a")
    local = worker_dir(run.settings.model_copy(update={"state_dir": run.state("a")}), APP_ID)
    schedule = Schedule(0.15, 0.3, 0.45, 0.6, 0.75)

    def fault(sent: float) -> bool:
        if not schedule.due(sent):
            return False
        if schedule.done == 4:
            assert run.stop("a") == 0
            assert (local / CLEAN_STOP).exists()  # its tables are trusted at the next start
            # Truncated as a failing disk leaves them: set aside, rebuilt from the changelog.
            manifests = [f for db in databases(local) for f in db.glob("MANIFEST-*")]
            assert manifests, "the tables were meant to be on disk by now"
            for manifest in manifests:
                manifest.write_bytes(manifest.read_bytes()[:10])
        else:
            run.kill("a")
        if schedule.done == 2:
            shutil.rmtree(local)  # lost: rebuilt from the changelog
        run.start("a")
        return True

    feed(run.settings, stream, fault)
    assert schedule.done == 5
    output = run.output(whole=True)
    assert "local table state is unreadable" in output
    # The tables a killed worker left were deleted, except where nothing was left.
    assert output.count("the last worker here did not stop cleanly") == 3


def one_then_two_then_one(run: Workers, stream: Simulated) -> None:
    """One worker, then two, then one of them killed for good."""
    run.start("a")
    schedule = Schedule(0.25, 0.6)

    def fault(sent: float) -> bool:
        if not schedule.due(sent):
            return False
        if schedule.done == 1:
            run.start("b")  # 1 -> 2: half the partitions move to b
        else:
            run.kill("a")  # 2 -> 1: a's partitions and state move to b, a never returns
        return True

    feed(run.settings, stream, fault)
    assert schedule.done == 2


RUNS: dict[str, Callable[[Workers, Simulated], None]] = {
    "killed": killed_and_stopped,
    "scaled": one_then_two_then_one,
}
"""The module's faulty runs by name."""


class FaultyRun:
    """A run with faults, in the background: its alert ids once the stream is sent."""

    def __init__(self, broker: str, stream: Simulated, tmp: Path,
                 faults: Callable[[Workers, Simulated], None]) -> None:  # fmt: skip
        self.workers = Workers(prepared(broker, tmp / "state", stream), tmp)

        def run() -> set[str]:
            faults(self.workers, stream)
            return set(settle(self.workers.settings, stream))

        self.run = Background(run, tmp.name)

    def check(self, fault_free: FaultFree) -> None:
        """Its alert-id set is the fault-free run's (repeats removed)."""
        self.run.result()
        reference = fault_free.ids()
        got = set(wait_alerts(self.workers.settings, reference))  # at once, unless some lack
        logs = f"logs in {self.workers.tmp}\n{self.workers.output()}"
        assert reference - got == set(), f"lost alerts\n{logs}"
        assert got - reference == set(), f"extra alerts\n{logs}"


@pytest.fixture(scope="module")
def faulty_runs(
    broker: str, simulated_stream: Simulated, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, FaultyRun]]:
    """Every run of :data:`RUNS`, all started at once (whichever tests are selected); each
    test waits for its own."""
    runs: dict[str, FaultyRun] = {}
    try:
        for name, faults in RUNS.items():
            runs[name] = FaultyRun(broker, simulated_stream, tmp_path_factory.mktemp(name), faults)
        yield runs
    finally:
        for run in runs.values():
            run.workers.stop_all()


def test_a_worker_killed_four_times_and_stopped_once_its_state_deleted_then_truncated(
    faulty_runs: dict[str, FaultyRun], fault_free: FaultFree
) -> None:
    faulty_runs["killed"].check(fault_free)


def test_one_worker_then_two_then_one_killed_for_good(
    faulty_runs: dict[str, FaultyRun], fault_free: FaultFree
) -> None:
    faulty_runs["scaled"].check(fault_free)
