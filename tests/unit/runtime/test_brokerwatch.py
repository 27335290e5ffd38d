"""The broker watch: one plain line per probe while the broker is away, one when it is back,
and gauges that say the same; the real probe on a closed port (a live broker: the broker
restart integration test)."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from prometheus_client import CollectorRegistry

from correlator.runtime.brokerwatch import BrokerWatch, connect_probe
from correlator.settings import Settings


class Script:
    """Probe results in order, and a clock that moves 5 s per probe."""

    def __init__(self, *results: str | None) -> None:
        self.results = list(results)
        self.now = 100.0

    async def probe(self) -> str | None:
        self.now += 5.0
        return self.results.pop(0)

    def clock(self) -> float:
        return self.now


def watch(script: Script, registry: CollectorRegistry) -> BrokerWatch:
    settings = Settings(bootstrap_servers="127.0.0.1:9")
    return BrokerWatch(settings, registry, probe=script.probe, clock=script.clock)


def gauges(registry: CollectorRegistry) -> tuple[float | None, float | None]:
    return (
        registry.get_sample_value("correlator_worker_broker_reachable"),
        registry.get_sample_value("correlator_worker_broker_unreachable_seconds"),
    )


def test_an_outage_is_reported_at_each_probe_and_its_end_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CollectorRegistry()
    script = Script(None, "KafkaConnectionError: refused", "KafkaConnectionError: refused", None)
    checked = watch(script, registry)
    seen = []
    with caplog.at_level(logging.WARNING):
        for _ in range(4):
            asyncio.run(checked.check())
            seen.append(gauges(registry))
    lines = [r.getMessage() for r in caplog.records]
    assert seen == [(1.0, 0.0), (0.0, 0.0), (0.0, 5.0), (1.0, 0.0)]
    assert len(lines) == 3
    assert lines[0].startswith(
        "broker unreachable at 127.0.0.1:9 (KafkaConnectionError: refused), retrying in 5 s"
    )
    assert "no restart needed" in lines[1]
    assert lines[2].startswith("broker reachable again at 127.0.0.1:9 after 10 s")


def test_a_reachable_broker_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    with caplog.at_level(logging.WARNING):
        asyncio.run(watch(Script(None, None), registry).check())
    assert caplog.records == []
    assert gauges(registry) == (1.0, 0.0)


def test_the_connect_probe_names_the_cause() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    problem = asyncio.run(connect_probe(Settings(bootstrap_servers=f"127.0.0.1:{port}"))())
    assert problem is not None
    assert problem.startswith("ConnectionRefusedError: ")
    assert str(port) in problem
