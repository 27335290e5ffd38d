"""Suricata EVE JSON alerts, one object per line."""

from __future__ import annotations

from datetime import UTC, datetime

from correlator import serde
from correlator.sim.facts import Fact, IdsAlert
from correlator.sim.writers import token


class SuricataWriter:
    format = "suricata"
    suffix = ".json"

    def header(self, start: datetime) -> bytes:
        return b""

    def record(self, fact: Fact, when: datetime) -> bytes:
        if not isinstance(fact, IdsAlert):
            raise TypeError(f"suricata writer: cannot write {type(fact).__name__}")
        stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
        record = {
            "timestamp": stamp,
            "flow_id": token(fact, size=6),
            "in_iface": "eth1",
            "event_type": "alert",
            "src_ip": fact.src_ip,
            "src_port": fact.src_port,
            "dest_ip": fact.dst_ip,
            "dest_port": fact.dst_port,
            "proto": "TCP",
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": fact.signature_id,
                "rev": 3,
                "signature": fact.signature,
                "category": fact.category,
                "severity": fact.severity,
            },
            "host": "ids-core",
        }
        return serde.dumps(record) + b"\n"
