"""The broker killed (kill -9) and started again mid-run, under a running connector and worker.

A ``correlator connect`` process tails a growing file of door-controller records (json-doors:
refused badge reads, five per card, so ``badge-denied-burst`` fires once per card) and a
``correlator worker`` correlates them. The first half is written and processed; a quarter
more is written and the broker killed at once (records in flight), the last quarter is
appended while it is down, and the broker is started again on the same port and data.
Nobody restarts the connector or the worker: both must find the broker again by themselves.
Measured against a fault-free reference (``correlator
replay`` over the same records): every record on the events topic (repeats allowed), and the
alert-id set equal, after removing exact id repeats. A second connector, stopped (SIGTERM)
during the outage, must exit without waiting for the broker and, started again, deliver the
records it could not.

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
import uuid
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
from tests.integration.test_worker_faults import T0, rules_dir
from tests.integration.workers import (
    heartbeat,
    prepare,
    replay_ids,
    send_events,
    wait_alerts,
    wait_consumed,
)

PORT = int(os.environ.get("CORRELATOR_TEST_RESTART_BROKER_PORT", str(TEST_BROKER_PORT + 20)))
OUTAGE_SECONDS = float(os.environ.get("CORRELATOR_TEST_OUTAGE_SECONDS", "15"))
"""How long the broker stays down, from the kill to the start of the new one (which then
takes seconds to answer); set it higher to try longer outages."""
POLITE = os.environ.get("CORRELATOR_TEST_BROKER_STOP", "kill") == "term"
"""``CORRELATOR_TEST_BROKER_STOP=term``: a controlled shutdown (SIGTERM) instead of kill -9."""
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


def normalized(settings: Settings, records: Path, connector: str, out: Path) -> set[str]:
    """The events the connector must deliver, by ``correlator normalize`` (no Kafka); ``out``
    gets them in time order, for the reference replay."""
    command = [sys.executable, "-m", "correlator.cli", "normalize", "--format", "json-doors",
               "--connector", connector, str(records)]  # fmt: skip
    found = subprocess.run(command, env=settings_env(settings), capture_output=True, check=True)
    lines = found.stdout.splitlines()
    out.write_bytes(b"\n".join(sorted(lines, key=lambda line: serde.loads(line)["time"])))
    return {serde.loads(line)["id"] for line in lines}


def take_down(local: LocalBroker) -> None:
    """The broker dies without a controlled shutdown (``stop`` only reaps it), or, with
    :data:`POLITE`, shuts down as told."""
    pid = local.pid()
    assert pid is not None, "the broker should be running"
    if not POLITE:
        os.killpg(pid, signal.SIGKILL)
    local.stop()


def test_the_broker_killed_and_restarted_mid_run_loses_no_record_and_no_alert(
    restartable: LocalBroker, tmp_path: Path
) -> None:
    settings = Settings(
        bootstrap_servers=restartable.bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
        state_dir=tmp_path / "state",
        partitions=2,
        lateness="1h",
    )
    rules = rules_dir(tmp_path, "badge-denied-burst")
    prepare(settings, [rules], None)
    first, second = denied(1, 20), denied(21, 40)
    doors = tmp_path / "doors.jsonl"
    append(doors, first)
    args = ("--format", "json-doors", "--source", f"file:{doors}", "--name", "doors")
    connector = Connector(settings, tmp_path / "connect.log", *args)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    stopped = StoppedInOutage(settings, tmp_path)
    try:
        connector.wait_ready()
        wait_events(settings, normalized(settings, doors, "doors", tmp_path / "first.jsonl"))
        wait_consumed(settings)
        stopped.before()

        append(doors, second[:50])
        take_down(restartable)  # while those are read, produced or correlated
        back = time.monotonic() + OUTAGE_SECONDS
        append(doors, second[50:])  # read by the connector while the broker is away
        stopped.during()
        time.sleep(max(0.0, back - time.monotonic()))
        assert connector.process.poll() is None, connector.output()
        restartable.start()
        stopped.after()

        every = normalized(settings, doors, "doors", tmp_path / "events.jsonl")
        assert len(every) == len(first) + len(second)
        delivered = wait_events(settings, every)
        wait_consumed(settings)
        send_events(settings, [heartbeat(T0 + timedelta(days=1))])
        want = replay_ids(tmp_path, rules, None, str(tmp_path / "events.jsonl"))
        assert len(want) == 40
        got = wait_alerts(settings, want)
        alive = {"connector": connector.process.poll(), "worker": worker.process.poll()}
    finally:
        worker.stop()
        connector.stop()
        stopped.connector.stop()
    assert set(got) == want, worker.output()
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
        return normalized(self.settings, self.file, "stop", self.tmp_path / "stopping.jsonl.ids")


def wait_events(settings: Settings, ids: set[str]) -> list[dict[str, object]]:
    return wait_for(
        settings,
        event_topic(settings, "access"),
        lambda events: len(events) >= len(ids) and {e["id"] for e in events} >= ids,
        timeout=150,
    )
