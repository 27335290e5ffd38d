from __future__ import annotations

import base64
import hashlib
import re
import ssl
import stat
import subprocess
from pathlib import Path

import pytest

from correlator.brokertls import SCRAM_ITERATIONS, BrokerTls, make_ca, scram_credential
from correlator.errors import BrokerError

SCRAM = re.compile(
    r"(?P<mech>SCRAM-SHA-\d+)=\[name=(?P<name>[^,]+),iterations=(?P<it>\d+),"
    r'salt="(?P<salt>[^"]+)",saltedpassword="(?P<salted>[^"]+)"\]'
)


@pytest.mark.parametrize(("mechanism", "digest"), [("SCRAM-SHA-256", "sha256"),
                                                    ("SCRAM-SHA-512", "sha512")])  # fmt: skip
def test_the_scram_credential_carries_the_salted_password_only(mechanism: str, digest: str) -> None:
    argument = scram_credential(mechanism, "alice", "pencil")
    found = SCRAM.fullmatch(argument)
    assert found is not None, argument
    assert (found["mech"], found["name"], int(found["it"])) == (mechanism, "alice",
                                                                 SCRAM_ITERATIONS)  # fmt: skip
    salt = base64.b64decode(found["salt"])
    expected = hashlib.pbkdf2_hmac(digest, b"pencil", salt, SCRAM_ITERATIONS)
    assert base64.b64decode(found["salted"]) == expected
    assert "pencil" not in argument


def test_every_credential_gets_its_own_salt() -> None:
    first, second = (scram_credential("SCRAM-SHA-256", "alice", "pencil") for _ in range(2))
    assert first != second


@pytest.mark.parametrize("name", ["", "a,b", "a]b", "name=x", "x" * 65])
def test_a_user_name_that_would_break_the_format_argument_is_refused(name: str) -> None:
    with pytest.raises(BrokerError, match="CORRELATOR_KAFKA_USERNAME"):
        scram_credential("SCRAM-SHA-256", name, "pencil")


def test_an_unknown_mechanism_lists_the_known_ones() -> None:
    with pytest.raises(BrokerError, match="SCRAM-SHA-256, SCRAM-SHA-512"):
        scram_credential("PLAIN", "alice", "pencil")


def san(certificate_pem: str) -> str:
    text = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName"],
        input=certificate_pem,
        capture_output=True,
        text=True,
        check=True,
    )
    return text.stdout  # fmt: skip


def test_the_broker_certificate_is_for_localhost_only_and_signed_by_the_ca(
    tmp_path: Path,
) -> None:
    tls = BrokerTls(tmp_path / "tls")
    tls.ensure()
    keystore = tls.keystore.read_text()
    assert keystore.startswith("-----BEGIN PRIVATE KEY-----")
    broker_cert = keystore[keystore.index("-----BEGIN CERTIFICATE-----") :]
    names = san(broker_cert)
    assert "DNS:localhost" in names
    assert "127.0.0.1" not in names
    assert stat.S_IMODE(tls.keystore.stat().st_mode) == 0o600
    assert stat.S_IMODE(tls.ca_key.stat().st_mode) == 0o600
    # A client trusting the CA accepts the chain the keystore holds.
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tls.keystore)
    client = ssl.create_default_context(cafile=str(tls.ca))
    assert client.get_ca_certs()[0]["subject"] == ((("commonName",
                                                     "correlator-local-broker-ca"),),)  # fmt: skip


def test_the_ca_is_kept_across_restarts_so_clients_keep_trusting(tmp_path: Path) -> None:
    tls = BrokerTls(tmp_path / "tls")
    tls.ensure()
    ca, keystore = tls.ca.read_bytes(), tls.keystore.read_bytes()
    tls.ensure()
    assert (tls.ca.read_bytes(), tls.keystore.read_bytes()) == (ca, keystore)
    tls.keystore.unlink()
    tls.ensure()
    assert tls.ca.read_bytes() == ca
    assert tls.keystore.read_bytes() != keystore


def test_two_cas_are_different_authorities(tmp_path: Path) -> None:
    one, two = make_ca(tmp_path / "one", "one"), make_ca(tmp_path / "two", "two")
    assert one.read_bytes() != two.read_bytes()
