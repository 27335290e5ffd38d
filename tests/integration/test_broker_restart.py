"""The broker killed (kill -9) and started again mid-run, under a running worker and
connectors.

A ``correlator worker`` correlates the worker fault tests' simulated stream (52,999 events
in ``make test``, see :mod:`tests.integration.stream`), fed as they feed it. Halfway, right
after a slice is sent (the worker mid-processing), the broker is killed, stays down
``OUTAGE_SECONDS`` and is started again on the same port and data. Nobody restarts the
worker: it must find the broker again by itself, and its alert-id set, after removing exact
id repeats, must equal the fault-free run's that the worker fault tests compare with
(``fault_free`` in ``tests/conftest.py``: same stream, rules and lateness; alert ids do not
depend on the broker). That run goes on the session broker meanwhile, unless an earlier test
has made it already.

A ``correlator connect`` process meanwhile tails a growing file of door-controller records
(json-doors refused badge reads) onto topics of its own: the first part is delivered before
the outage, more is written just before the kill (records in flight) and the rest while the
broker is down. Nobody restarts it either: afterwards every record must be on its events
topic (repeats allowed). A second connector, stopped (SIGTERM) during the outage, must exit
without waiting for the broker and, started again, deliver the records it could not.

This test runs its own broker (it stops it), on ``CORRELATOR_TEST_RESTART_BROKER_PORT``
(default: the session broker's port + 20) and the next port, with its data in a temporary
directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from correlator import serde
from correlator.localbroker import LocalBroker
from correlator.runtime.topics import event_topic
from correlator.settings import Settings
from tests.conftest import TEST_BROKER_PORT
from tests.integration.connectors import Connector, wait_for
from tests.integration.kafka import WorkerProcess, settings_env
from tests.integration.stream import Simulated, feed
from tests.integration.test_faults_simulated import FAULT_TIMEOUT, FaultFree, prepared, settle
from tests.integration.test_worker_faults import T0
from tests.integration.workers import wait_alerts

pytestmark = pytest.mark.timeout(FAULT_TIMEOUT)
"""A run over the stream takes minutes (and the session's fault-free run may come first)."""

PORT = int(os.environ.get("CORRELATOR_TEST_RESTART_BROKER_PORT", str(TEST_BROKER_PORT + 20)))
OUTAGE_SECONDS = float(os.environ.get("CORRELATOR_TEST_OUTAGE_SECONDS", "15"))
"""How long the broker stays down, from the kill to the start of the new one (which then
takes seconds to answer); set it higher to try longer outages."""
POLITE = os.environ.get("CORRELATOR_TEST_BROKER_STOP", "kill") == "term"
"""``CORRELATOR_TEST_BROKER_STOP=term``: a controlled shutdown (SIGTERM) instead of kill -9."""
OUTAGE_AT = 0.5
"""The fraction of the stream's events sent when the broker is killed."""
SITES = ("HQ", "LAB", "DEPOT", "PLANT")


@pytest.fixture(scope="module")
def restartable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A broker of this module alone: the test kills it and starts it again."""
    local = LocalBroker(
        Settings(
            state_dir=tmp_path_factory.mktemp("restart-broker"),
            broker_port=PORT,
            broker_controller_port=PORT + 1,
        )
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


def denied(first: int, last: int) -> list[bytes]:
    """Five refused reads for each card ``first..last`` as json-doors records, interleaved."""
    lines = []
    for n in range(5):
        for card in range(first, last + 1):
            at = T0 + timedelta(seconds=card * 5 + n * 20)
            record = {
                "EventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "EventType": "AccessDenied",
                "CardNumber": f"c{card}", "Door": f"door-{card % 7}",
                "Site": SITES[card % len(SITES)], "Controller": f"ctl-{card % 3}",
            }  # fmt: skip
            lines.append(serde.dumps(record))
    return lines


def append(path: Path, lines: list[bytes]) -> None:
    with path.open("ab") as out:
        out.write(b"".join(line + b"\n" for line in lines))


def normalized(settings: Settings, records: Path, connector: str) -> set[str]:
    """The ids of the events the connector must deliver, by ``correlator normalize`` (no
    Kafka)."""
    command = [sys.executable, "-m", "correlator.cli", "normalize", "--format", "json-doors",
               "--connector", connector, str(records)]  # fmt: skip
    found = subprocess.run(command, env=settings_env(settings), capture_output=True, check=True)
    return {serde.loads(line)["id"] for line in found.stdout.splitlines()}


def take_down(local: LocalBroker) -> None:
    """The broker dies without a controlled shutdown (``stop`` only reaps it), or, with
    :data:`POLITE`, shuts down as told."""
    pid = local.pid()
    assert pid is not None, "the broker should be running"
    if not POLITE:
        os.killpg(pid, signal.SIGKILL)
    local.stop()


def test_the_broker_killed_and_restarted_mid_run_loses_no_record_and_no_alert(
    restartable: LocalBroker,
    simulated_stream: Simulated,
    fault_free: FaultFree,
    tmp_path: Path,
) -> None:
    settings = prepared(restartable.bootstrap, tmp_path / "state", simulated_stream)
    tailing = settings.model_copy(update={"topic_prefix": settings.topic_prefix + "c."})
    first, second = denied(1, 20), denied(21, 40)
    doors = tmp_path / "doors.jsonl"
    append(doors, first)
    args = ("--format", "json-doors", "--source", f"file:{doors}", "--name", "doors")
    connector = Connector(tailing, tmp_path / "connect.log", *args)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    stopped = StoppedInOutage(settings, tmp_path)
    outages: list[float] = []

    def outage(sent: float) -> bool:
        if outages or sent < OUTAGE_AT:
            return False
        outages.append(sent)
        stopped.before()
        append(doors, second[:50])
        take_down(restartable)  # while those are read and produced, and the worker works
        back = time.monotonic() + OUTAGE_SECONDS
        append(doors, second[50:])  # read by the connector while the broker is away
        stopped.during()
        time.sleep(max(0.0, back - time.monotonic()))
        assert connector.process.poll() is None, connector.output()
        restartable.start()
        stopped.after()
        return True

    try:
        connector.wait_ready()
        wait_events(tailing, normalized(tailing, doors, "doors"))
        feed(settings, simulated_stream, outage)
        every = normalized(tailing, doors, "doors")
        assert len(every) == len(first) + len(second)
        delivered = wait_events(tailing, every)
        settle(settings, simulated_stream)
        alive = {"connector": connector.process.poll(), "worker": worker.process.poll()}
        reference = fault_free.ids()
        got = set(wait_alerts(settings, reference))  # at once, unless some are missing
    finally:
        worker.stop()
        connector.stop()
        stopped.connector.stop()
    assert outages, "the broker was meant to be restarted"
    logs = f"logs in {tmp_path}\n{worker.output()[-4000:]}"
    assert reference - got == set(), f"lost alerts\n{logs}"
    assert got - reference == set(), f"extra alerts\n{logs}"
    assert {d["id"] for d in delivered} == every  # repeats allowed, none missing
    assert alive == {"connector": None, "worker": None}, (connector.output(), worker.output())
    assert "broker unreachable, retrying in" in connector.output()
    assert "broker unreachable at " in worker.output()
    assert "broker reachable again" in worker.output()
    assert "Logging error" not in worker.output() + connector.output()


class StoppedInOutage:
    """A second connector (own topics), stopped with SIGTERM while the broker is away: it
    must exit without waiting for the broker, and not count what was not acknowledged, so
    started again it delivers every record."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings = settings.model_copy(update={"topic_prefix": settings.topic_prefix + "s."})
        self.tmp_path = tmp_path
        self.file = tmp_path / "stopping.jsonl"
        self.args = ("--format", "json-doors", "--source", f"file:{self.file}", "--name", "stop")
        append(self.file, denied(1, 4))
        self.connector = Connector(self.settings, tmp_path / "stopping-1.log", *self.args)

    def before(self) -> None:
        wait_events(self.settings, self.ids())

    def during(self) -> None:
        append(self.file, denied(5, 8))
        deadline = time.monotonic() + 30
        while "stop: broker unreachable" not in self.connector.output():  # read, not acked
            assert time.monotonic() < deadline, self.connector.output()
            time.sleep(0.2)
        code = self.connector.stop()
        assert code == 1, self.connector.output()
        assert "stopped while waiting for the broker" in self.connector.output()

    def after(self) -> None:
        self.connector = Connector(self.settings, self.tmp_path / "stopping-2.log", *self.args)
        delivered = wait_events(self.settings, self.ids())
        assert self.connector.stop() == 0, self.connector.output()
        assert {d["id"] for d in delivered} == self.ids()

    def ids(self) -> set[str]:
        return normalized(self.settings, self.file, "stop")


def wait_events(settings: Settings, ids: set[str]) -> list[dict[str, object]]:
    return wait_for(
        settings,
        event_topic(settings, "access"),
        lambda events: len(events) >= len(ids) and {e["id"] for e in events} >= ids,
        timeout=150,
    )
