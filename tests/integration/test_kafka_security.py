"""Kafka over SASL_SSL against a real secured broker (``correlator broker start --secure``).

The worker, ``correlator connect`` and topic creation work with the right SCRAM credentials
and CA; each is refused, fast and with an error naming the setting to fix, with a wrong
password, a CA that did not sign the broker certificate, and a name that is not in the
certificate. The password appears in no output, log or broker file.

The secured broker runs on ``CORRELATOR_TEST_SECURE_BROKER_PORT`` (default: the test broker's
port + 10) and its controller on the next port.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from correlator import serde
from correlator.brokertls import make_ca
from correlator.localbroker import LocalBroker
from correlator.runtime.topics import TopicSpec, ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from tests.conftest import TEST_BROKER_PORT
from tests.integration.connectors import Connector, flow, read_all
from tests.integration.kafka import WorkerProcess, consume_until, produce, settings_env
from tests.integration.test_worker_faults import T0, denials, rules_dir
from tests.integration.workers import heartbeat, message_key, prepare

PORT = int(os.environ.get("CORRELATOR_TEST_SECURE_BROKER_PORT", str(TEST_BROKER_PORT + 10)))
STATE = Path(__file__).resolve().parents[2] / ".state" / f"test-secure-{PORT}"
USER = "correlator-test"
PASSWORD = "Op3n-Sesame-e6b1c0d9"
WRONG = "Wr0ng-Guess-4a7f22e8"
REFUSAL_SECONDS = 60
"""A refused client must exit well within this (no retrying for minutes)."""


@pytest.fixture(scope="session")
def secure_broker() -> Iterator[Settings]:
    """A broker with a SASL_SSL listener for this session; yields client settings for it."""
    settings = Settings(
        state_dir=STATE, broker_port=PORT, broker_controller_port=PORT + 1,
        kafka_username=USER, kafka_password=PASSWORD,
    )  # fmt: skip
    local = LocalBroker(settings, secure=True)
    if local.pid() is None:
        local.reset()
    local.start()
    try:
        yield Settings(
            bootstrap_servers=local.bootstrap, kafka_security_protocol="SASL_SSL",
            kafka_username=USER, kafka_password=PASSWORD, kafka_ca_file=local.tls.ca,
        )  # fmt: skip
    finally:
        local.stop()


@pytest.fixture
def secured(secure_broker: Settings, tmp_path: Path) -> Settings:
    """Settings of one test: the secured broker, its own topic prefix and state."""
    return secure_broker.model_copy(update={
        "topic_prefix": f"s{uuid.uuid4().hex[:8]}.", "state_dir": tmp_path / "state",
        "partitions": 2,
    })  # fmt: skip


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_topics_are_created_and_used_with_either_scram_mechanism(
    secured: Settings, mechanism: str
) -> None:
    settings = secured.model_copy(update={"kafka_sasl_mechanism": mechanism})
    topic = settings.topic("roundtrip")
    assert ensure_topics(settings, [TopicSpec(topic, 1)]) == [topic]
    produce(settings, topic, [(b"k", b'{"n": 1}')])
    (record,) = consume_until(settings, topic, lambda records: len(records) >= 1, timeout=30)
    assert serde.loads(record.value) == {"n": 1}


def test_the_worker_correlates_over_sasl_ssl(secured: Settings, tmp_path: Path) -> None:
    settings = secured.model_copy(update={"lateness": "1h"})
    prepare(settings, [rules_dir(tmp_path, "badge-denied-burst")], None)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        events = [*denials(1, 2), heartbeat(T0 + timedelta(days=1))]
        by_topic: dict[str, list[tuple[bytes | None, bytes]]] = {}
        for event in events:
            record = (message_key(event), serde.encode_model(event))
            by_topic.setdefault(event_topic(settings, event.domain), []).append(record)
        for topic, records in by_topic.items():
            produce(settings, topic, records)
        alerts = consume_until(
            settings, settings.topic("alerts"), lambda records: len(records) >= 2, timeout=120
        )
    finally:
        worker.stop()
    rules = {serde.loads(a.value)["rule"] for a in alerts}
    assert len(alerts) >= 2, worker.output()
    assert rules == {"badge-denied-burst"}
    assert PASSWORD not in worker.output()


def test_a_connector_delivers_over_sasl_ssl(secured: Settings, tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join(flow(n) for n in range(20)) + b"\n")
    connector = Connector(
        secured, tmp_path / "connect.log", "--format", "suricata", "--source", f"file:{eve}",
        "--name", "secure", "--once",
    )  # fmt: skip
    assert connector.wait(REFUSAL_SECONDS) == 0, connector.output()
    events = read_all(secured, event_topic(secured, "network"))
    assert sorted(e["attrs"]["flow_id"] for e in events) == list(range(20))
    assert PASSWORD not in connector.output()


Spoil = Callable[[Settings, Path], Settings]


def wrong_password(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"kafka_password": SecretStr(WRONG)})


def untrusted_ca(settings: Settings, tmp_path: Path) -> Settings:
    other = make_ca(tmp_path / "other-ca", "some-other-ca")
    return settings.model_copy(update={"kafka_ca_file": other})


def name_not_in_certificate(settings: Settings, tmp_path: Path) -> Settings:
    """The certificate names ``localhost`` only: its address is a host-name mismatch."""
    return settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{PORT}"})


REFUSALS = [
    pytest.param(wrong_password, "authentication as user 'correlator-test' was refused: check "
                 "CORRELATOR_KAFKA_USERNAME, CORRELATOR_KAFKA_PASSWORD", id="wrong-password"),
    pytest.param(untrusted_ca, "certificate is not trusted .*: set CORRELATOR_KAFKA_CA_FILE",
                 id="untrusted-ca"),
    pytest.param(name_not_in_certificate, "certificate is not valid for the name '127.0.0.1' "
                 r"\(host-name check\)", id="hostname-mismatch"),
]  # fmt: skip

COMMANDS = [
    pytest.param(["worker", "--loglevel", "info"], id="worker"),
    pytest.param(["connect", "--format", "suricata", "--source", "file:{eve}", "--once"],
                 id="connect"),
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("spoil", "message"), REFUSALS)
def test_a_bad_credential_or_certificate_is_refused_with_a_clear_error(
    secured: Settings, tmp_path: Path, spoil: Spoil, message: str, command: list[str]
) -> None:
    settings = spoil(secured, tmp_path)
    eve = tmp_path / "eve.json"
    eve.write_bytes(flow(1) + b"\n")
    argv = [arg.format(eve=eve) for arg in command]
    result = subprocess.run(
        [sys.executable, "-m", "correlator.cli", *argv], env=settings_env(settings),
        capture_output=True, text=True, timeout=REFUSAL_SECONDS, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    (error,) = [line for line in output.splitlines() if line.startswith("correlator: error:")]
    assert f"Kafka at {settings.bootstrap_servers}: " in error
    assert re.search(message, error), error
    for secret in (PASSWORD, WRONG):
        assert secret not in output


def test_the_password_is_in_no_broker_file(secured: Settings) -> None:
    """The broker got the salted SCRAM credential only: no file of its holds the password."""
    ensure_topics(secured, standard_topics(secured))  # something happened worth logging
    for path in STATE.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
