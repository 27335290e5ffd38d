"""From what an event says to who, which host and where: the resolution paths.

- **location**: ``location.door`` > ``.reader`` (its door) > ``.camera`` > ``.zone``.
- **site**: the location's site; else ``location.site``; else the host's site; else the site
  whose network (longest prefix) holds an endpoint IP.
- **host**: per endpoint, host name, then MAC, then IP (static in the directory, else the DHCP
  lease at event time → MAC or host name). Endpoints are tried ``src`` then ``dst``, except
  for ``auth`` where the logon target ``dst`` comes first.
- **person**: from the actor (badge → credential, account in any spelling, person id). Only
  an event with no actor identifier at all falls back to its endpoints, in the host order:
  IP → VPN session at event time → account; host → interactive logon at event time →
  account; host → owner. (A logon by an unknown account on Alice's laptop is not Alice.)

Every identifier that resolves to nothing is listed as ``kind:value`` in ``unresolved``.
IPs count as resolved when they reach a host, a VPN session or a site network; public IPs
are not listed (no directory describes the internet).
"""

from __future__ import annotations

from typing import NamedTuple

from correlator.identity import normalize
from correlator.identity.bindings import DHCP_IP, LOGON_HOST, VPN_IP, Bindings, host_key
from correlator.identity.directory import Door
from correlator.identity.index import DirectoryIndex
from correlator.model import Endpoint, Event, Resolution, Resolved


class HostHit(NamedTuple):
    """A host found for an endpoint, and how (named tuples: one or more per event)."""

    asset: str | None  # None: known only by the name a DHCP lease gave it
    via: str
    value: str
    source: str
    name: str | None = None


class Found(NamedTuple):
    """What resolution found: the ``Resolved`` block plus what presence needs."""

    resolved: Resolved
    door: Door | None
    reader_direction: str | None
    host_key: str | None


_MEMO_LIMIT = 65536
_memo: dict[tuple[str, str, str, str], Resolution] = {}


def _res(entity: str, via: str, value: str, source: str = "directory") -> Resolution:
    # The same few thousand resolutions recur on every event: share the frozen objects.
    key = (entity, via, value, source)
    found = _memo.get(key)
    if found is None:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        found = _memo[key] = Resolution(id=entity, via=via, value=value, source=source)
    return found


class Resolver:
    """Resolution over one directory index and the learned bindings, at one event time."""

    def __init__(self, index: DirectoryIndex, bindings: Bindings) -> None:
        self.index = index
        self.bindings = bindings

    def resolve(self, event: Event, t: float) -> Found:
        unresolved: list[str] = []
        location, site, door, direction = self._location(event, unresolved)
        endpoints = _endpoints(event)
        hits = [(ep, self.host(ep, t, unresolved)) for ep in endpoints]
        hit = next((h for _, h in hits if h is not None and h.asset is not None), None)
        hit = hit or next((h for _, h in hits if h is not None), None)
        host = _res(hit.asset, hit.via, hit.value, hit.source) if hit and hit.asset else None
        if site is None and hit is not None and hit.asset is not None:
            asset_site = self.index.assets[hit.asset].site
            site = _res(asset_site, hit.via, hit.value, hit.source) if asset_site else None
        person = self._actor(event, unresolved)
        if person is None and not _has_actor(event):
            person = self._person_from_endpoints(hits, t)
        for ep in endpoints:
            if site is None and ep.ip:
                found = self.index.site_of_ip(normalize.ip(ep.ip))
                site = _res(found, "ip", ep.ip) if found else None
        self._unresolved_ips(hits, t, unresolved)
        resolved = Resolved(
            person=person, host=host, location=location, site=site, unresolved=tuple(unresolved)
        )
        key = host_key(hit.asset, hit.name, None) if hit else None
        if key is None and endpoints:
            key = host_key(None, endpoints[0].host, endpoints[0].ip)
        return Found(resolved, door, direction, key)

    def _location(
        self, event: Event, unresolved: list[str]
    ) -> tuple[Resolution | None, Resolution | None, Door | None, str | None]:
        place = event.location
        if place is None:
            return None, None, None, None
        index = self.index
        door = index.doors.get(place.door) if place.door else None
        reader = index.readers.get(place.reader) if place.reader else None
        for kind, seen, known in (
            ("door", place.door, door),
            ("reader", place.reader, reader),
            ("camera", place.camera, place.camera in index.cameras),
            ("zone", place.zone, place.zone in index.zones),
            ("site", place.site, place.site in index.sites),
        ):
            if seen and not known:
                unresolved.append(f"{kind}:{seen}")
        if door is None and reader is not None:
            door = index.doors[reader.door]
        location = site = None
        if door is not None:
            via, value = ("door", place.door) if place.door else ("reader", place.reader)
            location, site = _res(door.id, via, str(value)), _res(door.site, via, str(value))
        elif place.camera and place.camera in index.cameras:
            camera = index.cameras[place.camera]
            location = _res(camera.id, "camera", place.camera)
            site = _res(camera.site, "camera", place.camera)
        elif place.zone and place.zone in index.zones:
            location = _res(place.zone, "zone", place.zone)
            site = _res(index.zones[place.zone].site, "zone", place.zone)
        if site is None and place.site and place.site in index.sites:
            site = _res(place.site, "site", place.site)
        return location, site, door, reader.direction if reader else None

    def host(self, ep: Endpoint, t: float, unresolved: list[str] | None = None) -> HostHit | None:
        """The host behind one endpoint at ``t``: host name, then MAC, then IP."""
        index = self.index
        if ep.host:
            asset = index.hostnames.get(normalize.hostname(ep.host))
            if asset is not None:
                return HostHit(asset, "hostname", ep.host, "directory")
            if unresolved is not None:
                unresolved.append(f"hostname:{ep.host}")
        if ep.mac:
            asset = index.macs.get(normalize.mac(ep.mac))
            if asset is not None:
                return HostHit(asset, "mac", ep.mac, "directory")
            if unresolved is not None:
                unresolved.append(f"mac:{ep.mac}")
        if not ep.ip:
            return None
        ip = normalize.ip(ep.ip)
        asset = index.ips.get(ip)
        if asset is not None:
            return HostHit(asset, "ip", ep.ip, "directory")
        lease = self.bindings.lookup(DHCP_IP, ip, t)
        if lease is None:
            return None
        asset = index.macs.get(lease["mac"]) if lease["mac"] else None
        if asset is None and lease["host"]:
            asset = index.hostnames.get(lease["host"])
        return HostHit(asset, "ip", ep.ip, "dhcp", name=lease["host"])

    def _actor(self, event: Event, unresolved: list[str]) -> Resolution | None:
        actor = event.actor
        if actor is None:
            return None
        index = self.index
        if actor.credential:
            badge = index.badges.get(normalize.badge(actor.credential))
            if badge is not None:
                return _res(badge.person, "credential", actor.credential)
            unresolved.append(f"credential:{actor.credential}")
        if actor.account:
            person = index.person_of_account(actor.account)
            if person is not None:
                return _res(person, "account", actor.account)
            unresolved.append(f"account:{actor.account}")
        if actor.person:
            if actor.person in index.people:
                return _res(actor.person, "person", actor.person)
            unresolved.append(f"person:{actor.person}")
        return None

    def _person_from_endpoints(
        self, hits: list[tuple[Endpoint, HostHit | None]], t: float
    ) -> Resolution | None:
        index, bindings = self.index, self.bindings
        for ep, hit in hits:
            if ep.ip:
                account = bindings.lookup(VPN_IP, normalize.ip(ep.ip), t)
                person = index.person_of_account(account) if account else None
                if person is not None:
                    return _res(person, "ip", ep.ip, "vpn")
            if hit is None:
                continue
            key = host_key(hit.asset, hit.name, None)
            account = bindings.lookup(LOGON_HOST, key, t) if key else None
            person = index.person_of_account(account) if account else None
            if person is not None:
                return _res(person, hit.via, hit.value, "logon")
            owner = index.assets[hit.asset].owner if hit.asset else None
            if owner is not None:
                return _res(owner, hit.via, hit.value, hit.source)
        return None

    def _unresolved_ips(
        self, hits: list[tuple[Endpoint, HostHit | None]], t: float, unresolved: list[str]
    ) -> None:
        for ep, hit in hits:
            if hit is not None or not ep.ip:
                continue
            ip = normalize.ip(ep.ip)
            if self.index.site_of_ip(ip) or self.bindings.lookup(VPN_IP, ip, t):
                continue
            if self.index.is_private(ip):
                unresolved.append(f"ip:{ep.ip}")


def _endpoints(event: Event) -> list[Endpoint]:
    order = (event.dst, event.src) if event.domain == "auth" else (event.src, event.dst)
    return [ep for ep in order if ep is not None and (ep.ip or ep.host or ep.mac)]


def _has_actor(event: Event) -> bool:
    actor = event.actor
    return actor is not None and bool(actor.credential or actor.account or actor.person)
