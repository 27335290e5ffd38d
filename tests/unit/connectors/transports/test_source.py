from __future__ import annotations

from pathlib import Path

import pytest
from correlator_connectors.transports.source import (
    FileSource,
    HttpSource,
    KafkaSource,
    SourceError,
    SyslogSource,
    describe,
    parse_source,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("file:/var/log/eve.json", FileSource(Path("/var/log/eve.json")), id="file"),
        pytest.param("file:eve.json", FileSource(Path("eve.json")), id="relative-file"),
        pytest.param("syslog+udp://0.0.0.0:514", SyslogSource("udp", "0.0.0.0", 514), id="udp-any"),
        pytest.param(
            "syslog+tcp://127.0.0.1:6514", SyslogSource("tcp", "127.0.0.1", 6514), id="tcp"
        ),
        pytest.param(
            "syslog+udp://:5514", SyslogSource("udp", "127.0.0.1", 5514), id="loopback-default"
        ),
        pytest.param("syslog+tcp://[::1]:514", SyslogSource("tcp", "::1", 514), id="ipv6"),
        pytest.param(
            "http://127.0.0.1:8080/ingest", HttpSource("127.0.0.1", 8080, "/ingest"), id="http"
        ),
        pytest.param("http://:8080", HttpSource("127.0.0.1", 8080, "/"), id="http-root"),
        pytest.param("kafka:raw.suricata", KafkaSource("raw.suricata"), id="kafka"),
    ],
)
def test_valid_sources(text: str, expected: object) -> None:
    assert parse_source(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        pytest.param("file:", "file path is empty", id="empty-path"),
        pytest.param("kafka:", "topic name is empty", id="empty-topic"),
        pytest.param("syslog+udp://127.0.0.1", "port is missing", id="no-port"),
        pytest.param("syslog+tcp://127.0.0.1:99999", "port is not a number", id="bad-port"),
        pytest.param("syslog+tcp://127.0.0.1:514/x", "no path", id="syslog-path"),
        pytest.param("syslog://127.0.0.1:514", "unknown source kind", id="no-protocol"),
        pytest.param("https://127.0.0.1:443/x", "unknown source kind", id="https"),
        pytest.param("/var/log/eve.json", "unknown source kind", id="bare-path"),
    ],
)
def test_invalid_sources_say_why_and_list_the_forms(text: str, why: str) -> None:
    with pytest.raises(SourceError, match=why) as caught:
        parse_source(text)
    assert "kafka:TOPIC" in str(caught.value)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["file:/var/log/x.log", "syslog+udp://127.0.0.1:514", "syslog+tcp://[::1]:514",
     "http://10.0.0.1:80/in", "kafka:raw"],
)  # fmt: skip
def test_describe_round_trips(text: str) -> None:
    assert describe(parse_source(text)) == text
    assert parse_source(describe(parse_source(text))) == parse_source(text)
