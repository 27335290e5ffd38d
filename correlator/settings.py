"""Settings: one frozen object, read from ``CORRELATOR_*`` environment variables.

Built once in :func:`correlator.cli.main` and passed down; nothing reads the environment at
import time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_state_dir() -> Path:
    return Path.home() / ".local" / "state" / "correlator"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "correlator"


class Settings(BaseSettings):
    """Everything an operator can set. ``correlator --help`` lists the variables."""

    model_config = SettingsConfigDict(env_prefix="CORRELATOR_", frozen=True, extra="ignore")

    bootstrap_servers: str = Field(
        default="127.0.0.1:19092", description="Kafka bootstrap servers, comma separated."
    )
    topic_prefix: str = Field(default="", description="Prefix for every topic Correlator uses.")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="Kafka security: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL."
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism: SCRAM-SHA-256 or SCRAM-SHA-512."
    )
    kafka_username: str | None = Field(default=None, description="SASL/SCRAM user name.")
    kafka_password: SecretStr | None = Field(default=None, description="SASL/SCRAM password.")
    kafka_ca_file: Path | None = Field(
        default=None, description="TLS: CA bundle for the broker certificate (default: system)."
    )
    kafka_cert_file: Path | None = Field(
        default=None, description="TLS: client certificate (PEM), for brokers that require one."
    )
    kafka_key_file: Path | None = Field(
        default=None, description="TLS: private key (PEM) of the client certificate."
    )
    kafka_allow_plaintext_sasl: bool = Field(
        default=False, description="Allow SASL_PLAINTEXT (credentials unencrypted on the wire)."
    )
    state_dir: Path = Field(
        default_factory=_default_state_dir,
        description="Local state: broker data, worker tables, connector positions.",
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir, description="Downloaded Kafka jars (safe to share)."
    )
    broker_port: int = Field(default=19092, ge=1, le=65535, description="Local broker port.")
    broker_controller_port: int = Field(
        default=19093, ge=1, le=65535, description="Local KRaft controller port."
    )
    broker_heap: str = Field(default="512m", description="JVM heap of the local broker.")
    broker_secure: bool = Field(
        default=False,
        description="Local broker: SASL_SSL listener (SCRAM users from CORRELATOR_KAFKA_USERNAME"
        "/PASSWORD, TLS with a generated CA) instead of PLAINTEXT.",
    )
    kafka_version: str = Field(default="4.4.0", description="Kafka version the local broker runs.")
    partitions: int = Field(
        default=4, ge=1, description="Partitions of every topic Correlator creates."
    )
    replication_factor: int = Field(
        default=1, ge=1, description="Replication factor of the topics Correlator creates."
    )
    metrics_port: int = Field(
        default=0, ge=0, le=65535, description="Prometheus port (0: no metrics endpoint)."
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Address the metrics endpoint binds (loopback default)."
    )
    worker_web_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Worker: port of the Faust web server, on 127.0.0.1 only (0: a free port).",
    )
    lateness: str = Field(
        default="2m",
        pattern=r"^(\d+(ms|s|m|h|d))+$",
        description="Worker: allowed event lateness (30s, 2m, 1h); later events go to 'late'.",
    )
    align_drift: str = Field(
        default="1m",
        pattern=r"^(\d+(ms|s|m|h|d))+$",
        description="Worker: how far in event time an input partition may be read ahead of the "
        "slowest one with records waiting before its fetch is paused (a backfill or catch-up "
        "reads topics at different paces; events read ahead wait in the state).",
    )
    tick_interval: float = Field(
        default=1.0, gt=0, description="Worker: seconds between watermark ticks to partitions."
    )
    event_earliest: AwareDatetime = Field(
        default=datetime(2000, 1, 1, tzinfo=UTC),
        description="Events dated before this are rejected (zeroed clocks); ISO 8601 with zone.",
    )
    event_max_ahead: str = Field(
        default="1d",
        pattern=r"^(\d+(ms|s|m|h|d))+$",
        description="Events dated further ahead than this (of ingest, or worker clock) are "
        "rejected.",
    )
    connector_max_record_bytes: int = Field(
        default=256 * 1024,
        ge=64,
        le=1 << 20,
        description="Connectors: records above this size go to the dead-letter topic.",
    )
    connector_http_token: SecretStr | None = Field(
        default=None, description="Connectors: bearer token HTTP senders must present."
    )
    connector_http_max_body_bytes: int = Field(
        default=8 << 20, ge=1024, description="Connectors: HTTP bodies above this get 413."
    )
    connector_http_rate: float = Field(
        default=20.0,
        gt=0,
        description="Connectors: HTTP requests per second each sender address may make "
        "(above: 429 with Retry-After).",
    )
    connector_http_burst: int = Field(
        default=40, ge=1, description="Connectors: HTTP requests a sender may make at once."
    )
    connector_linger_ms: int = Field(
        default=5, ge=0, le=1000, description="Connectors: producer batching delay (ms)."
    )

    def topic(self, name: str) -> str:
        """A topic name with the configured prefix."""
        return f"{self.topic_prefix}{name}"

    def connector_dir(self, name: str) -> Path:
        """Local state of one connector (file positions): ``<state_dir>/connectors/<name>``."""
        return self.state_dir / "connectors" / name


def env_help() -> str:
    """The environment variables, one line each, for ``--help``."""
    lines = []
    for name, field in Settings.model_fields.items():
        lines.append(f"  CORRELATOR_{name.upper():<28} {field.description or ''}")
    return "\n".join(lines)
