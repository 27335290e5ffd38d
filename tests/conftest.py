"""Test-session fixtures shared by every test directory."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from correlator.localbroker import LocalBroker
from correlator.settings import Settings

if TYPE_CHECKING:
    from tests.integration.stream import Simulated
    from tests.integration.test_faults_simulated import FaultFree

TEST_BROKER_PORT = int(os.environ.get("CORRELATOR_TEST_BROKER_PORT", "19292"))
TEST_STATE_DIR = (
    Path(__file__).resolve().parent.parent
    / ".state"
    / ("test" if TEST_BROKER_PORT == 19292 else f"test-{TEST_BROKER_PORT}")
)
"""Where the test broker keeps its data; ``make test`` stops a broker left here by a crash.

A session on another port (``CORRELATOR_TEST_BROKER_PORT``) gets its own directory, so two
test sessions on one machine do not share a broker."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """A real Apache Kafka broker for this test session, started by the project's own code.

    It runs on its own port and state directory, so a developer's broker is left alone, and
    starts from empty storage. The jars come from the shared cache (fetched once with Maven).
    Yields the bootstrap address.
    """
    settings = Settings(
        state_dir=TEST_STATE_DIR,
        broker_port=TEST_BROKER_PORT,
        broker_controller_port=TEST_BROKER_PORT + 1,
        bootstrap_servers=f"127.0.0.1:{TEST_BROKER_PORT}",
    )
    local = LocalBroker(settings)
    if local.pid() is None:
        local.reset()
    local.start()
    try:
        yield settings.bootstrap_servers
    finally:
        local.stop()


@pytest.fixture
def kafka_settings(broker: str, tmp_path: Path) -> Settings:
    """Settings for one test: the session broker, its own topic prefix and state directory."""
    return Settings(
        bootstrap_servers=broker,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
        state_dir=tmp_path / "state",
        partitions=2,
    )


@pytest.fixture(scope="session")
def simulated_stream(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    """The fault tests' simulated stream (:mod:`tests.integration.stream`), made once."""
    from tests.integration.stream import MINIMUM_EVENTS, simulated

    made = simulated(tmp_path_factory.mktemp("simulation"))
    assert len(made.events) >= MINIMUM_EVENTS
    return made


@pytest.fixture(scope="session")
def fault_free(
    broker: str, simulated_stream: Simulated, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultFree]:
    """The fault-free run over ``simulated_stream`` that the worker and broker fault tests
    compare with, in the background from the first of them on: one run for the session
    (minutes; its alert ids do not depend on the broker)."""
    from tests.integration.test_faults_simulated import FaultFree

    run = FaultFree(broker, simulated_stream, tmp_path_factory.mktemp("fault-free"))
    try:
        yield run
    finally:
        run.stop()
