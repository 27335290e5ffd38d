"""Security material of the local broker: a private CA, the broker's certificate, SCRAM users.

The local broker (:mod:`correlator.localbroker`) can run with a SASL_SSL listener so that the
whole secured path — TLS verification, host-name check, SCRAM authentication — is exercised on
one machine exactly as against a production cluster. It needs:

- a certificate authority of its own, generated once with ``openssl`` and kept, so that clients
  configured with ``CORRELATOR_KAFKA_CA_FILE`` keep trusting the broker across restarts;
- a broker certificate for the name ``localhost`` only. Its address (127.0.0.1) is left out
  of the certificate on purpose: clients must connect by name, and connecting by address shows
  what a host-name mismatch looks like;
- SCRAM users, written into the KRaft metadata when the storage is formatted. We hand
  ``kafka-storage format`` the *salted* password (PBKDF2, as SCRAM stores it), so the clear
  password never appears on a command line or in a file.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from correlator.errors import BrokerError

HOSTNAME = "localhost"
"""The only name in the broker certificate."""

SCRAM_ITERATIONS = 8192
"""PBKDF2 rounds of the stored SCRAM credential (Kafka requires at least 4096)."""

_MECHANISMS = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")

_SERVER_EXTENSIONS = f"""\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:{HOSTNAME}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclass(frozen=True)
class BrokerTls:
    """The files of the broker's TLS material, in one directory."""

    directory: Path

    @property
    def ca(self) -> Path:
        """The CA certificate clients trust (``CORRELATOR_KAFKA_CA_FILE``)."""
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def keystore(self) -> Path:
        """The broker's private key, certificate and CA in one PEM file (Kafka's PEM keystore)."""
        return self.directory / "broker-keystore.pem"

    def ensure(self) -> None:
        """Generate what is missing: the CA first, then the broker certificate it signs."""
        if not (self.ca.exists() and self.ca_key.exists()):
            make_ca(self.directory, "correlator-local-broker-ca")
            self.keystore.unlink(missing_ok=True)
        if not self.keystore.exists():
            self._make_broker_certificate()

    def _make_broker_certificate(self) -> None:
        key = self.directory / "broker-key.pem"
        csr = self.directory / "broker.csr"
        cert = self.directory / "broker-cert.pem"
        extensions = self.directory / "broker-extensions.cnf"
        extensions.write_text(_SERVER_EXTENSIONS)
        _new_key(key)
        _openssl("req", "-new", "-key", str(key), "-subj", f"/CN={HOSTNAME}", "-out", str(csr))
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.ca), "-CAkey", str(self.ca_key),
            "-set_serial", str(secrets.randbits(63)), "-days", "825", "-sha256",
            "-extfile", str(extensions), "-out", str(cert),
        )  # fmt: skip
        pem = key.read_text() + cert.read_text() + self.ca.read_text()
        _write_private(self.keystore, pem)
        for leftover in (key, csr, cert, extensions):
            leftover.unlink()


def make_ca(directory: Path, name: str) -> Path:
    """A new self-signed CA (``ca.pem`` and ``ca-key.pem`` in ``directory``); returns ca.pem."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    ca, key = directory / "ca.pem", directory / "ca-key.pem"
    _new_key(key)
    _openssl(
        "req", "-x509", "-new", "-key", str(key), "-subj", f"/CN={name}", "-days", "3650",
        "-sha256", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", str(ca),
    )  # fmt: skip
    return ca


def scram_credential(mechanism: str, username: str, password: str) -> str:
    """The ``--add-scram`` argument of ``kafka-storage format``, with a salted password.

    SCRAM stores ``Hi(password, salt, iterations)`` (RFC 5802, i.e. PBKDF2-HMAC); the broker
    derives its keys from that, so it never needs the clear password.
    """
    digest = _MECHANISMS.get(mechanism)
    if digest is None:
        raise BrokerError(f"SCRAM mechanism {mechanism!r}: use one of {', '.join(_MECHANISMS)}")
    check_username(username)
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac(digest, password.encode(), salt, SCRAM_ITERATIONS)
    return (
        f"{mechanism}=[name={username},iterations={SCRAM_ITERATIONS},"
        f'salt="{_b64(salt)}",saltedpassword="{_b64(salted)}"]'
    )


def check_username(username: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise BrokerError(
            f"CORRELATOR_KAFKA_USERNAME={username!r}: the local broker's SCRAM user name must "
            "be 1-64 letters, digits, '.', '_', '@' or '-'"
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _new_key(path: Path) -> None:
    """An unencrypted P-256 key in PKCS#8 PEM (what Kafka's PEM keystore reads)."""
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
             str(path))  # fmt: skip
    path.chmod(0o600)


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def _openssl(*args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise BrokerError("openssl is not on PATH: install OpenSSL to run a secured local broker")
    result = subprocess.run([openssl, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(f"openssl {args[0]} failed (exit {result.returncode}):\n{result.stderr}")
