"""The diagnosis of a failed Kafka connection, against local TLS servers (no Kafka needed)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest

from correlator.brokertls import BrokerTls, make_ca
from correlator.errors import BrokerError
from correlator.runtime.connectivity import explain, start_client
from correlator.settings import Settings

PASSWORD = "n0t-in-any-message"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> BrokerTls:
    material = BrokerTls(tmp_path_factory.mktemp("tls"))
    material.ensure()
    return material


def client(host: str, port: int, ca: Path) -> Settings:
    return Settings(
        bootstrap_servers=f"{host}:{port}", kafka_security_protocol="SASL_SSL",
        kafka_username="alice", kafka_password=PASSWORD, kafka_ca_file=ca,
    )  # fmt: skip


async def against_tls_server(tls: BrokerTls, settings: Settings) -> str:
    """``explain`` while a TLS server with the broker certificate listens on the port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.keystore)

    async def hang_up(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    port = int(settings.bootstrap_servers.rsplit(":", 1)[1])
    server = await asyncio.start_server(hang_up, "127.0.0.1", port, ssl=context)
    async with server:
        return await explain(settings)


@pytest.fixture
def port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_name_not_in_the_certificate_is_a_host_name_mismatch(tls: BrokerTls, port: int) -> None:
    message = asyncio.run(against_tls_server(tls, client("127.0.0.1", port, tls.ca)))
    assert "not valid for the name '127.0.0.1' (host-name check)" in message
    assert "CORRELATOR_BOOTSTRAP_SERVERS" in message


def test_a_ca_that_did_not_sign_the_certificate_is_untrusted(
    tls: BrokerTls, port: int, tmp_path: Path
) -> None:
    other = make_ca(tmp_path / "other", "other")
    message = asyncio.run(against_tls_server(tls, client("localhost", port, other)))
    assert "the broker certificate is not trusted" in message
    assert "set CORRELATOR_KAFKA_CA_FILE" in message


def test_nothing_listening_names_the_bootstrap_setting(tls: BrokerTls, port: int) -> None:
    message = asyncio.run(explain(client("localhost", port, tls.ca)))
    assert message.startswith(f"Kafka at localhost:{port}: cannot connect")
    assert "CORRELATOR_BOOTSTRAP_SERVERS" in message
    assert PASSWORD not in message


def test_a_failed_bootstrap_becomes_a_broker_error_with_the_cause(
    tls: BrokerTls, port: int
) -> None:
    from aiokafka.errors import KafkaConnectionError

    class Unreachable:
        async def start(self) -> Any:
            raise KafkaConnectionError("Unable to bootstrap from [...]")

    with pytest.raises(BrokerError, match="cannot connect") as caught:
        asyncio.run(start_client(Unreachable(), client("localhost", port, tls.ca)))
    assert caught.value.__cause__ is None
    assert PASSWORD not in str(caught.value)
