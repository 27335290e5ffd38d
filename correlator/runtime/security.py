"""Kafka connection security, from the settings, for every client the project creates.

One place decides how Correlator talks to Kafka — the Faust worker, the admin client that
creates topics, the connectors' producers and consumers, the demo — so none of them can
forget TLS or authenticate differently. Supported: PLAINTEXT, SSL (optionally with a client
certificate), and SASL/SCRAM-SHA-256 or -512 over TLS. SASL over plaintext sends the
credentials readable on the wire; it is refused unless the operator opts in explicitly.

Every problem is a :class:`ConfigError` naming the ``CORRELATOR_*`` variable to set. The
password never appears in an error, a log line or a repr.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiokafka.helpers import create_ssl_context

from correlator.errors import ConfigError
from correlator.settings import Settings

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

_SECRET = "sasl_plain_password"


class KafkaOptions(dict[str, Any]):
    """aiokafka client keyword arguments whose repr hides the SASL password."""

    def __repr__(self) -> str:
        shown = {k: ("**********" if k == _SECRET and v else v) for k, v in self.items()}
        return f"KafkaOptions({shown!r})"

    __str__ = __repr__


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``AIOKafkaProducer``/``Consumer``/``AdminClient`` (no bootstrap)."""
    protocol = settings.kafka_security_protocol
    options = KafkaOptions(security_protocol=protocol)
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl_context(settings)
    else:
        _refuse_unused_tls_files(settings)
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        username, password = _sasl_credentials(settings)
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=username,
            sasl_plain_password=password,
        )
    else:
        _refuse_unused_credentials(settings)
    return options


def faust_credentials(settings: Settings) -> CredentialsT | None:
    """``faust.App(broker_credentials=...)``: the same security as :func:`aiokafka_options`."""
    # Imported here: connectors use this module and should not pay for importing Faust.
    from faust.auth import SASLCredentials, SSLCredentials

    options = aiokafka_options(settings)
    protocol = options["security_protocol"]
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return SSLCredentials(options["ssl_context"])
    # SASLCredentials picks SASL_SSL when given a context, SASL_PLAINTEXT otherwise.
    return SASLCredentials(
        username=options["sasl_plain_username"],
        password=options["sasl_plain_password"],
        ssl_context=options.get("ssl_context"),
        mechanism=options["sasl_mechanism"],
    )


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A verifying TLS context: the configured CA (else the system's), and client cert if set."""
    ca = _readable(settings.kafka_ca_file, "CORRELATOR_KAFKA_CA_FILE")
    cert = _readable(settings.kafka_cert_file, "CORRELATOR_KAFKA_CERT_FILE")
    key = _readable(settings.kafka_key_file, "CORRELATOR_KAFKA_KEY_FILE")
    if (cert is None) != (key is None):
        raise ConfigError(
            "Kafka TLS client certificate: CORRELATOR_KAFKA_CERT_FILE and "
            "CORRELATOR_KAFKA_KEY_FILE go together: set both (mutual TLS) or neither"
        )
    try:
        # A password callback stops OpenSSL from prompting on a terminal for an encrypted key.
        context: ssl.SSLContext = create_ssl_context(
            cafile=ca, certfile=cert, keyfile=key, password=_no_key_password
        )
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"Kafka TLS: cannot load CORRELATOR_KAFKA_CA_FILE={ca or '(system)'}, "
            f"CORRELATOR_KAFKA_CERT_FILE={cert or '(none)'}, "
            f"CORRELATOR_KAFKA_KEY_FILE={key or '(none)'}: {exc} "
            "(use PEM files: the CA that signed the broker certificate, your certificate and "
            "its unencrypted key)"
        ) from exc
    return context


def _no_key_password() -> str:
    raise ValueError("the private key is encrypted")


def _sasl_credentials(settings: Settings) -> tuple[str, str]:
    protocol = settings.kafka_security_protocol
    if protocol == "SASL_PLAINTEXT" and not settings.kafka_allow_plaintext_sasl:
        raise ConfigError(
            "CORRELATOR_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT sends the Kafka password "
            "unencrypted: use SASL_SSL, or set CORRELATOR_KAFKA_ALLOW_PLAINTEXT_SASL=true if "
            "the network is trusted"
        )
    username = settings.kafka_username or ""
    password = settings.kafka_password.get_secret_value() if settings.kafka_password else ""
    missing = [
        name
        for name, value in (
            ("CORRELATOR_KAFKA_USERNAME", username),
            ("CORRELATOR_KAFKA_PASSWORD", password),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"CORRELATOR_KAFKA_SECURITY_PROTOCOL={protocol} authenticates with "
            f"{settings.kafka_sasl_mechanism}: set {' and '.join(missing)}"
        )
    return username, password


def _refuse_unused_credentials(settings: Settings) -> None:
    """Credentials without a SASL protocol mean a forgotten setting, not 'no auth wanted'."""
    if settings.kafka_username or settings.kafka_password:
        raise ConfigError(
            "CORRELATOR_KAFKA_USERNAME/CORRELATOR_KAFKA_PASSWORD are set but "
            f"CORRELATOR_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} does not "
            "authenticate: set CORRELATOR_KAFKA_SECURITY_PROTOCOL=SASL_SSL, or unset them"
        )


def _refuse_unused_tls_files(settings: Settings) -> None:
    files = {
        "CORRELATOR_KAFKA_CA_FILE": settings.kafka_ca_file,
        "CORRELATOR_KAFKA_CERT_FILE": settings.kafka_cert_file,
        "CORRELATOR_KAFKA_KEY_FILE": settings.kafka_key_file,
    }
    given = [name for name, path in files.items() if path is not None]
    if given:
        raise ConfigError(
            f"{', '.join(given)} set but CORRELATOR_KAFKA_SECURITY_PROTOCOL="
            f"{settings.kafka_security_protocol} does not use TLS: set "
            "CORRELATOR_KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL, or unset them"
        )


def _readable(path: Path | None, variable: str) -> str | None:
    if path is None:
        return None
    if not path.is_file():
        raise ConfigError(
            f"{variable}={path}: no such file (give the path of a PEM file readable by this "
            "process)"
        )
    return str(path)
