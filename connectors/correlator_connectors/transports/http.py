"""HTTP intake: POST a batch of records (JSON lines, or any format's framing) to one path.

- ``Authorization: Bearer <token>`` must match ``CORRELATOR_CONNECTOR_HTTP_TOKEN`` (compared
  in constant time, never logged); otherwise 401. The connector refuses to start without a
  token.
- A body above ``CORRELATOR_CONNECTOR_HTTP_MAX_BODY_BYTES`` is answered 413 and not read.
- Each sender address may make ``CORRELATOR_CONNECTOR_HTTP_RATE`` requests per second, with
  bursts of ``CORRELATOR_CONNECTOR_HTTP_BURST``; above that, 429 with ``Retry-After`` (whole
  seconds). The limit comes first, so it also slows down anyone guessing the token.
- 200 only after every event (and every dead letter) of the batch is acknowledged by Kafka;
  the answer says how many events and rejects the batch made. 503 if Kafka failed: the
  sender should retry the whole batch (events keep their ids, so consumers drop repeats).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
from collections.abc import Callable

from aiohttp import web

from correlator import serde
from correlator.errors import ConfigError
from correlator.settings import Settings
from correlator.text import escape_controls
from correlator_connectors.parsers.base import Parser
from correlator_connectors.parsers.framing import split_records
from correlator_connectors.transports.delivery import Delivery, DeliveryError, Record
from correlator_connectors.transports.ratelimit import RateLimiter
from correlator_connectors.transports.source import HttpSource, describe, listen_error
from correlator_connectors.transports.syslog import peer_label

log = logging.getLogger(__name__)


class HttpIntake:
    def __init__(
        self,
        source: HttpSource,
        settings: Settings,
        delivery: Delivery,
        parsers: Callable[[], Parser],
    ) -> None:
        if settings.connector_http_token is None:
            raise ConfigError(
                f"{describe(source)}: an HTTP source needs a bearer token: set "
                "CORRELATOR_CONNECTOR_HTTP_TOKEN"
            )
        self.source = source
        self.token = settings.connector_http_token.get_secret_value().encode()
        self.max_body = settings.connector_http_max_body_bytes
        self.limiter = RateLimiter(settings.connector_http_rate, settings.connector_http_burst)
        self.delivery = delivery
        self.parsers = parsers

    def application(self) -> web.Application:
        """The aiohttp application: one POST route (tests serve it on their own server)."""
        app = web.Application(client_max_size=self.max_body)
        app.router.add_post(self.source.path, self._post)
        return app

    async def run(self, stop: asyncio.Event, ready: Callable[[str], None]) -> None:
        runner = web.AppRunner(self.application(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.source.host, self.source.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise listen_error(describe(self.source), exc) from exc
        ready(describe(self.source))
        try:
            await stop.wait()
        finally:
            await runner.cleanup()  # stops accepting, waits for requests in progress

    async def _post(self, request: web.Request) -> web.Response:
        peer, host = _peer(request)
        wait = self.limiter.take(host or peer)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            return _json(429, {"error": f"too many requests: retry in {retry} s"},
                         headers={"Retry-After": str(retry)})  # fmt: skip
        if not self._authorized(request.headers.get("Authorization", "")):
            return _json(401, {"error": "missing or wrong bearer token"}, auth=True)
        length = request.content_length
        if length is not None and length > self.max_body:
            return _json(413, {"error": f"body above {self.max_body} bytes"})
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _json(413, {"error": f"body above {self.max_body} bytes"})
        parser = self.parsers()  # a request is a stream of its own (CSV headers and the like)
        frames = split_records(parser.framer(), [body])
        records = [Record(f.data, f"http {peer}@{f.offset}", host) for f in frames]
        try:
            outcome = await self.delivery.send(parser, records, "http")
        except DeliveryError as exc:
            log.error("%s", exc)
            return _json(503, {"error": "Kafka did not acknowledge the batch; retry it"})
        log.debug("batch from %s: %d events", escape_controls(peer), outcome.events)
        return _json(200, {"records": len(records), "events": outcome.events,
                           "rejected": outcome.rejects})  # fmt: skip

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), self.token)


def _peer(request: web.Request) -> tuple[str, str | None]:
    """``(label, host)`` of the sender: ``("127.0.0.1:40112", "127.0.0.1")``."""
    peername = request.transport.get_extra_info("peername") if request.transport else None
    if not peername:
        return "unknown", None
    host = str(peername[0])
    return peer_label((host, int(peername[1]))), host


def _json(
    status: int,
    body: dict[str, object],
    *,
    auth: bool = False,
    headers: dict[str, str] | None = None,
) -> web.Response:
    headers = dict(headers or {})
    if auth:
        headers["WWW-Authenticate"] = 'Bearer realm="correlator"'
    return web.Response(
        status=status, body=serde.dumps(body), content_type="application/json", headers=headers
    )
