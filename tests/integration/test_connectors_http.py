"""HTTP intake against the real broker: 401 without the token, 413 above the body limit,
200 only once the batch's events (and dead letters) are on their topics."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from correlator.runtime.topics import ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from tests.integration.connectors import BAD, Connector, flow, free_port, read_all

TOKEN = "s3cret-token-for-tests"
LIMIT = 4096


def post(url: str, body: bytes, token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/x-ndjson"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_http_batches(kafka_settings: Settings, tmp_path: Path) -> None:
    settings = kafka_settings
    ensure_topics(settings, standard_topics(settings))
    port, metrics_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}/ingest"
    env = {
        "CORRELATOR_CONNECTOR_HTTP_TOKEN": TOKEN,
        "CORRELATOR_CONNECTOR_HTTP_MAX_BODY_BYTES": str(LIMIT),
        "CORRELATOR_METRICS_PORT": str(metrics_port),
    }
    connector = Connector(
        settings, tmp_path / "http.log", "--format", "suricata", "--source", url,
        "--name", "web", env=env,
    )  # fmt: skip
    batch = [flow(1), flow(2), BAD, flow(3)]
    body = b"\n".join(batch) + b"\n"
    try:
        connector.wait_ready()
        assert post(url, body, None)[0] == 401
        assert post(url, body, "wrong")[0] == 401
        assert post(url, body, TOKEN[:-1])[0] == 401
        too_large = b"\n".join(flow(n) for n in range(100, 100 + LIMIT // 100))
        assert len(too_large) > LIMIT
        assert post(url, too_large, TOKEN)[0] == 413
        assert read_all(settings, event_topic(settings, "network")) == []

        status, answer = post(url, body, TOKEN)
        assert (status, answer) == (200, {"records": 4, "events": 3, "rejected": 1})
        # No waiting: a 200 means the events and the dead letter are already on the topics.
        events = read_all(settings, event_topic(settings, "network"))
        letters = read_all(settings, settings.topic("dlq"))
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as response:
            metrics = response.read().decode()
    finally:
        assert connector.stop() == 0, connector.output()
    assert sorted(e["attrs"]["flow_id"] for e in events) == [1, 2, 3]
    assert {e["source"]["connector"] for e in events} == {"web"}
    (letter,) = letters
    assert letter["raw"] == BAD.decode()
    assert letter["reason"].startswith("malformed: ")
    offset = body.index(BAD)
    assert re.fullmatch(rf"http 127\.0\.0\.1:\d+@{offset}", letter["position"])
    assert 'correlator_connector_records_total{connector="web",transport="http"} 4.0' in metrics
    assert 'correlator_connector_events_total{connector="web",domain="network"} 3.0' in metrics
    assert (
        'correlator_connector_rejects_total{connector="web",format="suricata",reason="malformed"}'
        " 1.0" in metrics
    )
    assert 'correlator_connector_produce_seconds_count{connector="web"} 1.0' in metrics
    assert TOKEN not in connector.output()
    assert "\x1b" not in connector.output()
