"""The simulated organisation: sites, people, hosts, and the directory file that describes them.

Everything is drawn from one ``random.Random`` so a seed gives the same organisation. Ids and
addresses follow fixed patterns (site ``i`` owns ``10.i.0.0/16``, its VPN pool is
``10.(100+i).0.0/16``) so generated feeds and the directory agree without lookups.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

_SITES = [
    ("hq", "Headquarters", "FR", "Paris", 48.8566, 2.3522, "Europe/Paris"),
    ("lon", "London office", "GB", "London", 51.5072, -0.1276, "Europe/London"),
    ("lyon", "Lyon office", "FR", "Lyon", 45.764, 4.8357, "Europe/Paris"),
    ("ber", "Berlin office", "DE", "Berlin", 52.52, 13.405, "Europe/Berlin"),
    ("mad", "Madrid office", "ES", "Madrid", 40.4168, -3.7038, "Europe/Madrid"),
    ("mil", "Milan office", "IT", "Milan", 45.4642, 9.19, "Europe/Rome"),
]
MAX_SITES = len(_SITES)
DOMAIN = "CORP"
UPN_SUFFIX = "corp.example"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "Alice Bruno Chloe David Emma Farid Gabriel Hugo Ines Jules Karim Lea Louis Manon Nina "
    "Oscar Paul Quentin Rose Sami Tom Ugo Victor Wendy Yanis Zoe Anna Ben Clara Dan Eva "
    "Finn Greta Hans Ida Jan Lena Max Nora Otto Pia Rafael Sara Tim Lucia Marco Giulia "
    "Pablo"
)
_LAST = _words(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Smith Jones Taylor Brown "
    "Wilson Evans Muller Schmidt Schneider Fischer Weber Meyer Rossi Russo Ferrari Lopez "
    "Gonzalez Sanchez Perez Romano Costa Wagner Becker Hoffmann Walker Wright Green Hall"
)
_DEPARTMENTS = ("Finance", "Sales", "Engineering", "IT", "HR", "Legal", "Operations", "Support")

Shift = Literal["day", "night"]


@dataclass(frozen=True, slots=True)
class SimSite:
    id: str
    name: str
    country: str
    city: str
    latitude: float
    longitude: float
    tz: str
    index: int  # 1-based: the second octet of the site's addresses

    @property
    def office(self) -> str:
        return f"10.{self.index}.0.0/16"

    @property
    def vpn(self) -> str:
        return f"10.{100 + self.index}.0.0/16"

    @property
    def guest(self) -> str:
        return f"172.16.{self.index}.0/24"

    def door(self, name: str) -> str:
        return f"{self.id}-{name}"

    def reader(self, door: str, direction: str) -> str:
        return f"{self.id}-{door}-{direction}"

    def camera(self, name: str) -> str:
        return f"cam-{self.id}-{name}"

    def distance_km(self, other: SimSite) -> float:
        """Great-circle distance (haversine, mean Earth radius)."""
        lat1, lat2 = math.radians(self.latitude), math.radians(other.latitude)
        dlat, dlon = lat2 - lat1, math.radians(other.longitude - self.longitude)
        a = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        return 2 * 6371.0 * math.asin(math.sqrt(a))


@dataclass(frozen=True, slots=True)
class SimPerson:
    id: str
    name: str
    username: str
    badge: str
    site: SimSite
    department: str
    shift: Shift
    laptop: bool
    host: str  # asset id of the person's workstation or laptop
    ip: str | None  # static address of a desktop; laptops take DHCP leases
    mac: str
    home_ip: str  # the public address they connect from at home
    wfh_days: tuple[int, ...]  # weekdays (0 = Monday) worked from home
    forgetful: float  # chance of leaving without badging out
    status: Literal["active", "suspended", "terminated"] = "active"
    status_since: datetime | None = None

    @property
    def account(self) -> str:
        return f"{DOMAIN}\\{self.username}"

    @property
    def upn(self) -> str:
        return f"{self.username}@{UPN_SUFFIX}"

    @property
    def hostname(self) -> str:
        return f"{self.host}.{UPN_SUFFIX}"


@dataclass(frozen=True, slots=True)
class SimServer:
    id: str
    site: SimSite
    ip: str

    @property
    def hostname(self) -> str:
        return f"{self.id}.{UPN_SUFFIX}"


@dataclass(slots=True)
class Org:
    start: datetime
    sites: list[SimSite]
    people: list[SimPerson]
    servers: list[SimServer]
    _by_site: dict[str, list[SimPerson]] = field(default_factory=dict)

    def active(self) -> list[SimPerson]:
        return [p for p in self.people if p.status == "active"]

    def leavers(self) -> list[SimPerson]:
        return [p for p in self.people if p.status != "active"]

    def server(self, site: SimSite) -> SimServer:
        return next(s for s in self.servers if s.site == site)

    def directory(self) -> dict[str, Any]:
        """The directory file content (``correlator.identity`` format), as plain data."""
        from correlator.sim.directory import directory_data

        return directory_data(self)


def build_org(rng: random.Random, people: int, sites: int, start: datetime) -> Org:
    """A deterministic organisation of ``people`` people over ``sites`` sites."""
    chosen = [
        SimSite(sid, name, country, city, lat, lon, tz, index)
        for index, (sid, name, country, city, lat, lon, tz) in enumerate(_SITES[:sites], 1)
    ]
    usernames: set[str] = set()
    badges: set[str] = set()
    out: list[SimPerson] = []
    for number in range(1, people + 1):
        site = chosen[0] if rng.random() < 0.4 else rng.choice(chosen)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        out.append(_person(rng, number, site, first, last, usernames, badges, start))
    for index in range(len(out) - 1, len(out) - 3, -1):  # leavers for the credential rule
        if sum(p.status != "active" for p in out) < 2 and out[index].status == "active":
            since = start - timedelta(days=rng.randrange(3, 60))
            out[index] = replace(out[index], status="terminated", status_since=since)
    servers = [SimServer(f"fs-{site.id}", site, f"10.{site.index}.200.10") for site in chosen]
    return Org(start=start, sites=chosen, people=out, servers=servers)


def _person(
    rng: random.Random,
    number: int,
    site: SimSite,
    first: str,
    last: str,
    usernames: set[str],
    badges: set[str],
    start: datetime,
) -> SimPerson:
    base = (first[0] + last).lower()
    username, n = base, 1
    while username in usernames:
        n += 1
        username = f"{base}{n}"
    usernames.add(username)
    badge = f"{rng.randrange(10**6, 10**7):07d}"
    while badge in badges:
        badge = f"{rng.randrange(10**6, 10**7):07d}"
    badges.add(badge)
    laptop = rng.random() < 0.35
    roll = rng.random()
    status: Literal["active", "suspended", "terminated"] = (
        "terminated" if roll < 0.03 else "suspended" if roll < 0.04 else "active"
    )
    department = rng.choice(_DEPARTMENTS)
    return SimPerson(
        id=f"p-{number:04d}",
        name=f"{first} {last}",
        username=username,
        badge=badge,
        site=site,
        department=department,
        shift="night" if department in ("Operations", "IT") and rng.random() < 0.2 else "day",
        laptop=laptop,
        host=f"{'lt' if laptop else 'ws'}-{number:04d}",
        ip=None if laptop else f"10.{site.index}.{1 + number // 250}.{1 + number % 250}",
        mac=f"00:1b:21:{number >> 16 & 255:02x}:{number >> 8 & 255:02x}:{number & 255:02x}",
        home_ip=f"{rng.choice((81, 86, 90, 92, 109))}.{rng.randrange(1, 255)}."
        f"{rng.randrange(0, 255)}.{rng.randrange(1, 255)}",
        wfh_days=tuple(sorted(rng.sample(range(5), rng.choice((0, 0, 1, 2))))),
        forgetful=0.25 if rng.random() < 0.1 else 0.02,
        status=status,
        status_since=start - timedelta(days=rng.randrange(3, 60)) if status != "active" else None,
    )
