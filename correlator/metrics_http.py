"""The one HTTP endpoint a Correlator process serves: ``/metrics``, ``/healthz``, ``/readyz``.

Workers and connectors both use :func:`serve_http`, so every process answers the same paths
the same way and an orchestrator probes them alike:

- ``/metrics`` — Prometheus text format of the given registry;
- ``/healthz`` — 200 as long as the process runs (liveness);
- ``/readyz`` — 200 when ``ready()`` is true, else 503 (readiness: e.g. tables restored);
- anything else — 404.

It binds the address it is given (loopback by default in the settings): the endpoint has no
authentication, so exposing it is an explicit operator decision.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from correlator.errors import ConfigError

log = logging.getLogger(__name__)

Ready = Callable[[], bool]


class MetricsServer:
    """A running endpoint; :meth:`close` stops it (idempotent)."""

    def __init__(self, httpd: ThreadingHTTPServer | None) -> None:
        self._httpd = httpd
        self._thread: threading.Thread | None = None
        if httpd is not None:
            self._thread = threading.Thread(
                target=httpd.serve_forever, name="metrics-http", daemon=True
            )
            self._thread.start()

    @property
    def host(self) -> str | None:
        return None if self._httpd is None else str(self._httpd.server_address[0])

    @property
    def port(self) -> int | None:
        """The bound port (useful when asked for port 0); None when the endpoint is off."""
        return None if self._httpd is None else int(self._httpd.server_address[1])

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def serve_http(registry: CollectorRegistry, host: str, port: int, ready: Ready) -> MetricsServer:
    """Serve ``registry`` on ``host:port`` (port 0: any free port) in a daemon thread.

    Raises :class:`ConfigError` naming the settings to change when the address cannot be
    bound.
    """
    handler = _handler(registry, ready)
    server_class = _Server6 if ":" in host else ThreadingHTTPServer
    try:
        httpd = server_class((host, port), handler)
    except OSError as exc:
        raise ConfigError(
            f"CORRELATOR_METRICS_HOST={host} CORRELATOR_METRICS_PORT={port}: cannot serve "
            f"metrics: {exc.strerror or exc} (pick a free port, or 0 for none)"
        ) from exc
    server = MetricsServer(httpd)
    log.info("metrics on http://%s:%d/metrics", host, server.port)
    return server


def disabled() -> MetricsServer:
    """The endpoint of a process configured without one (``CORRELATOR_METRICS_PORT=0``)."""
    return MetricsServer(None)


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _handler(registry: CollectorRegistry, ready: Ready) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                self._reply(200, b"ok\n")
            elif path == "/readyz":
                is_ready = _safe(ready)
                self._reply(200 if is_ready else 503, b"ready\n" if is_ready else b"not ready\n")
            else:
                self._reply(404, b"not found: try /metrics, /healthz or /readyz\n")

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Scrapes every few seconds would flood stderr; keep them at debug level."""
            log.debug("metrics http: " + format, *args)

    return Handler


def _safe(ready: Ready) -> bool:
    """A failing readiness check answers 'not ready' instead of breaking the endpoint."""
    try:
        return bool(ready())
    except Exception:
        log.exception("readiness check failed")
        return False
