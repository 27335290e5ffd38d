"""Lookup tables built once per directory: every identifier a feed may use → its entry.

Building costs one pass over the directory; each lookup afterwards is a dict access (IP → site
is a longest-prefix match over one dict per prefix length). A reload builds a new index and
swaps it in, so a lookup never sees a half-built one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from correlator.identity import normalize
from correlator.identity.directory import (
    Account,
    Asset,
    Camera,
    Credential,
    Directory,
    Door,
    Person,
    Reader,
    Site,
    Zone,
)

_IP_CACHE_LIMIT = 65536


def instant(value: datetime | date | None) -> float | None:
    """Epoch seconds of a directory date (midnight UTC) or timestamp (UTC when naive)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


@dataclass(frozen=True)
class BadgeEntry:
    """A credential and its holder, with validity as epoch seconds."""

    person: str
    credential: Credential
    valid_from: float | None
    valid_until: float | None

    def valid_at(self, t: float) -> bool:
        after_start = self.valid_from is None or t >= self.valid_from
        return after_start and (self.valid_until is None or t < self.valid_until)


@dataclass(frozen=True)
class ReaderEntry:
    door: str
    direction: str | None


class DirectoryIndex:
    """The directory plus its lookup tables. Immutable once built."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.people: dict[str, Person] = {p.id: p for p in directory.people}
        self.assets: dict[str, Asset] = {a.id: a for a in directory.assets}
        self.sites: dict[str, Site] = {s.id: s for s in directory.sites}
        self.zones: dict[str, Zone] = {z.id: z for z in directory.zones}
        self.doors: dict[str, Door] = {d.id: d for d in directory.doors}
        self.cameras: dict[str, Camera] = {c.id: c for c in directory.cameras}
        self.status_since: dict[str, float | None] = {
            p.id: instant(p.status_since) for p in directory.people
        }
        self.badges: dict[str, BadgeEntry] = {}
        self.accounts: dict[str, str] = {}
        self._index_people(directory.people)
        self.ips: dict[str, str] = {}
        self.macs: dict[str, str] = {}
        self.hostnames: dict[str, str] = {}
        self._index_assets(directory.assets)
        self.readers: dict[str, ReaderEntry] = {}
        self.door_cameras: dict[str, tuple[str, ...]] = {}
        self._index_places(directory)
        self._networks: list[tuple[int, int, dict[int, str]]] = []
        self._index_networks(directory.sites)
        self._ip_site: dict[str, str | None] = {}
        self._ip_private: dict[str, bool] = {}

    def _index_people(self, people: tuple[Person, ...]) -> None:
        bare: dict[str, set[str]] = {}
        for person in people:
            for cred in person.credentials:
                self.badges[normalize.badge(cred.badge)] = BadgeEntry(
                    person.id, cred, instant(cred.valid_from), instant(cred.valid_until)
                )
            for acct in person.accounts:
                for key in _account_keys(acct):
                    self.accounts[key] = person.id
                bare.setdefault(normalize.account(acct.username), set()).add(person.id)
        for user, owners in bare.items():
            # A bare user name only resolves when one person has it: alice of CORP and
            # alice of LAB are two people, and "alice" alone cannot say which.
            if len(owners) == 1:
                self.accounts.setdefault(user, next(iter(owners)))

    def _index_assets(self, assets: tuple[Asset, ...]) -> None:
        shorts: dict[str, set[str]] = {}
        for asset in assets:
            for address in asset.ips:
                self.ips[normalize.ip(str(address))] = asset.id
            for mac in asset.macs:
                self.macs[normalize.mac(mac)] = asset.id
            for name in asset.hostnames:
                self.hostnames[normalize.hostname(name)] = asset.id
                if "." in name and not _is_ip(name):
                    shorts.setdefault(normalize.short_hostname(name), set()).add(asset.id)
        for short, owners in shorts.items():
            if len(owners) == 1:  # ws-1.a.example and ws-1.b.example: "ws-1" is ambiguous
                self.hostnames.setdefault(short, next(iter(owners)))

    def _index_places(self, directory: Directory) -> None:
        for door in directory.doors:
            for reader in door.readers:
                if isinstance(reader, Reader):
                    self.readers[reader.id] = ReaderEntry(door.id, reader.direction)
                else:
                    self.readers[reader] = ReaderEntry(door.id, None)
        watching: dict[str, list[str]] = {}
        for camera in directory.cameras:
            for door_id in camera.doors:
                watching.setdefault(door_id, []).append(camera.id)
        self.door_cameras = {door: tuple(cams) for door, cams in watching.items()}

    def _index_networks(self, sites: tuple[Site, ...]) -> None:
        by_prefix: dict[tuple[int, int], dict[int, str]] = {}
        for site in sites:
            for net in site.networks:
                bits = net.cidr.max_prefixlen
                table = by_prefix.setdefault((bits, net.cidr.prefixlen), {})
                table[int(net.cidr.network_address) >> (bits - net.cidr.prefixlen)] = site.id
        # Longest prefix first, so the first hit is the most specific network.
        self._networks = [
            (bits, length, table)
            for (bits, length), table in sorted(by_prefix.items(), key=lambda kv: -kv[0][1])
        ]

    def site_of_ip(self, ip: str) -> str | None:
        """The site whose network holds ``ip`` (longest prefix), or None."""
        cached = self._ip_site.get(ip, "")
        if cached != "":
            return cached
        site = self._match_network(ip)
        if len(self._ip_site) >= _IP_CACHE_LIMIT:
            self._ip_site.clear()
        self._ip_site[ip] = site
        return site

    def is_private(self, ip: str) -> bool:
        """True for addresses a directory should know (RFC 1918, ULA, link-local, ...)."""
        private = self._ip_private.get(ip)
        if private is None:
            try:
                private = not ipaddress.ip_address(ip).is_global
            except ValueError:
                private = False
            if len(self._ip_private) >= _IP_CACHE_LIMIT:
                self._ip_private.clear()
            self._ip_private[ip] = private
        return private

    def _match_network(self, ip: str) -> str | None:
        value, bits = _ipv4_value(ip), 32
        if value is None:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return None
            value, bits = int(address), address.max_prefixlen
        for net_bits, length, table in self._networks:
            if net_bits == bits:
                site = table.get(value >> (bits - length))
                if site is not None:
                    return site
        return None

    def person_of_account(self, seen: str) -> str | None:
        """Person of an account name in any spelling the directory knows."""
        key = normalize.account(seen)
        found = self.accounts.get(key)
        if found is None and "\\" in key and key.split("\\", 1)[0] in ("", "."):
            found = self.accounts.get(key.rsplit("\\", 1)[1])  # ".\alice" is a local account
        return found

    def site_of_zone(self, zone: str | None) -> str | None:
        entry = self.zones.get(zone) if zone is not None else None
        return entry.site if entry is not None else None


def _account_keys(acct: Account) -> list[str]:
    keys = normalize.account_keys(acct.username, acct.domain, acct.upn)
    return keys + [normalize.account(alias) for alias in acct.aliases]


def _ipv4_value(text: str) -> int | None:
    """The integer of an IPv4 address written canonically (``10.1.2.3``), else ``None``.

    What ``ipaddress`` would say for those, several times faster; anything else (IPv6,
    leading zeros, garbage) is left to ``ipaddress``."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = value << 8 | octet
    return value


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
