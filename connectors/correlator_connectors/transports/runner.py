"""Run one connector: a source, a format, a name; until SIGTERM/SIGINT, then flush and exit.

Used by ``correlator connect``. The broker must be reachable and the topics exist (the
command ensures them first).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Protocol

from correlator.errors import ConfigError
from correlator.logthrottle import throttle
from correlator.runtime.topics import ensure_topics, standard_topics
from correlator.settings import Settings
from correlator_connectors import formats
from correlator_connectors.parsers.base import Parser
from correlator_connectors.transports import metrics
from correlator_connectors.transports.delivery import Delivery
from correlator_connectors.transports.source import (
    FileSource,
    HttpSource,
    KafkaSource,
    Source,
    SyslogSource,
    describe,
)

log = logging.getLogger(__name__)


class Transport(Protocol):
    async def run(self, stop: asyncio.Event, ready: Callable[[str], None]) -> None:
        """Read until ``stop`` is set (or the input ends), delivering through the delivery;
        call ``ready`` once listening or reading."""
        ...


def run_connector(
    settings: Settings, source: Source, format_name: str, name: str, *, once: bool = False
) -> None:
    """Run until stopped; raises :class:`CorrelatorError` on a configuration or broker error.

    Configuration is checked before anything touches Kafka; then the topics are ensured.
    """
    check(settings, source, format_name)
    throttle()  # a broker outage would flood the log with aiokafka's retries
    ensure_topics(settings, standard_topics(settings))
    asyncio.run(_main(settings, source, format_name, name, once))


def check(settings: Settings, source: Source, format_name: str) -> None:
    """Fail fast on what would otherwise fail after connecting: format, HTTP token."""
    formats.get_parser(format_name)
    if isinstance(source, HttpSource) and settings.connector_http_token is None:
        raise ConfigError(
            f"{describe(source)}: an HTTP source needs a bearer token: set "
            "CORRELATOR_CONNECTOR_HTTP_TOKEN"
        )


async def _main(
    settings: Settings, source: Source, format_name: str, name: str, once: bool
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    metrics.serve(settings)
    delivery = Delivery(settings, name, format_name, stop=stop)
    try:
        await delivery.start()
        transport = build_transport(
            settings, source, delivery, lambda: formats.get_parser(format_name), name, once
        )

        def ready(where: str) -> None:
            log.info("connector %s ready: %s, format %s", name, where, format_name)

        await transport.run(stop, ready)
    finally:
        await delivery.stop()
    log.info("connector %s stopped", name)


def build_transport(
    settings: Settings,
    source: Source,
    delivery: Delivery,
    parsers: Callable[[], Parser],
    name: str,
    once: bool,
) -> Transport:
    from correlator_connectors.transports.positions import PositionStore

    match source:
        case FileSource(path):
            from correlator_connectors.transports.files import FileTail

            store = PositionStore(settings.connector_dir(name))
            return FileTail(path, delivery, parsers, store, once=once)
        case SyslogSource("udp", host, port):
            from correlator_connectors.transports.syslog import SyslogUdp

            return SyslogUdp(host, port, delivery, parsers)
        case SyslogSource(_, host, port):
            from correlator_connectors.transports.syslog import SyslogTcp

            return SyslogTcp(host, port, delivery, parsers)
        case HttpSource():
            from correlator_connectors.transports.http import HttpIntake

            return HttpIntake(source, settings, delivery, parsers)
        case KafkaSource(topic):
            from correlator_connectors.transports.kafka import KafkaRaw

            return KafkaRaw(topic, settings, delivery, parsers, name, once=once)
    raise AssertionError(f"unhandled source {describe(source)}")
