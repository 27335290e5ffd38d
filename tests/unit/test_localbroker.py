from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path

import pytest

from correlator.errors import BrokerError
from correlator.localbroker import LocalBroker, _answers, _kafka_uuid
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


def test_a_cluster_id_never_starts_with_a_dash() -> None:
    # kafka-storage reads "-t -xyz" as a missing id and an option: one fresh broker in 64
    # failed to format. 0xF8 gives "-" first in URL-safe base64.
    drawn = [uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x10" + bytes(15))]
    draws = iter(drawn)
    cluster_id = _kafka_uuid(lambda: next(draws))
    assert cluster_id == "EAAAAAAAAAAAAAAAAAAAAA"
    assert all(not _kafka_uuid().startswith("-") for _ in range(2000))


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


def secure_broker(tmp_path: Path, **fields: object) -> LocalBroker:
    base: dict[str, object] = {"kafka_username": "alice", "kafka_password": "pencil-123"}
    return LocalBroker(Settings(state_dir=tmp_path, **(base | fields)), secure=True)


def test_a_secured_broker_is_reached_by_the_name_in_its_certificate(tmp_path: Path) -> None:
    assert secure_broker(tmp_path, broker_port=19999).bootstrap == "localhost:19999"
    assert LocalBroker(Settings(state_dir=tmp_path, broker_port=19999)).bootstrap == (
        "127.0.0.1:19999"
    )


def test_the_secured_configuration_has_no_plaintext_port_and_no_client_password(
    tmp_path: Path,
) -> None:
    broker = secure_broker(tmp_path)
    broker.tls.ensure()
    config = broker._write_config().read_text()
    assert "PLAINTEXT" not in config
    assert "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL" in config
    assert "listener.name.controller.ssl.client.auth=required" in config
    assert "pencil-123" not in config
    assert (broker.home / "server.properties").stat().st_mode & 0o077 == 0


def test_a_secured_broker_needs_the_scram_user_from_the_settings(tmp_path: Path) -> None:
    broker = secure_broker(tmp_path, kafka_password=None)
    with pytest.raises(BrokerError, match="set CORRELATOR_KAFKA_USERNAME and "
                       "CORRELATOR_KAFKA_PASSWORD"):  # fmt: skip
        broker._client_credentials()


def test_storage_formatted_in_one_mode_is_not_reused_in_the_other(tmp_path: Path) -> None:
    plain = LocalBroker(Settings(state_dir=tmp_path))
    plain.data.mkdir(parents=True)
    (plain.data / "meta.properties").write_text("formatted\n")
    plain.mode_file.write_text("PLAINTEXT\n")
    secure = secure_broker(tmp_path)
    with pytest.raises(BrokerError, match="formatted for a PLAINTEXT listener, not SASL_SSL: "
                       "run 'correlator broker reset'"):  # fmt: skip
        secure._format(tmp_path / "server.properties")
    plain._format(tmp_path / "server.properties")  # same mode: nothing to do
    secure.reset()
    assert not secure.mode_file.exists()


def test_starting_in_the_other_mode_while_running_says_to_stop_first(tmp_path: Path) -> None:
    secure = secure_broker(tmp_path)
    secure.home.mkdir(parents=True)
    secure.pid_file.write_text(f"{os.getpid()} 4.4.0\n")  # "running": this process is alive
    secure.mode_file.write_text("PLAINTEXT\n")
    with pytest.raises(BrokerError, match="already runs with a PLAINTEXT listener, not "
                       "SASL_SSL: 'correlator broker stop' first"):  # fmt: skip
        secure.start()
