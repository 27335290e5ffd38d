"""The ``--source`` argument of ``correlator connect``, parsed into one of four shapes.

``file:PATH``, ``syslog+udp://HOST:PORT``, ``syslog+tcp://HOST:PORT``,
``http://HOST:PORT/PATH`` and ``kafka:TOPIC``. A bad value is a :class:`SourceError` that
shows the valid forms.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from correlator.errors import ConfigError

FORMS = (
    "file:PATH, syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT, http://HOST:PORT/PATH, kafka:TOPIC"
)


LOOPBACK = "127.0.0.1"
"""Where a listener binds when the source names no host (``syslog+udp://:5514``)."""


class SourceError(ConfigError):
    """A ``--source`` value that names no transport we know."""


@dataclass(frozen=True, slots=True)
class FileSource:
    path: Path


@dataclass(frozen=True, slots=True)
class SyslogSource:
    protocol: Literal["udp", "tcp"]
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class HttpSource:
    host: str
    port: int
    path: str


@dataclass(frozen=True, slots=True)
class KafkaSource:
    topic: str


Source = FileSource | SyslogSource | HttpSource | KafkaSource


def parse_source(text: str) -> Source:
    """Parse a ``--source`` value; :class:`SourceError` says what is wrong and the forms."""
    if text.startswith("file:"):
        path = text.removeprefix("file:")
        if not path:
            raise _error(text, "the file path is empty")
        return FileSource(Path(path))
    if text.startswith("kafka:"):
        topic = text.removeprefix("kafka:")
        if not topic or any(c.isspace() for c in topic):
            raise _error(text, "the topic name is empty or has spaces")
        return KafkaSource(topic)
    parts = urlsplit(text)
    if parts.scheme in ("syslog+udp", "syslog+tcp"):
        host, port = _address(text)
        if parts.path not in ("", "/") or parts.query:
            raise _error(text, "a syslog source takes no path or query")
        return SyslogSource("udp" if parts.scheme == "syslog+udp" else "tcp", host, port)
    if parts.scheme == "http":
        host, port = _address(text)
        return HttpSource(host, port, parts.path or "/")
    raise _error(text, "unknown source kind")


def _address(text: str) -> tuple[str, int]:
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError as exc:
        raise _error(text, "the port is not a number from 1 to 65535") from exc
    if port is None or port == 0:
        raise _error(text, "the port is missing")
    host = parts.hostname or LOOPBACK
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not host.replace("-", "").replace(".", "").isalnum():
            raise _error(text, f"{host!r} is not a host name or IP address") from None
    return host, port


def describe(source: Source) -> str:
    """The source as the operator wrote it, for logs."""
    match source:
        case FileSource(path):
            return f"file:{path}"
        case SyslogSource(protocol, host, port):
            return f"syslog+{protocol}://{_host(host)}:{port}"
        case HttpSource(host, port, path):
            return f"http://{_host(host)}:{port}{path}"
        case KafkaSource(topic):
            return f"kafka:{topic}"


def listen_error(where: str, exc: OSError) -> ConfigError:
    """A listener that could not bind, said so that the operator knows what to change."""
    return ConfigError(
        f"{where}: cannot listen: {exc.strerror or exc} (is the port in use, or the address "
        "not on this machine? ports below 1024 need privileges)"
    )


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _error(text: str, why: str) -> SourceError:
    return SourceError(f"--source {text!r}: {why}; valid forms: {FORMS}")
