"""Bad input against the real broker: the corpus of :mod:`tests.badinput` interleaved with
valid records, through ``correlator connect`` (file, syslog TCP and UDP, raw Kafka topic)
and, as raw bytes, on the worker's ``events.*`` topics.

Every bad record ends in ``dlq`` with its reason and position, every valid one comes out as
it would alone, the processes stay up, and no control character reaches their logs.
"""

from __future__ import annotations

import base64
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from correlator import serde
from correlator.model.event import Actor, Event, Place, Source
from correlator.runtime.topics import TopicSpec, ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from tests.badinput import Case, bad_cases, fresh, preamble, valid
from tests.integration.connectors import Connector, free_port, read_all, wait_for
from tests.integration.kafka import WorkerProcess, produce
from tests.integration.workers import (
    ROOT,
    heartbeat,
    prepare,
    replay_ids,
    send_events,
    wait_alerts,
    wait_consumed,
)

CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters other than tab and newline: none may appear in a process's log."""


def letter_raw(letter: dict[str, Any]) -> bytes:
    if letter["raw_encoding"] == "base64":
        return base64.b64decode(letter["raw"])
    return str(letter["raw"]).encode()


def expected_ids(fmt: str, records: list[bytes], name: str, host: str | None = None) -> set[str]:
    """Event ids of the valid records parsed alone, as connector ``name`` names them."""
    from correlator_connectors.parsers.base import ParseContext

    ctx = ParseContext(connector=name, ingest_time=datetime.now(UTC), host=host)
    ids: set[str] = set()
    for record in records:
        result = fresh(fmt).parse(record, ctx)
        assert isinstance(result, list), result
        ids.update(event.id for event in result)
    return ids


def interleave(fmt: str, cases: list[Case]) -> tuple[list[bytes], list[bytes]]:
    """Valid records with a bad one after each: (the valid ones, the whole sequence)."""
    good = [valid(fmt, n) for n in range(len(cases) + 1)]
    sequence = [*preamble(fmt), good[0]]
    for case, after in zip(cases, good[1:], strict=True):
        sequence += [case.data, after]
    return good, sequence


def check_outcome(
    settings: Settings,
    fmt: str,
    cases: list[Case],
    want: set[str],
    position: str,
) -> list[dict[str, Any]]:
    """Wait for every valid event and one letter per bad record; check both; the letters."""
    domain = Event.model_validate(serde.loads(_sample_event(fmt))).domain
    events = wait_for(
        settings, event_topic(settings, domain), lambda v: len(v) >= len(want), timeout=90
    )
    letters = wait_for(settings, settings.topic("dlq"), lambda v: len(v) >= len(cases), timeout=90)
    assert {e["id"] for e in events} == want
    assert len(events) == len(want)
    for case in cases:
        found = [x for x in letters if case.data.strip()[:4096].startswith(letter_raw(x)[:4096])]
        assert found, f"{case.id} is not in the dead-letter topic"
    for letter in letters:
        assert re.fullmatch(position, letter["position"]), letter["position"]
        assert letter["reason"]
        assert letter["format"] == fmt
    return letters


def _sample_event(fmt: str) -> bytes:
    (event,) = fresh(fmt).parse(  # type: ignore[misc]  # a good record is a list of one
        valid(fmt, 0), _ctx()
    )
    return event.model_dump_json().encode()


def _ctx() -> Any:
    from correlator_connectors.parsers.base import ParseContext

    return ParseContext(connector="x", ingest_time=datetime.now(UTC))


def assert_clean_log(output: str) -> None:
    assert not CONTROLS.search(output), "a control character reached the log"


@pytest.mark.parametrize("fmt", ["suricata", "cef", "onvif", "csv-doors"])
def test_file_transport_dead_letters_every_bad_record(
    kafka_settings: Settings, tmp_path: Path, fmt: str
) -> None:
    settings = kafka_settings
    ensure_topics(settings, standard_topics(settings))
    cases = bad_cases(fmt)
    good, sequence = interleave(fmt, cases)
    feed = tmp_path / f"feed.{fmt}"
    feed.write_bytes(b"\n".join(sequence) + b"\n")
    name = f"bad-{fmt}"
    args = ("--format", fmt, "--source", f"file:{feed}", "--name", name, "--once")
    connector = Connector(settings, tmp_path / "connector.log", *args)
    assert connector.wait(120) == 0, connector.output()
    letters = check_outcome(
        settings, fmt, cases, expected_ids(fmt, good, name), rf"{re.escape(str(feed))}:\d+"
    )
    if fmt != "onvif":  # one letter per bad line, at the line's offset
        starts, offset = [], 0
        for record in sequence:
            starts.append(offset)
            offset += len(record) + 1
        bad_at = {starts[sequence.index(case.data)] for case in cases}
        assert {int(x["position"].rsplit(":", 1)[1]) for x in letters} == bad_at
    assert_clean_log(connector.output())


def test_syslog_tcp_dead_letters_every_bad_record(kafka_settings: Settings, tmp_path: Path) -> None:
    settings = kafka_settings
    ensure_topics(settings, standard_topics(settings))
    cases = bad_cases("cef")
    good, sequence = interleave("cef", cases)
    port = free_port()
    args = ("--format", "cef", "--source", f"syslog+tcp://127.0.0.1:{port}", "--name", "tcp")
    connector = Connector(settings, tmp_path / "connector.log", *args)
    try:
        connector.wait_ready()
        stream = b"".join(record + b"\n" for record in sequence)
        with socket.create_connection(("127.0.0.1", port)) as sender:
            sender.sendall(stream)
        check_outcome(
            settings, "cef", cases, expected_ids("cef", good, "tcp", "127.0.0.1"),
            r"tcp 127\.0\.0\.1:\d+@\d+",
        )  # fmt: skip
        assert connector.process.poll() is None, "the connector must stay up"
    finally:
        assert connector.stop() == 0, connector.output()
    assert_clean_log(connector.output())


def test_syslog_udp_dead_letters_every_bad_datagram(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    """Datagrams carry at most 64 kB: the oversize and 100 000-deep records cannot be sent."""
    settings = kafka_settings
    ensure_topics(settings, standard_topics(settings))
    cases = [c for c in bad_cases("fortigate") if len(c.data) < 60_000]
    good, sequence = interleave("fortigate", cases)
    port = free_port(socket.SOCK_DGRAM)
    args = ("--format", "fortigate", "--source", f"syslog+udp://127.0.0.1:{port}", "--name", "udp")
    connector = Connector(settings, tmp_path / "connector.log", *args)
    try:
        connector.wait_ready()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for datagram in sequence:
                sender.sendto(datagram, ("127.0.0.1", port))
        want = expected_ids("fortigate", good, "udp", "127.0.0.1")
        check_outcome(settings, "fortigate", cases, want, r"udp 127\.0\.0\.1:\d+")
        assert connector.process.poll() is None, "the connector must stay up"
    finally:
        assert connector.stop() == 0, connector.output()
    assert_clean_log(connector.output())


def test_kafka_transport_dead_letters_every_bad_record(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    """A broker message holds at most 1 MiB by default: the 10 MB record cannot be sent."""
    settings = kafka_settings
    raw_topic = settings.topic("raw.doors")
    ensure_topics(settings, [*standard_topics(settings), TopicSpec(raw_topic, 1)])
    cases = [c for c in bad_cases("json-doors") if c.kind != "oversize"]
    good, sequence = interleave("json-doors", cases)
    produce(settings, raw_topic, [(b"doors", record) for record in sequence])
    args = ("--format", "json-doors", "--source", f"kafka:{raw_topic}", "--name", "kraw", "--once")
    connector = Connector(settings, tmp_path / "connector.log", *args)
    assert connector.wait(120) == 0, connector.output()
    want = expected_ids("json-doors", good, "kraw")
    check_outcome(settings, "json-doors", cases, want, rf"{re.escape(raw_topic)}\[\d+\]@\d+")
    assert_clean_log(connector.output())


# -- the worker: raw bad bytes on its input topics ------------------------------------------

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def denials() -> list[Event]:
    """Five refused reads for each of four credentials: four badge-denied-burst alerts."""
    source = Source(connector="gen", format="test")
    out = []
    for n in range(5):
        for c in range(4):
            at = T0 + timedelta(seconds=c * 5 + n * 20)
            out.append(Event(
                id=f"deny-{c}-{n}", time=at, ingest_time=at, source=source, domain="access",
                activity="access_denied", outcome="failure", actor=Actor(credential=f"c{c}"),
                location=Place(site="hq", door="door-1"),
            ))  # fmt: skip
    return out


def worker_bad_records() -> list[bytes]:
    """Hostile values for an events topic: what a broken or foreign producer could write."""
    good = denials()[0]
    data = good.model_dump(mode="json")
    big = b"\x1b" + b"x" * 900_000  # under the broker's 1 MiB message limit
    return [
        b"\xff\xfe" + good.model_dump_json().encode(),  # invalid UTF-8
        big,  # big and not JSON: its letter must still fit one message
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,  # 100 000 levels deep
        serde.dumps({**data, "time": 12345, "id": "wrong-time-type"}),
        serde.dumps({**data, "domain": ["access"], "id": "wrong-domain-type"}),
        serde.dumps({**data, "id": "extra-field", "surprise": 1}),
        good.model_dump_json().encode().replace(b",", b",\r\n\x1b[2J", 1),  # raw controls
        serde.dumps({**data, "id": "future", "time": "2099-01-01T00:00:00Z"}),
        serde.dumps({**data, "id": "past", "time": "1970-01-01T00:00:01Z"}),
        valid("cef", 1),  # another format
        valid("suricata", 1),  # JSON, but not an event
        b"",
    ]


def test_worker_dead_letters_raw_bad_bytes_and_keeps_correlating(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    settings = kafka_settings.model_copy(update={"lateness": "1h"})
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "badge-denied-burst.yaml").write_bytes(
        (ROOT / "rules" / "badge-denied-burst.yaml").read_bytes()
    )
    prepare(settings, [folder], None)
    events = denials()
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(serde.encode_model(e) for e in events))
    want = replay_ids(tmp_path, folder, None, str(path))
    assert len(want) == 4
    bad = worker_bad_records()
    topic = event_topic(settings, "access")
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    try:
        half = len(events) // 2
        send_events(settings, events[:half])
        produce(settings, topic, [(b"hq", record) for record in bad])
        send_events(settings, events[half:])
        wait_consumed(settings)
        letters = wait_for(settings, settings.topic("dlq"), lambda v: len(v) >= len(bad))
        send_events(settings, [heartbeat(T0 + timedelta(days=1))])
        got = wait_alerts(settings, want)
        assert worker.process.poll() is None, "the worker must stay up"
    finally:
        worker.stop()
    assert set(got) == want, worker.output()
    assert len(letters) == len(bad)
    for letter in letters:
        assert re.fullmatch(rf"{re.escape(topic)}\[\d\]@\d+", letter["position"])
        assert letter["stage"] == "resolve"
        assert letter["reason"]
        raw = letter_raw(letter)
        cut = "raw cut to its first" in letter["reason"]
        assert raw in bad or (cut and any(record.startswith(raw) for record in bad))
    reasons = " ".join(letter["reason"] for letter in letters)
    assert "EventTimeError: event time 2099-01-01" in reasons
    assert "EventTimeError: event time 1970-01-01" in reasons
    assert_clean_log(worker.output())
    assert read_all(settings, settings.topic("late")) == []
