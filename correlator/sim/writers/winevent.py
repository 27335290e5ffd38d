"""Windows Security 4624 / 4625 / 4634 as winlogbeat ships them (JSON lines)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from correlator import serde
from correlator.sim.facts import Fact, Logon
from correlator.sim.writers import iso, token


class WinEventWriter:
    format = "winevent"
    suffix = ".jsonl"

    def header(self, start: datetime) -> bytes:
        return b""

    def record(self, fact: Fact, when: datetime) -> bytes:
        if not isinstance(fact, Logon):
            raise TypeError(f"winevent writer: cannot write {type(fact).__name__}")
        data: dict[str, Any] = {
            "TargetUserName": fact.user,
            "TargetDomainName": fact.domain,
            "TargetLogonId": fact.logon_id,
            "LogonType": str(fact.logon_type),
        }
        if fact.event_id != 4634:
            data.update(
                LogonProcessName="User32" if fact.logon_type in (2, 10) else "NtLmSsp",
                AuthenticationPackageName="Negotiate",
                WorkstationName=fact.computer.split(".", 1)[0].upper(),
                IpAddress=fact.src_ip or "-",
                IpPort="0" if fact.src_ip is None else str(49152 + token(fact, size=2) % 16000),
            )
        if fact.event_id == 4625:
            data.update(Status="0xc000006d", SubStatus="0xc000006a", FailureReason="%%2313")
        record = {
            "@timestamp": iso(when),
            "event": {
                "code": str(fact.event_id),
                "provider": "Microsoft-Windows-Security-Auditing",
            },
            "host": {"name": fact.computer},
            "winlog": {
                "channel": "Security",
                "event_id": fact.event_id,
                "computer_name": fact.computer,
                "record_id": token(fact, size=4),
                "event_data": data,
            },
        }
        return serde.dumps(record) + b"\n"
