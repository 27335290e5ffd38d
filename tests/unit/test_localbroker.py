from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from correlator.errors import BrokerError
from correlator.localbroker import LocalBroker, _answers
from correlator.settings import Settings


def test_a_closed_port_does_not_answer() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert not _answers(f"127.0.0.1:{port}", 0.5)


def test_a_listener_that_is_not_kafka_does_not_answer() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def reply_garbage() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(100)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=reply_garbage)
    thread.start()
    try:
        assert not _answers(f"127.0.0.1:{port}", 2.0)
    finally:
        thread.join()
        server.close()


def test_status_of_a_broker_never_started(tmp_path: Path) -> None:
    broker = LocalBroker(Settings(state_dir=tmp_path, broker_port=1))
    status = broker.status()
    assert not status.running
    assert status.describe() == "broker: stopped (127.0.0.1:1)"


def test_a_stale_pid_file_is_ignored(tmp_path: Path) -> None:
    broker = LocalBroker(Settings(state_dir=tmp_path))
    broker.home.mkdir(parents=True)
    broker.pid_file.write_text("999999999 4.4.0\n")
    assert broker.pid() is None
    assert not broker.pid_file.exists()
    assert broker.stop() is False


def test_fetch_without_maven_explains_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    broker = LocalBroker(Settings(state_dir=tmp_path, cache_dir=tmp_path / "cache"))
    with pytest.raises(BrokerError, match=r"Maven \(mvn\) is not on PATH"):
        broker.fetch()
