"""The normalized event: one envelope for every feed, physical and cyber.

Names follow OCSF where OCSF has a class (Authentication 3002, Network Activity 4001,
Detection Finding 2004, DHCP Activity 4004); physical access and video use the vocabulary of
the OCSF physical-security proposal (access granted/denied, door forced/held, tamper, people
count, line crossing). What a feed *says* (a badge number, an IP, a door id) is kept as seen;
what the resolver *concludes* (which person, host and place that is) goes into ``resolved``.

Every model is frozen and forbids unknown fields: input that is ours must be exact.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

Domain = Literal["access", "video", "ids", "firewall", "vpn", "auth", "network", "dhcp"]
"""Where an event comes from. ``network`` is flow/DNS/HTTP/TLS metadata (Zeek, Suricata)."""

Outcome = Literal["success", "failure", "unknown"]
Severity = Literal["informational", "low", "medium", "high", "critical"]

#: OCSF class uid per domain, for consumers that speak OCSF.
OCSF_CLASS: dict[str, int] = {
    "auth": 3002,  # Authentication
    "vpn": 3002,  # a VPN login is an Authentication too
    "firewall": 4001,  # Network Activity
    "network": 4001,
    "dhcp": 4004,  # DHCP Activity
    "ids": 2004,  # Detection Finding
}

AttrValue = str | int | float | bool | None


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, normalized to UTC. Naive timestamps are rejected."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """Who delivered the record: the connector, the format it was parsed as, and the device."""

    connector: str = Field(description="Connector instance name, e.g. 'hq-doors'.")
    format: str = Field(description="Parser format name, e.g. 'onvif', 'suricata'.")
    host: str | None = Field(default=None, description="Device or sensor that emitted it.")
    position: str | None = Field(
        default=None,
        description="Where the raw record was read: file:offset, peer, topic/partition/offset.",
    )


class Actor(_Frozen):
    """The subject as the feed names it (unresolved)."""

    person: str | None = Field(default=None, description="Person id or name, if given.")
    account: str | None = Field(default=None, description="User name as seen: CORP\\alice, a@x.")
    credential: str | None = Field(default=None, description="Badge / card number as seen.")


class Endpoint(_Frozen):
    """A network endpoint as the feed names it."""

    ip: str | None = None
    port: int | None = Field(default=None, ge=0, le=65535)
    host: str | None = Field(default=None, description="Host name as seen.")
    mac: str | None = None


class Place(_Frozen):
    """A physical location as the feed names it: site → zone → door / reader / camera."""

    site: str | None = None
    zone: str | None = None
    door: str | None = None
    reader: str | None = None
    camera: str | None = None


class Observable(_Frozen):
    """An indicator worth pivoting on (OCSF observables): a hash, a domain, a URL, a user."""

    name: str = Field(description="Dotted path of the field it came from, e.g. 'dns.query'.")
    type: str = Field(description="Observable type: ip, domain, url, hash, user, mac, ...")
    value: str


class Resolution(_Frozen):
    """One resolved entity and how we know it (provenance)."""

    id: str = Field(description="Canonical entity id from the directory.")
    via: str = Field(description="Identifier kind that resolved it: credential, account, ip, ...")
    value: str = Field(description="The identifier value as seen in the event.")
    source: str = Field(description="What resolved it: directory, dhcp, vpn, logon, presence.")


class Resolved(_Frozen):
    """Entities the resolver attached to the event. Empty until resolution runs."""

    person: Resolution | None = None
    host: Resolution | None = None
    location: Resolution | None = Field(default=None, description="Door, camera or zone id.")
    site: Resolution | None = None
    unresolved: tuple[str, ...] = Field(
        default=(), description="Identifiers seen but not resolved, as 'kind:value'."
    )


class Event(_Frozen):
    """A normalized security event. Connectors emit these; the core consumes them."""

    id: str = Field(description="Deterministic: hash of source and raw record (see event_id).")
    time: UtcDatetime = Field(description="Event time: when it happened, per the device.")
    ingest_time: UtcDatetime = Field(description="When the connector read the record.")
    source: Source
    domain: Domain
    activity: str = Field(
        description="What happened, snake_case: access_granted, logon, alert, lease, ..."
    )
    outcome: Outcome | None = None
    severity: Severity | None = None
    ocsf_class_uid: int | None = Field(default=None, description="OCSF class, where one exists.")
    message: str | None = Field(default=None, description="One human line from the device.")
    actor: Actor | None = None
    src: Endpoint | None = None
    dst: Endpoint | None = None
    location: Place | None = None
    resolved: Resolved | None = None
    observables: tuple[Observable, ...] = ()
    attrs: dict[str, AttrValue] = Field(
        default_factory=dict,
        description="Format-specific fields rules may use: signature, count, direction, ...",
    )
    raw: str | None = Field(default=None, description="The raw record (base64 if not UTF-8).")


def event_id(source: Source, raw: bytes | str) -> str:
    """Deterministic event id: the same record from the same source always gets the same id.

    Only connector, format and device host take part (not the read position), so a record
    read again after a restart is recognisable as the same record.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in (source.connector, source.format, source.host or ""):
        digest.update(part.encode())
        digest.update(b"\x1f")
    digest.update(raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw)
    return digest.hexdigest()
