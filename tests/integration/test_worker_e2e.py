"""The correlating worker against the real broker gives the alerts ``correlator replay`` gives.

The fixture day (see tests/unit/commands/test_replay_identity.py) goes in as normalized
events plus the Suricata feed through ``correlator connect --once``. Identity is learned in
arrival order, so the feed goes in phases that keep what resolution depends on in order
(bindings before the IDS alerts they resolve; Alice's badge-out after the 10:40 IDS alert
that finds her on site), waiting each time until the worker has consumed everything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from correlator import serde
from correlator.runtime.topics import DOMAINS, event_topic
from correlator.settings import Settings
from tests.integration import kafka
from tests.integration.connectors import Connector
from tests.integration.kafka import WorkerProcess, produce
from tests.integration.workers import (
    FIXTURES,
    ROOT,
    fixture_events,
    heartbeat,
    prepare,
    replay_ids,
    send_events,
    wait_alerts,
    wait_consumed,
)

DIRECTORY = FIXTURES / "directory.yaml"
POISON = b'{"id": "x", "time": "yesterday"'
PHASES = (("ev-01", "ev-07"), ("ev-08", "ev-11"), ("ev-12", "ev-12"), ("ev-13", "ev-13"))


def connect_once(settings: Settings, tmp_path: Path, fmt: str, path: Path) -> None:
    """A raw feed through the real connector (named like replay's, so event ids match)."""
    args = ("--format", fmt, "--source", f"file:{path}", "--name", "replay", "--once")
    connector = Connector(settings, tmp_path / f"connect-{fmt}.log", *args)
    assert connector.wait() == 0, connector.output()


def test_fixture_day_gives_the_alerts_of_replay(kafka_settings: Settings, tmp_path: Path) -> None:
    settings = kafka_settings.model_copy(update={"lateness": "1d"})
    rules = ROOT / "rules"
    prepare(settings, [rules], DIRECTORY)
    events = fixture_events()
    expected = replay_ids(
        tmp_path,
        rules,
        DIRECTORY,
        f"suricata:{FIXTURES / 'eve.json'}",
        str(FIXTURES / "events.jsonl"),
    )
    assert len(expected) >= 5  # see the replay tests: four from the events, one from the feed

    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        for first, last in PHASES:
            send_events(settings, [e for e in events if first <= e.id <= last])
            if first == "ev-01":
                connect_once(settings, tmp_path, "suricata", FIXTURES / "eve.json")
                poison_every_topic(settings)
            wait_consumed(settings)
        send_events(settings, [heartbeat(events[-1].time + timedelta(days=2))])
        got = wait_alerts(settings, expected)
        late = events[1].model_copy(update={"id": "late-badge"})  # a day behind the watermark
        send_events(settings, [late])
        late_ids = [e["id"] for e in consume_until(settings, "late", lambda v: len(v) >= 1)]
        letters = consume_until(settings, "dlq", lambda v: len(v) >= len(DOMAINS))
    finally:
        assert worker.stop() == 0, worker.output()
    assert set(got) == expected, worker.output()
    assert len(got) == len(expected)  # a fault-free run repeats nothing
    assert late_ids == ["late-badge"]
    assert {letter["stage"] for letter in letters} == {"resolve"}
    assert sorted(letter["position"].split("[")[0] for letter in letters) == sorted(
        event_topic(settings, d) for d in DOMAINS
    )
    assert all(letter["reason"].startswith("DecodeError") for letter in letters)


def poison_every_topic(settings: Settings) -> None:
    for domain in DOMAINS:
        produce(settings.bootstrap_servers, event_topic(settings, domain), [(b"x", POISON)])


def consume_until(
    settings: Settings, name: str, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    records = kafka.consume_until(
        settings.bootstrap_servers,
        settings.topic(name),
        lambda recs: done([serde.loads(r.value) for r in recs]),
    )
    return [serde.loads(r.value) for r in records]
