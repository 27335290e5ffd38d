"""File transport against the real broker: a kill -9 mid-file loses nothing and repeats only
the unacknowledged tail; rotation (while running and while stopped) loses nothing."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from correlator import serde
from correlator.model.event import Source, event_id
from correlator.runtime.topics import ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from tests.integration.connectors import BAD, Connector, flow, read_all, wait_for


def ids_of(lines: list[bytes], connector: str) -> set[str]:
    source = Source(connector=connector, format="suricata", host="ids-1")
    return {event_id(source, line) for line in lines}


def offset(position: str) -> int:
    return int(position.rsplit(":", 1)[1])


def wait_for_ids(settings: Settings, expected: set[str]) -> list[dict[str, Any]]:
    topic = event_topic(settings, "network")
    return wait_for(
        settings,
        topic,
        lambda events: len(events) >= len(expected) and {e["id"] for e in events} >= expected,
    )


def test_kill_9_mid_file_loses_nothing_and_repeats_only_the_unacknowledged_tail(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = kafka_settings
    ensure_topics(settings, standard_topics(settings))
    lines = [flow(n) for n in range(40_000)]
    eve = tmp_path / "eve.json"
    eve.write_bytes(b"\n".join([*lines[:20_000], BAD, *lines[20_000:]]) + b"\n")
    bad_offset = sum(len(line) + 1 for line in lines[:20_000])
    position_file = settings.connector_dir("tail") / "position.json"
    args = ("--format", "suricata", "--source", f"file:{eve}", "--name", "tail")

    first = Connector(settings, tmp_path / "first.log", *args)
    while not position_file.exists():
        assert first.process.poll() is None, first.output()
        time.sleep(0.005)
    acknowledged = serde.loads(position_file.read_bytes())["offset"]
    first.kill()
    assert 0 < acknowledged < eve.stat().st_size, "the kill was meant to land mid-file"

    second = Connector(settings, tmp_path / "second.log", *args)
    try:
        wait_for_ids(settings, ids_of(lines, "tail"))
    finally:
        assert second.stop() == 0, second.output()

    events = read_all(settings, event_topic(settings, "network"))
    assert {e["id"] for e in events} == ids_of(lines, "tail")
    times = Counter(e["id"] for e in events)
    repeated = [e for e in events if times[e["id"]] > 1]
    assert all(offset(e["source"]["position"]) >= acknowledged for e in repeated)
    letters = read_all(settings, settings.topic("dlq"))
    assert {letter["position"] for letter in letters} == {f"{eve}:{bad_offset}"}
    assert letters[0]["reason"].startswith("malformed: ")
    assert letters[0]["raw"] == BAD.decode()
    assert letters[0]["format"] == "suricata"
    assert "\x1b" not in second.output()


def test_rotation_while_running_and_while_stopped_loses_nothing(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = kafka_settings
    ensure_topics(settings, standard_topics(settings))
    eve = tmp_path / "eve.json"
    lines = [flow(n) for n in range(200)]
    args = ("--format", "suricata", "--source", f"file:{eve}", "--name", "rotating")

    def append(path: Path, chunk: list[bytes]) -> None:
        with path.open("ab") as out:
            out.write(b"".join(line + b"\n" for line in chunk))

    append(eve, lines[:100])
    connector = Connector(settings, tmp_path / "running.log", *args)
    try:
        wait_for_ids(settings, ids_of(lines[:100], "rotating"))
        eve.rename(tmp_path / "eve.json.1")
        append(tmp_path / "eve.json.1", lines[100:120])  # the writer had not reopened yet
        append(eve, [*lines[120:140], BAD, *lines[140:150]])
        wait_for_ids(settings, ids_of(lines[:150], "rotating"))
    finally:
        assert connector.stop() == 0, connector.output()

    append(eve, lines[150:170])  # written while the connector is down, then rotated away
    eve.rename(tmp_path / "eve.json.2")
    append(eve, lines[170:200])
    restarted = Connector(settings, tmp_path / "restarted.log", *args)
    try:
        wait_for_ids(settings, ids_of(lines, "rotating"))
    finally:
        assert restarted.stop() == 0, restarted.output()

    events = read_all(settings, event_topic(settings, "network"))
    assert sorted(e["id"] for e in events) == sorted(ids_of(lines, "rotating"))
    letters = read_all(settings, settings.topic("dlq"))
    assert [letter["raw"] for letter in letters] == [BAD.decode()]
    assert letters[0]["position"] == f"{eve}:{sum(len(x) + 1 for x in lines[120:140])}"
