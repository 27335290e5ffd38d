"""Whether the worker reaches its broker, said once every few seconds instead of a hundred times.

When the broker goes away, the worker's Kafka clients (consumer, producer, changelog
readers) keep retrying on their own and resume when it is back: no restart is needed. But
what an operator sees of that is aiokafka's log, a hundred "Unable connect to node" lines a
second that never say whether anything is being done about it. This watch connects to the
bootstrap servers every :data:`PROBE_INTERVAL` seconds (with the client's TLS and SASL
settings) and says it plainly:

- ``broker unreachable at <servers> (<cause>), retrying in 5 s; ...`` while it is away,
- ``broker reachable again after N s ...`` when it is back,

and exports ``correlator_worker_broker_reachable`` (1 or 0) and
``correlator_worker_broker_unreachable_seconds`` (how long the current outage has lasted).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Gauge

from correlator.runtime.security import aiokafka_options
from correlator.settings import Settings

log = logging.getLogger(__name__)

PROBE_INTERVAL = 5.0
"""Seconds between two connection attempts of the watch."""
PROBE_TIMEOUT = 4.0
"""Seconds one attempt may take (below the interval, so attempts never pile up)."""

Probe = Callable[[], Awaitable[str | None]]
"""Connects once: None when the broker answered, else what went wrong."""


def connect_probe(settings: Settings) -> Probe:
    """A probe that opens (and closes) a client connection to any bootstrap server."""
    servers = [s.strip() for s in settings.bootstrap_servers.split(",") if s.strip()]
    options = aiokafka_options(settings)

    async def probe() -> str | None:
        problem = "no bootstrap server"
        for server in servers:
            host, _, port = server.rpartition(":")
            try:
                conn = await asyncio.wait_for(
                    create_conn(host, int(port), request_timeout_ms=int(PROBE_TIMEOUT * 1000),
                                **options),
                    PROBE_TIMEOUT,
                )  # fmt: skip
            except (OSError, KafkaError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            conn.close()
            return None
        return problem

    return probe


class BrokerWatch:
    """The timer body (:meth:`check`) and the two gauges of the watch."""

    def __init__(
        self,
        settings: Settings,
        registry: CollectorRegistry,
        probe: Probe | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.servers = settings.bootstrap_servers
        self.probe = probe or connect_probe(settings)
        self.clock = clock
        self.down_since: float | None = None
        self.reachable = Gauge(
            "correlator_worker_broker_reachable",
            "1 when the last connection attempt to the broker succeeded, else 0.",
            registry=registry,
        )
        self.outage = Gauge(
            "correlator_worker_broker_unreachable_seconds",
            "How long the broker has been unreachable (0 when it is reachable).",
            registry=registry,
        )
        self.reachable.set(1)

    async def check(self) -> None:
        problem = await self.probe()
        now = self.clock()
        if problem is None:
            if self.down_since is not None:
                log.warning(
                    "broker reachable again at %s after %.0f s; the worker resumes by itself",
                    self.servers, now - self.down_since,
                )  # fmt: skip
            self.down_since = None
            self.reachable.set(1)
            self.outage.set(0)
            return
        if self.down_since is None:
            self.down_since = now
        self.reachable.set(0)
        self.outage.set(now - self.down_since)
        log.warning(
            "broker unreachable at %s (%s), retrying in %.0f s; the worker's Kafka clients "
            "keep retrying and resume when it is back (no restart needed)",
            self.servers, problem, PROBE_INTERVAL,
        )  # fmt: skip
