"""Rules across directory entries: unique ids and identifiers, references that exist.

A pydantic model checks one entry at a time; these checks need the whole directory. They
return every problem (not the first) with the location of the entry, so that the loader can
print ``file:line people[3].credentials[0].badge: ...`` for each, and a duplicate names the
location of both entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from correlator.identity import normalize
from correlator.identity.directory import Directory, Door, Reader

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a directory: where (a field path), what, and the other entry."""

    loc: Loc
    message: str
    other: Loc | None = None


def loc_text(loc: Loc) -> str:
    """``people[3].credentials[0].badge`` from ``("people", 3, "credentials", 0, "badge")``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "<root>"


class _Claims:
    """First claimant of each (kind, key); a second claim is a duplicate naming both."""

    def __init__(self, problems: list[Problem]) -> None:
        self._seen: dict[tuple[str, str], tuple[Loc, Loc]] = {}
        self._problems = problems

    def claim(self, kind: str, key: str, loc: Loc, shown: str | None = None) -> None:
        """Claim ``key`` for the entry at ``loc[:2]``; the same entry may repeat a key."""
        owner = loc[:2]
        first, first_owner = self._seen.setdefault((kind, key), (loc, owner))
        if first_owner != owner:
            what = shown if shown is not None else key
            self._problems.append(Problem(loc, f"duplicate {kind} '{what}'", other=first))


def check(directory: Directory) -> list[Problem]:
    """Every cross-entry problem of ``directory``; empty when it is consistent."""
    problems: list[Problem] = []
    claims = _Claims(problems)
    for section in ("people", "assets", "sites", "zones", "doors", "cameras"):
        for i, entry in enumerate(getattr(directory, section)):
            claims.claim(f"{section} id", entry.id, (section, i, "id"))
    _check_people(directory, claims, problems)
    _check_assets(directory, claims, problems)
    _check_places(directory, claims, problems)
    return problems


def _ref(problems: list[Problem], loc: Loc, value: str | None, known: set[str], kind: str) -> None:
    if value is not None and value not in known:
        hint = f" (known: {', '.join(sorted(known)[:8])})" if known else f" (no {kind}s defined)"
        problems.append(Problem(loc, f"unknown {kind} {value!r}{hint}"))


def _ids(entries: Iterable[object]) -> set[str]:
    return {str(getattr(entry, "id")) for entry in entries}  # noqa: B009 (any section)


def _check_people(directory: Directory, claims: _Claims, problems: list[Problem]) -> None:
    people, sites = _ids(directory.people), _ids(directory.sites)
    for i, person in enumerate(directory.people):
        _ref(problems, ("people", i, "home_site"), person.home_site, sites, "site")
        _ref(problems, ("people", i, "manager"), person.manager, people, "person")
        for j, cred in enumerate(person.credentials):
            loc: Loc = ("people", i, "credentials", j, "badge")
            claims.claim("badge", normalize.badge(cred.badge), loc, cred.badge)
        for j, acct in enumerate(person.accounts):
            base: Loc = ("people", i, "accounts", j)
            for key in normalize.account_keys(acct.username, acct.domain, acct.upn):
                field = "upn" if acct.upn and key == normalize.account(acct.upn) else "username"
                claims.claim("account", key, (*base, field))
            for k, alias in enumerate(acct.aliases):
                claims.claim("account", normalize.account(alias), (*base, "aliases", k), alias)


def _check_assets(directory: Directory, claims: _Claims, problems: list[Problem]) -> None:
    people, sites, zones = _ids(directory.people), _ids(directory.sites), _ids(directory.zones)
    for i, asset in enumerate(directory.assets):
        _ref(problems, ("assets", i, "owner"), asset.owner, people, "person")
        _ref(problems, ("assets", i, "site"), asset.site, sites, "site")
        _ref(problems, ("assets", i, "zone"), asset.zone, zones, "zone")
        for j, name in enumerate(asset.hostnames):
            claims.claim("hostname", normalize.hostname(name), ("assets", i, "hostnames", j), name)
        for j, address in enumerate(asset.ips):
            claims.claim("ip", str(address), ("assets", i, "ips", j))
        for j, mac in enumerate(asset.macs):
            claims.claim("mac", normalize.mac(mac), ("assets", i, "macs", j), mac)


def _check_places(directory: Directory, claims: _Claims, problems: list[Problem]) -> None:
    sites = _ids(directory.sites)
    zone_site = {zone.id: zone.site for zone in directory.zones}
    doors = _ids(directory.doors)
    for i, site in enumerate(directory.sites):
        for j, net in enumerate(site.networks):
            claims.claim("network", str(net.cidr), ("sites", i, "networks", j, "cidr"))
    for i, zone in enumerate(directory.zones):
        _ref(problems, ("zones", i, "site"), zone.site, sites, "site")
        _ref(problems, ("zones", i, "parent"), zone.parent, set(zone_site), "zone")
        if zone.parent in zone_site and zone_site[zone.parent] != zone.site:
            problems.append(
                Problem(("zones", i, "parent"), f"zone {zone.parent!r} is on another site")
            )
    for i, door in enumerate(directory.doors):
        _ref(problems, ("doors", i, "site"), door.site, sites, "site")
        _check_zone_of(problems, ("doors", i, "zone"), door.zone, door.site, zone_site)
        for j, reader in enumerate(door.readers):
            claims.claim("reader", _reader_id(reader), ("doors", i, "readers", j))
        _check_door_direction(problems, i, door)
    for i, cam in enumerate(directory.cameras):
        _ref(problems, ("cameras", i, "site"), cam.site, sites, "site")
        _check_zone_of(problems, ("cameras", i, "zone"), cam.zone, cam.site, zone_site)
        for j, door_id in enumerate(cam.doors):
            _ref(problems, ("cameras", i, "doors", j), door_id, doors, "door")
        for j, zone_id in enumerate(cam.zones):
            _check_zone_of(problems, ("cameras", i, "zones", j), zone_id, cam.site, zone_site)


def _check_zone_of(
    problems: list[Problem], loc: Loc, zone: str | None, site: str, zone_site: dict[str, str]
) -> None:
    _ref(problems, loc, zone, set(zone_site), "zone")
    if zone in zone_site and zone_site[zone] != site:
        problems.append(Problem(loc, f"zone {zone!r} is on site {zone_site[zone]!r}, not {site!r}"))


def _check_door_direction(problems: list[Problem], i: int, door: Door) -> None:
    if door.direction == "both":
        return
    for j, reader in enumerate(door.readers):
        if isinstance(reader, Reader) and reader.direction != door.direction:
            problems.append(
                Problem(
                    ("doors", i, "readers", j, "direction"),
                    f"reader direction {reader.direction!r} contradicts door direction "
                    f"{door.direction!r} (set the door to 'both')",
                )
            )


def _reader_id(reader: str | Reader) -> str:
    return reader if isinstance(reader, str) else reader.id
