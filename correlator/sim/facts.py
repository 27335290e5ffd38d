"""What happened, before any device wrote it down: one small record per observable fact.

Behaviour and incidents produce facts; writers turn each fact into a line (or document) of
the format its device speaks. Times are true UTC event times: clock skew and upload delays
are applied when the feeds are written (:mod:`correlator.sim.feeds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class Badge:
    """A credential presented at a reader: granted or denied."""

    time: datetime
    site: str
    door: str
    reader: str
    badge: str
    holder: str | None
    granted: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DoorAlarm:
    time: datetime
    site: str
    door: str
    state: Literal["DoorForcedOpen", "DoorOpenTooLong"]


@dataclass(frozen=True, slots=True)
class Video:
    """An analytics event of a camera: a people count, motion, tamper or signal loss."""

    time: datetime
    site: str
    camera: str
    kind: Literal["count", "motion", "tamper", "signal_loss"]
    count: int = 0


@dataclass(frozen=True, slots=True)
class Lease:
    """A DHCP exchange that ended with an ACK."""

    time: datetime
    mac: str
    ip: str
    hostname: str | None
    server: str
    lease_seconds: int = 86400


@dataclass(frozen=True, slots=True)
class Logon:
    """A Windows Security 4624 (success), 4625 (failure) or 4634 (logoff)."""

    time: datetime
    computer: str
    user: str
    domain: str
    event_id: Literal[4624, 4625, 4634]
    logon_type: int
    src_ip: str | None
    logon_id: str


@dataclass(frozen=True, slots=True)
class Vpn:
    """A GlobalProtect gateway event: connect, logout, or a failed authentication."""

    time: datetime
    user: str
    event: Literal["gateway-connected", "gateway-logout", "gateway-auth"]
    success: bool
    private_ip: str | None
    public_ip: str
    machine: str


@dataclass(frozen=True, slots=True)
class Traffic:
    """A firewall session end record."""

    time: datetime
    src_ip: str
    dst_ip: str
    dst_port: int
    user: str | None
    app: str
    bytes_sent: int
    bytes_received: int
    elapsed: int


@dataclass(frozen=True, slots=True)
class IdsAlert:
    time: datetime
    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    signature: str
    signature_id: int
    severity: int  # Suricata: 1 high, 2 medium, 3 low
    category: str


Fact = Badge | DoorAlarm | Video | Lease | Logon | Vpn | Traffic | IdsAlert
