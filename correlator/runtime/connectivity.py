"""Why a Kafka client could not connect, in words an operator can act on.

aiokafka logs the cause of a failed bootstrap and raises a bare "Unable to bootstrap from
[...]". A refused password, an untrusted certificate and a host-name mismatch then all look
alike. :func:`start_client` starts a client and, when the bootstrap fails, connects once more
to the first bootstrap server to find the cause, and raises a :class:`BrokerError` that names
the ``CORRELATOR_*`` variable to check. The password never appears in the message.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, Protocol

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError, KafkaError, SaslAuthenticationFailed

from correlator.errors import BrokerError
from correlator.runtime.security import aiokafka_options
from correlator.settings import Settings

PROBE_TIMEOUT = 10.0
"""Seconds the diagnosing connection may take."""

_NAME_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH


class Startable(Protocol):
    async def start(self) -> Any: ...


async def start_client(client: Startable, settings: Settings) -> None:
    """``await client.start()``; a failed bootstrap becomes a :class:`BrokerError` saying why."""
    try:
        await client.start()
    except KafkaConnectionError:
        reason = await explain(settings)
        raise BrokerError(reason) from None


async def explain(settings: Settings) -> str:
    """Connect to the first bootstrap server and say what stops a client from using it."""
    server = settings.bootstrap_servers.split(",")[0].strip()
    host, _, port = server.rpartition(":")
    where = f"Kafka at {server}"
    options = aiokafka_options(settings)
    try:
        conn = await asyncio.wait_for(
            create_conn(host, int(port), request_timeout_ms=int(PROBE_TIMEOUT * 1000), **options),
            PROBE_TIMEOUT,
        )
    except ssl.SSLCertVerificationError as exc:
        return _scrub(_certificate(where, host, exc), settings)
    except ssl.SSLError as exc:
        return _scrub(
            f"{where}: the TLS handshake failed ({exc.reason or exc}): check that the listener "
            "uses TLS and CORRELATOR_KAFKA_SECURITY_PROTOCOL matches it",
            settings,
        )
    except SaslAuthenticationFailed:
        return (
            f"{where}: {settings.kafka_sasl_mechanism} authentication as user "
            f"{settings.kafka_username!r} was refused: check CORRELATOR_KAFKA_USERNAME, "
            "CORRELATOR_KAFKA_PASSWORD and CORRELATOR_KAFKA_SASL_MECHANISM"
        )
    except TimeoutError:
        return (
            f"{where}: no answer within {PROBE_TIMEOUT:.0f}s: check CORRELATOR_BOOTSTRAP_SERVERS "
            "and CORRELATOR_KAFKA_SECURITY_PROTOCOL (a TLS client on a plaintext listener waits)"
        )
    except (OSError, KafkaError) as exc:
        return _scrub(
            f"{where}: cannot connect ({exc}): check CORRELATOR_BOOTSTRAP_SERVERS, "
            "CORRELATOR_KAFKA_SECURITY_PROTOCOL and that the broker runs",
            settings,
        )
    conn.close()
    return (
        f"{where} accepted a test connection but the client could not bootstrap from "
        f"{settings.bootstrap_servers}: see the aiokafka log lines above"
    )


def _certificate(where: str, host: str, exc: ssl.SSLCertVerificationError) -> str:
    if exc.verify_code in _NAME_MISMATCH:
        return (
            f"{where}: the broker certificate is not valid for the name {host!r} (host-name "
            "check): put a name the certificate lists in CORRELATOR_BOOTSTRAP_SERVERS"
        )
    return (
        f"{where}: the broker certificate is not trusted ({exc.verify_message}): set "
        "CORRELATOR_KAFKA_CA_FILE to the CA certificate that signed it"
    )


def _scrub(message: str, settings: Settings) -> str:
    """Belt and braces: no library message may carry the password into ours."""
    if settings.kafka_password is None:
        return message
    secret = settings.kafka_password.get_secret_value()
    return message.replace(secret, "**********") if secret else message
