from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter

from correlator.errors import ConfigError
from correlator.metrics_http import MetricsServer, serve_http


def get(server: MetricsServer, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture(scope="module")
def ready_flag() -> list[bool]:
    return [False]


@pytest.fixture(scope="module")
def server(registry: CollectorRegistry, ready_flag: list[bool]) -> Iterator[MetricsServer]:
    served = serve_http(registry, "127.0.0.1", 0, lambda: ready_flag[0])
    yield served
    served.close()


def test_metrics_shows_the_registry(registry: CollectorRegistry, server: MetricsServer) -> None:
    hits = Counter("demo_hits", "Hits.", ["path"], registry=registry)
    hits.labels("/a").inc(3)
    status, body = get(server, "/metrics")
    assert status == 200
    assert 'demo_hits_total{path="/a"} 3.0' in body


def test_healthz_is_ok_while_running(server: MetricsServer) -> None:
    assert get(server, "/healthz") == (200, "ok\n")


def test_readyz_follows_the_readiness_check(server: MetricsServer, ready_flag: list[bool]) -> None:
    ready_flag[0] = False
    assert get(server, "/readyz")[0] == 503
    ready_flag[0] = True
    assert get(server, "/readyz")[0] == 200
    ready_flag[0] = False
    assert get(server, "/readyz")[0] == 503


def test_a_failing_readiness_check_reads_as_not_ready() -> None:
    def broken() -> bool:
        raise RuntimeError("tables gone")

    server = serve_http(CollectorRegistry(), "127.0.0.1", 0, broken)
    try:
        assert get(server, "/readyz")[0] == 503
        assert get(server, "/healthz")[0] == 200
    finally:
        server.close()


@pytest.mark.parametrize("path", ["/", "/metricsx", "/tables", "/readyz/extra"])
def test_other_paths_are_not_found(server: MetricsServer, path: str) -> None:
    assert get(server, path)[0] == 404


def test_close_frees_the_port(registry: CollectorRegistry) -> None:
    server = serve_http(registry, "127.0.0.1", 0, lambda: True)
    port = server.port
    assert port
    server.close()
    server.close()  # idempotent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_a_taken_port_is_a_configuration_error(registry: CollectorRegistry) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"CORRELATOR_METRICS_PORT={port}: cannot serve"):
            serve_http(registry, "127.0.0.1", port, lambda: True)
