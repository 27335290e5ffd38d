"""The directory: what the customer knows about people, assets and places.

A customer exports it from HR/IAM (people, accounts), the badge system (credentials), the
CMDB (assets) and the physical access system (sites, zones, doors, cameras) into one YAML or
JSON file. The models only check the shape of each entry; cross-entry rules (unique ids,
references that must exist) live in :mod:`correlator.identity.checks`, so that a loader can
report every problem with its location at once.

Dates may be given as ``2024-05-01`` (midnight UTC) or as full timestamps; a timestamp
without a zone is taken as UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Status = Literal["active", "suspended", "terminated"]
Direction = Literal["in", "out", "both"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
NetworkKind = Literal["office", "vpn", "server", "guest", "ot", "other"]

Instant = datetime | date
"""A date (midnight UTC) or a timestamp (UTC when it carries no zone)."""

Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
"""An entry id: non-empty, no leading or trailing blanks."""


MacAddress = Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{2}([:.-]?[0-9A-Fa-f]{2}){5}$")]


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name: Europe/Paris)") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WorkingHours(_Entry):
    """When someone is expected at work, in local time of the site (or person) time zone."""

    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time = time(8, 0)
    end: time = Field(default=time(18, 0), description="May be before start: a night shift.")


class Credential(_Entry):
    """A physical credential: badge or card number, as the access control system reports it."""

    badge: Annotated[str, Field(min_length=1)]
    valid_from: Instant | None = None
    valid_until: Instant | None = Field(default=None, description="Exclusive end of validity.")
    kind: str = Field(default="badge", description="badge, card, fob, mobile, pin, ...")


class Account(_Entry):
    """A logon account. ``alice``, ``CORP\\alice``, ``alice@CORP`` and the UPN all name it."""

    username: Annotated[str, Field(min_length=1)]
    domain: str | None = Field(default=None, description="NetBIOS or realm name, e.g. CORP.")
    upn: str | None = Field(default=None, description="E-mail or UPN, e.g. alice@corp.example.")
    aliases: tuple[str, ...] = Field(
        default=(), description="Other names of the same account: other domains, old names."
    )


class Person(_Entry):
    """A person: employee, contractor, visitor."""

    id: Id
    name: str
    status: Status = "active"
    status_since: Instant | None = Field(
        default=None, description="When the status took effect (e.g. the termination date)."
    )
    kind: str = Field(default="employee", description="employee, contractor, visitor, ...")
    department: str | None = None
    title: str | None = None
    manager: str | None = Field(default=None, description="Person id of the manager.")
    home_site: str | None = Field(default=None, description="Site id where they normally work.")
    timezone: TimeZoneName | None = Field(
        default=None, description="Overrides the home site time zone for working hours."
    )
    working_hours: WorkingHours | None = Field(
        default=None, description="Default: the home site's working hours."
    )
    credentials: tuple[Credential, ...] = ()
    accounts: tuple[Account, ...] = ()
    tags: tuple[str, ...] = ()


class Asset(_Entry):
    """A host or device on the network."""

    id: Id
    kind: str = Field(default="workstation", description="workstation, laptop, server, ...")
    hostnames: tuple[str, ...] = Field(default=(), description="FQDNs or short names.")
    ips: tuple[IPv4Address | IPv6Address, ...] = Field(default=(), description="Static IPs.")
    macs: tuple[MacAddress, ...] = ()
    owner: str | None = Field(default=None, description="Person id of the owner / main user.")
    site: str | None = None
    zone: str | None = None
    criticality: Literal["low", "medium", "high", "critical"] | None = None
    tags: tuple[str, ...] = ()


class Network(_Entry):
    """An address range of a site. VPN pools are networks of kind ``vpn``."""

    cidr: IPv4Network | IPv6Network
    kind: NetworkKind = "office"
    name: str | None = None


class Site(_Entry):
    """A building or campus."""

    id: Id
    name: str | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")]
    city: str | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    timezone: TimeZoneName
    networks: tuple[Network, ...] = ()
    working_hours: WorkingHours = WorkingHours()


class Zone(_Entry):
    """An area inside a site; ``parent`` nests zones (server room inside the office floor)."""

    id: Id
    site: str
    name: str | None = None
    parent: str | None = Field(default=None, description="Zone id this zone lies within.")
    restricted: bool = False


class Reader(_Entry):
    """A badge reader with its own direction (a door with an entry and an exit reader)."""

    id: Annotated[str, Field(min_length=1)]
    direction: Literal["in", "out"]


class Door(_Entry):
    """A controlled opening. Passing it ``in`` puts a person into ``zone`` (or onto the site)."""

    id: Id
    site: str
    zone: str | None = Field(default=None, description="The zone behind the door (inside).")
    name: str | None = None
    direction: Direction = "both"
    perimeter: bool | None = Field(
        default=None,
        description="Leaving through it leaves the site. Default: true when there is no zone.",
    )
    readers: tuple[str | Reader, ...] = Field(
        default=(), description="Reader ids; a Reader entry overrides the door direction."
    )


class Camera(_Entry):
    """A camera and what it watches."""

    id: Id
    site: str
    zone: str | None = None
    name: str | None = None
    doors: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()


class Directory(_Entry):
    """People, assets and places of one organisation."""

    version: Literal[1] = 1
    people: tuple[Person, ...] = ()
    assets: tuple[Asset, ...] = ()
    sites: tuple[Site, ...] = ()
    zones: tuple[Zone, ...] = ()
    doors: tuple[Door, ...] = ()
    cameras: tuple[Camera, ...] = ()
