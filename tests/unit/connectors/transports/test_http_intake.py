"""The HTTP intake's gate, served by aiohttp's test server with a stand-in for Kafka: rate
limit (429 and Retry-After), bearer token (compared in constant time), body limit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from correlator_connectors import formats
from correlator_connectors.parsers.base import Parser
from correlator_connectors.transports import http
from correlator_connectors.transports.delivery import Outcome, Record
from correlator_connectors.transports.http import HttpIntake
from correlator_connectors.transports.source import HttpSource

from correlator.settings import Settings

TOKEN = "t0ken-for-unit-tests"
LIMIT = 2048
BODY = b'{"event_type": "flow"}\n'


class Kafka:
    """Counts batches instead of producing them."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    async def send(self, parser: Parser, records: Sequence[Record], transport: str) -> Outcome:
        self.batches.append(len(records))
        return Outcome(events=len(records))


Check = Callable[[TestClient[Any, Any], Kafka], Awaitable[None]]


def serve(check: Check, **fields: Any) -> Kafka:
    base: dict[str, Any] = {"connector_http_token": TOKEN, "connector_http_max_body_bytes": LIMIT}
    settings = Settings(**(base | fields))
    kafka = Kafka()
    intake = HttpIntake(HttpSource("127.0.0.1", 0, "/ingest"), settings, kafka,  # type: ignore[arg-type]
                        lambda: formats.get_parser("suricata"))  # fmt: skip

    async def run() -> None:
        async with TestClient(TestServer(intake.application())) as client:
            await check(client, kafka)

    asyncio.run(run())
    return kafka


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_sender_above_its_rate_gets_429_with_retry_after() -> None:
    async def check(client: TestClient[Any, Any], kafka: Kafka) -> None:
        statuses = []
        for _ in range(5):
            response = await client.post("/ingest", data=BODY, headers=bearer(TOKEN))
            statuses.append(response.status)
        assert statuses == [200, 200, 200, 429, 429]
        assert response.headers["Retry-After"] == "100"  # 1 token per 100 s, rounded up
        assert "too many requests" in (await response.json())["error"]

    kafka = serve(check, connector_http_rate=0.01, connector_http_burst=3)
    assert kafka.batches == [1, 1, 1]


def test_the_rate_limit_also_holds_back_token_guessing() -> None:
    async def check(client: TestClient[Any, Any], kafka: Kafka) -> None:
        guesses = [
            (await client.post("/ingest", data=BODY, headers=bearer(f"guess-{n}"))).status
            for n in range(4)
        ]
        assert guesses == [401, 401, 429, 429]
        assert (await client.post("/ingest", data=BODY, headers=bearer(TOKEN))).status == 429

    assert serve(check, connector_http_rate=0.01, connector_http_burst=2).batches == []


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="none"),
        pytest.param(f"Basic {TOKEN}", id="other-scheme"),
        pytest.param("Bearer ", id="empty"),
        pytest.param(f"Bearer {TOKEN[:-1]}", id="prefix"),
        pytest.param(f"Bearer {TOKEN}x", id="longer"),
    ],
)
def test_a_missing_or_wrong_token_gets_401(header: str | None) -> None:
    async def check(client: TestClient[Any, Any], kafka: Kafka) -> None:
        headers = {"Authorization": header} if header is not None else {}
        response = await client.post("/ingest", data=BODY, headers=headers)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="correlator"'

    assert serve(check).batches == []


def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = http.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(http.hmac, "compare_digest", spy)

    async def check(client: TestClient[Any, Any], kafka: Kafka) -> None:
        assert (await client.post("/ingest", data=BODY, headers=bearer("wrong"))).status == 401
        assert (await client.post("/ingest", data=BODY, headers=bearer(TOKEN))).status == 200

    serve(check)
    assert compared == [(b"wrong", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


def test_a_body_above_the_limit_gets_413_declared_or_streamed() -> None:
    big = b"x" * (LIMIT + 1)

    async def chunks() -> Any:
        for start in range(0, len(big), 512):
            yield big[start : start + 512]

    async def check(client: TestClient[Any, Any], kafka: Kafka) -> None:
        declared = await client.post("/ingest", data=big, headers=bearer(TOKEN))
        streamed = await client.post("/ingest", data=chunks(), headers=bearer(TOKEN))
        assert (declared.status, streamed.status) == (413, 413)

    assert serve(check).batches == []
