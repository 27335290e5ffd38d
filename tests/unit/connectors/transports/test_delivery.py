from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from correlator_connectors import formats
from correlator_connectors.transports.delivery import MAX_MESSAGE_BYTES, Intake, Record
from correlator_connectors.transports.runner import check
from correlator_connectors.transports.source import parse_source

from correlator import serde
from correlator.errors import ConfigError
from correlator.settings import Settings

NOW = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
SETTINGS = Settings(topic_prefix="p.", connector_max_record_bytes=4096)


def flow(n: int, host: str | None = "ids-1", **extra: object) -> bytes:
    record = {"timestamp": "2024-05-06T08:00:00Z", "flow_id": n, "event_type": "flow",
              "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "proto": "TCP", **extra}  # fmt: skip
    if host:
        record["host"] = host
    return serde.dumps(record)


def convert(*records: Record) -> list[tuple[str, bytes, dict[str, Any]]]:
    outcome = Intake(SETTINGS, "dmz", "suricata").convert(
        formats.get_parser("suricata"), records, NOW
    )
    return [(m.topic, m.key, serde.loads(m.value)) for m in outcome.messages]


def test_events_go_to_their_domain_topic_keyed_by_device_else_peer_else_connector() -> None:
    messages = convert(
        Record(flow(1), "eve.json:0"),
        Record(flow(2, host=None), "udp 10.9.9.9:514", host="10.9.9.9"),
        Record(flow(3, host=None), "eve.json:200"),
    )
    assert [(topic, key) for topic, key, _ in messages] == [
        ("p.events.network", b"ids-1"),
        ("p.events.network", b"10.9.9.9"),
        ("p.events.network", b"dmz"),
    ]
    assert [value["source"]["position"] for _, _, value in messages] == [
        "eve.json:0", "udp 10.9.9.9:514", "eve.json:200",
    ]  # fmt: skip


def test_a_reject_becomes_a_dead_letter_with_reason_format_and_position() -> None:
    raw = b"\xff\xfe not json \x1b[2J"
    ((topic, key, letter),) = convert(Record(raw, "tcp 10.0.0.7:40100@812", host="10.0.0.7"))
    assert (topic, key) == ("p.dlq", b"dmz")
    assert letter["position"] == "tcp 10.0.0.7:40100@812"
    assert letter["format"] == "suricata"
    assert letter["stage"] == "dmz"
    assert str(letter["reason"]).startswith("malformed: ")
    assert letter["raw_encoding"] == "base64"
    assert base64.b64decode(str(letter["raw"])) == raw


def test_unsupported_records_are_dead_letters_too_marked_as_such() -> None:
    stats = serde.dumps({"timestamp": "2024-05-06T08:00:00Z", "event_type": "stats"})
    ((topic, _, letter),) = convert(Record(stats, "eve.json:0"))
    assert topic == "p.dlq"
    assert str(letter["reason"]).startswith("unsupported: ")


def test_an_oversize_record_keeps_only_its_first_bytes_in_the_dead_letter() -> None:
    huge = flow(1, signature="x" * 10_000)
    ((topic, _, letter),) = convert(Record(huge, "eve.json:0"))
    assert topic == "p.dlq"
    assert str(letter["reason"]).startswith("oversize: ")
    assert letter["raw"] == huge[:4096].decode()
    assert str(letter["reason"]).endswith("(raw cut to its first 4096 bytes)")


def test_an_event_too_large_for_kafka_is_a_dead_letter_not_a_stuck_connector() -> None:
    settings = Settings(topic_prefix="p.", connector_max_record_bytes=1 << 20)
    quotes = flow(1, note='"' * 250_000)  # 500 kB of \" in the record, 1 MB in the event
    assert len(quotes) < settings.connector_max_record_bytes
    outcome = Intake(settings, "dmz", "suricata").convert(
        formats.get_parser("suricata"), [Record(quotes, "eve.json:0")], NOW
    )
    assert (outcome.events, outcome.rejects) == (0, 1)
    (message,) = outcome.messages
    assert message.topic == "p.dlq"
    assert len(message.value) < MAX_MESSAGE_BYTES
    assert str(serde.loads(message.value)["reason"]).startswith("oversize: ")


def test_configuration_is_checked_before_touching_kafka() -> None:
    with pytest.raises(ConfigError, match="CORRELATOR_CONNECTOR_HTTP_TOKEN"):
        check(Settings(), parse_source("http://127.0.0.1:8080/in"), "suricata")
    with pytest.raises(ConfigError, match="unknown format 'nope'"):
        check(Settings(), parse_source("file:x.log"), "nope")
