from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import Any

import pytest
from faust.auth import SASLCredentials, SSLCredentials
from faust.types.auth import AuthProtocol

from correlator.errors import ConfigError
from correlator.runtime.security import aiokafka_options, faust_credentials
from correlator.settings import Settings

TLS = Path(__file__).parents[2] / "fixtures" / "tls"
PASSWORD = "s3cr3t-pa55"


def settings(**fields: Any) -> Settings:
    return Settings(**fields)


def sasl(protocol: str = "SASL_SSL", **fields: Any) -> Settings:
    base = {"kafka_username": "correlator", "kafka_password": PASSWORD,
            "kafka_ca_file": TLS / "ca.pem"}  # fmt: skip
    return settings(kafka_security_protocol=protocol, **(base | fields))


def test_plaintext_by_default() -> None:
    assert aiokafka_options(settings()) == {"security_protocol": "PLAINTEXT"}
    assert faust_credentials(settings()) is None


def test_ssl_verifies_the_broker_with_the_given_ca() -> None:
    options = aiokafka_options(
        settings(kafka_security_protocol="SSL", kafka_ca_file=TLS / "ca.pem")
    )
    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert any("correlator-test-ca" in str(c["subject"]) for c in context.get_ca_certs())
    assert "sasl_mechanism" not in options


def test_ssl_with_a_client_certificate() -> None:
    options = aiokafka_options(settings(
        kafka_security_protocol="SSL", kafka_ca_file=TLS / "ca.pem",
        kafka_cert_file=TLS / "client.pem", kafka_key_file=TLS / "client-key.pem",
    ))  # fmt: skip
    assert isinstance(options["ssl_context"], ssl.SSLContext)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_ssl_with_scram(mechanism: str) -> None:
    options = aiokafka_options(sasl(kafka_sasl_mechanism=mechanism))
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == mechanism
    assert options["sasl_plain_username"] == "correlator"
    assert options["sasl_plain_password"] == PASSWORD
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_sasl_over_plaintext_is_refused_unless_allowed() -> None:
    with pytest.raises(ConfigError, match="CORRELATOR_KAFKA_ALLOW_PLAINTEXT_SASL=true"):
        aiokafka_options(sasl("SASL_PLAINTEXT", kafka_ca_file=None))
    options = aiokafka_options(
        sasl("SASL_PLAINTEXT", kafka_ca_file=None, kafka_allow_plaintext_sasl=True)
    )
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert "ssl_context" not in options


@pytest.mark.parametrize(
    ("fields", "variable"),
    [
        pytest.param({"kafka_username": None}, "CORRELATOR_KAFKA_USERNAME", id="no-user"),
        pytest.param({"kafka_password": None}, "CORRELATOR_KAFKA_PASSWORD", id="no-password"),
        pytest.param({"kafka_password": ""}, "CORRELATOR_KAFKA_PASSWORD", id="empty-password"),
    ],
)
def test_sasl_needs_both_credentials(fields: dict[str, Any], variable: str) -> None:
    base = {"kafka_username": "correlator", "kafka_password": PASSWORD} | fields
    config = settings(kafka_security_protocol="SASL_SSL", kafka_ca_file=TLS / "ca.pem", **base)
    with pytest.raises(ConfigError, match=f"set {variable}"):
        aiokafka_options(config)


def test_a_missing_ca_file_names_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match=f"CORRELATOR_KAFKA_CA_FILE={missing}: no such file"):
        aiokafka_options(settings(kafka_security_protocol="SSL", kafka_ca_file=missing))


def test_a_file_that_is_no_certificate_is_a_configuration_error(tmp_path: Path) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match="CORRELATOR_KAFKA_CA_FILE"):
        aiokafka_options(settings(kafka_security_protocol="SSL", kafka_ca_file=junk))


def test_an_encrypted_key_is_refused_without_prompting() -> None:
    config = settings(
        kafka_security_protocol="SSL", kafka_cert_file=TLS / "client.pem",
        kafka_key_file=TLS / "client-key-encrypted.pem",
    )  # fmt: skip
    with pytest.raises(ConfigError, match="encrypted"):
        aiokafka_options(config)


def test_cert_without_key_is_refused() -> None:
    config = settings(kafka_security_protocol="SSL", kafka_cert_file=TLS / "client.pem")
    with pytest.raises(ConfigError, match="set both"):
        aiokafka_options(config)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"kafka_username": "u", "kafka_password": PASSWORD}, id="credentials"),
        pytest.param({"kafka_ca_file": TLS / "ca.pem"}, id="tls-file"),
    ],
)
def test_settings_the_protocol_would_ignore_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="CORRELATOR_KAFKA_SECURITY_PROTOCOL=PLAINTEXT"):
        aiokafka_options(settings(**fields))


def test_faust_credentials_match_the_options() -> None:
    ssl_only = faust_credentials(settings(kafka_security_protocol="SSL"))
    assert isinstance(ssl_only, SSLCredentials)
    assert ssl_only.protocol is AuthProtocol.SSL
    scram = faust_credentials(sasl(kafka_sasl_mechanism="SCRAM-SHA-256"))
    assert isinstance(scram, SASLCredentials)
    assert scram.protocol is AuthProtocol.SASL_SSL
    assert scram.mechanism.value == "SCRAM-SHA-256"
    assert (scram.username, scram.password) == ("correlator", PASSWORD)
    plain = faust_credentials(
        sasl("SASL_PLAINTEXT", kafka_ca_file=None, kafka_allow_plaintext_sasl=True)
    )
    assert isinstance(plain, SASLCredentials)
    assert plain.protocol is AuthProtocol.SASL_PLAINTEXT


def test_the_password_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    config = sasl()
    options = aiokafka_options(config)
    logging.getLogger("test").warning("options %s / %r", options, options)
    shown = [repr(config), str(config), repr(options), str(options), caplog.text,
             repr(faust_credentials(config))]  # fmt: skip
    assert all(PASSWORD not in text for text in shown)
    assert "correlator" in repr(options)  # the rest stays visible for debugging
    errors = []
    for bad in (sasl("SASL_PLAINTEXT"), sasl(kafka_ca_file=TLS / "nope.pem"),
                sasl(kafka_username="")):  # fmt: skip
        with pytest.raises(ConfigError) as caught:
            aiokafka_options(bad)
        errors.append(str(caught.value))
    assert len(errors) == 3
    assert all(PASSWORD not in error for error in errors)
