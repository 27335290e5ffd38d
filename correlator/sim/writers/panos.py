"""PAN-OS syslog CSV: ``TRAFFIC`` session ends and ``GLOBALPROTECT`` gateway events.

The firewall's clock is UTC; each record also carries the PAN-OS 9+ high-resolution
timestamp with its offset as its last field, which the parser prefers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from correlator.sim.facts import Fact, Traffic, Vpn
from correlator.sim.writers import token

SERIAL = "013201001234"


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S")


def _hires(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def _syslog(when: datetime, fields: list[str]) -> bytes:
    header = when.astimezone(UTC).strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)
    return f"<14>{header} fw-edge {','.join(fields)}\n".encode()


class PanosWriter:
    format = "panos"
    suffix = ".log"

    def header(self, start: datetime) -> bytes:
        return b""

    def record(self, fact: Fact, when: datetime) -> bytes:
        if isinstance(fact, Traffic):
            return _syslog(when, _traffic(fact, when))
        if isinstance(fact, Vpn):
            return _syslog(when, _globalprotect(fact, when))
        raise TypeError(f"panos writer: cannot write {type(fact).__name__}")


def _traffic(fact: Traffic, when: datetime) -> list[str]:
    session = token(fact, size=3)
    sport = 49152 + token(fact, "port", size=2) % 16000
    packets_sent = max(1, fact.bytes_sent // 1200)
    packets_received = max(1, fact.bytes_received // 1200)
    user = f"corp\\{fact.user}" if fact.user else ""
    started = _stamp(when.replace(microsecond=0) - timedelta(seconds=fact.elapsed))
    return [
        "1",
        _stamp(when),
        SERIAL,
        "TRAFFIC",
        "end",
        "2561",
        _stamp(when),
        fact.src_ip,
        fact.dst_ip,
        "198.51.100.10",
        fact.dst_ip,
        "allow-outbound",
        user,
        "",
        fact.app,
        "vsys1",
        "trust",
        "untrust",
        "ethernet1/2",
        "ethernet1/1",
        "log-all",
        _stamp(when),
        str(session),
        "1",
        str(sport),
        str(fact.dst_port),
        str(sport),
        str(fact.dst_port),
        "0x400053",
        "tcp",
        "allow",
        str(fact.bytes_sent + fact.bytes_received),
        str(fact.bytes_sent),
        str(fact.bytes_received),
        str(packets_sent + packets_received),
        started,
        str(fact.elapsed),
        "computer-and-internet-info",
        "0",
        str(token(fact, "seq", size=4)),
        "0x8000000000000000",
        "10.0.0.0-10.255.255.255",
        "United States",
        "0",
        str(packets_sent),
        str(packets_received),
        "tcp-fin",
        _hires(when),
    ]


def _globalprotect(fact: Vpn, when: datetime) -> list[str]:
    stage = {"gateway-connected": "tunnel", "gateway-logout": "logout"}.get(fact.event, "login")
    return [
        "1",
        _stamp(when),
        SERIAL,
        "GLOBALPROTECT",
        "0",
        "2817",
        _stamp(when),
        "",
        fact.event,
        stage,
        "LDAP",
        "IPSec",
        fact.user,
        "",
        fact.machine,
        fact.public_ip,
        "0.0.0.0",
        fact.private_ip or "0.0.0.0",
        "0.0.0.0",
        f"{token(fact.machine, size=6):012x}",
        f"SN{token(fact.machine, size=4):010d}",
        "6.1.3",
        "Windows",
        "Microsoft Windows 11 Enterprise",
        "1",
        "",
        "" if fact.success else "Authentication failed: Invalid username or password",
        "",
        "success" if fact.success else "failure",
        "",
        "0",
        "",
        "0",
        "gp-portal",
        str(token(fact, size=4)),
        "0x8000000000000000",
        _hires(when),
    ]
