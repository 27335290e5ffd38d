"""What a running worker serves over HTTP: the Faust web server on loopback with no state
endpoints (``/table``, ``/router``, ...), and the metrics endpoint with metrics and health
only."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from correlator.settings import Settings
from tests.integration.connectors import free_port
from tests.integration.kafka import WorkerProcess
from tests.integration.test_worker_faults import rules_dir
from tests.integration.workers import prepare

STATE_PATHS = [
    "/table/", "/table/engine/", "/router/", "/router/engine/get/x/", "/graph/",
    "/assignment/", "/performance/", "/stats/",
]  # fmt: skip


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def outward_addresses() -> list[str]:
    """This host's address towards other networks, if it has one (none sent: UDP connect)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:  # no route: loopback only
            return []
        address = str(probe.getsockname()[0])
    return [] if address.startswith("127.") else [address]


def reachable(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return True
    except OSError:
        return False


def wait_serving(port: int, path: str, worker: WorkerProcess, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if get(port, path)[0] == 200:
                return
        except OSError:  # not listening yet
            pass
        assert worker.process.poll() is None, worker.output()
        time.sleep(0.3)
    raise AssertionError(f"nothing served {path} on {port}:\n{worker.output()}")


def test_the_worker_serves_no_table_router_or_other_state_over_http(
    kafka_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(kafka_settings, [rules_dir(tmp_path, "badge-denied-burst")], None)
    web, metrics = free_port(), free_port()
    monkeypatch.setenv("CORRELATOR_WORKER_WEB_PORT", str(web))
    monkeypatch.setenv("CORRELATOR_METRICS_PORT", str(metrics))
    worker = WorkerProcess(kafka_settings, tmp_path / "worker.log")
    try:
        wait_serving(metrics, "/readyz", worker)
        wait_serving(web, "/", worker)
        faust_answers = {path: get(web, path) for path in ["/", *STATE_PATHS]}
        elsewhere = [address for address in outward_addresses() if reachable(address, web)]
        metrics_answers = {path: get(metrics, path)[0] for path in ["/", *STATE_PATHS]}
        health = get(metrics, "/healthz")
        _, exposition = get(metrics, "/metrics")
    finally:
        worker.stop()
    assert elsewhere == []  # bound to loopback: no other address of the host answers
    assert faust_answers.pop("/") == (200, b'{"status":"OK"}')
    assert {path: status for path, (status, _) in faust_answers.items()} == dict.fromkeys(
        STATE_PATHS, 404
    )
    assert metrics_answers == dict.fromkeys(["/", *STATE_PATHS], 404)
    assert health == (200, b"ok\n")
    families = {f.name for f in text_string_to_metric_families(exposition.decode())}
    assert families
    assert all(name.startswith(("correlator_worker_", "process_", "python_")) for name in families)
