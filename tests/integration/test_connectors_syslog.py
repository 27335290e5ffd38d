"""Syslog over UDP and TCP (newline and octet-counting framing) against the real broker."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from correlator.runtime.topics import ensure_topics, event_topic, standard_topics
from correlator.settings import Settings
from tests.integration.connectors import BAD, Connector, flow, free_port, read_all, wait_for


def syslog(n: int) -> bytes:
    """EVE over syslog; the header names no host, so the peer address becomes the host."""
    return b"<134>May  6 08:00:01 suricata[42]: " + flow(n, host="")


def run_connector(
    settings: Settings,
    tmp_path: Path,
    source: str,
    send: list[bytes],
    deliver: Callable[[list[bytes]], None],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ensure_topics(settings, standard_topics(settings))
    connector = Connector(
        settings, tmp_path / "syslog.log", "--format", "suricata", "--source", source
    )
    try:
        connector.wait_ready()
        deliver(send)
        events = wait_for(settings, event_topic(settings, "network"), lambda v: len(v) >= 4)
        letters = wait_for(settings, settings.topic("dlq"), lambda v: len(v) >= 1)
    finally:
        assert connector.stop() == 0, connector.output()
    assert "\x1b" not in connector.output()
    assert read_all(settings, event_topic(settings, "network")) == events
    return events, letters


def test_udp_datagrams(kafka_settings: Settings, tmp_path: Path) -> None:
    port = free_port(socket.SOCK_DGRAM)
    records = [syslog(1), syslog(2), BAD, syslog(3), syslog(4)]

    def send(datagrams: list[bytes]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for datagram in datagrams:
                sender.sendto(datagram + b"\n", ("127.0.0.1", port))

    events, letters = run_connector(
        kafka_settings, tmp_path, f"syslog+udp://127.0.0.1:{port}", records, send
    )
    assert sorted(e["attrs"]["flow_id"] for e in events) == [1, 2, 3, 4]
    assert {e["source"]["host"] for e in events} == {"127.0.0.1"}
    (letter,) = letters
    assert letter["raw"] == BAD.decode()
    assert letter["reason"].startswith("malformed: ")
    assert re.fullmatch(r"udp 127\.0\.0\.1:\d+", letter["position"])


@pytest.mark.parametrize("framing", ["newline", "octet-counting"])
def test_tcp_stream(kafka_settings: Settings, tmp_path: Path, framing: str) -> None:
    port = free_port()
    records = [syslog(1), syslog(2), BAD, syslog(3), syslog(4)]
    if framing == "newline":
        stream = b"".join(r + b"\n" for r in records)
    else:  # the malformed record carries a newline: only octet counting keeps it whole
        records[2] = BAD + b"\nstill the same record"
        stream = b"".join(b"%d %s" % (len(r), r) for r in records)

    def send(_: list[bytes]) -> None:
        with socket.create_connection(("127.0.0.1", port)) as sender:
            for start in range(0, len(stream), 97):  # records split across TCP segments
                sender.sendall(stream[start : start + 97])

    events, letters = run_connector(
        kafka_settings, tmp_path, f"syslog+tcp://127.0.0.1:{port}", records, send
    )
    assert sorted(e["attrs"]["flow_id"] for e in events) == [1, 2, 3, 4]
    (letter,) = letters
    assert letter["raw"] == records[2].decode()
    offset = stream.index(records[2])
    assert re.fullmatch(rf"tcp 127\.0\.0\.1:\d+@{offset}", letter["position"])


def test_a_port_in_use_is_a_clear_error(kafka_settings: Settings, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        source = f"syslog+tcp://127.0.0.1:{port}"
        connector = Connector(kafka_settings, tmp_path / "busy.log", "-f", "suricata", "-s", source)
        assert connector.wait() == 1
    assert f"{source}: cannot listen" in connector.output()
    assert "Traceback" not in connector.output()
