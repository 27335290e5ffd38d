"""Attribute paths for rules: ``person.status``, ``host.owner.presence.site``, ``site.country``.

A rule predicate reads a path once per event, so each path is compiled once into a small
function (root entity → field); reading it afterwards costs a dict look-up or two. Directory
fields come from a flat, plain-value copy of each entry (IPs and networks as strings, lists
as tuples), built on first use and dropped on reload. Derived fields are evaluated at the
event's time:

- ``person.status``: the status in force at event time (a termination dated tomorrow reads
  ``active`` today); ``person.active``: status is ``active``;
- ``person.in_working_hours``, ``site.in_working_hours``: local time of the person's (home
  site's) or site's time zone within its working hours;
- ``person.credential.valid`` / ``.badge`` / ``.kind``: the badge used in this event, when it
  is this person's, checked against its validity dates;
- ``person.presence.site|zone|since|on_site|sites|passback|multi_site|anomaly``;
- ``door.cameras``: cameras that watch the door; ``door.perimeter`` with its default applied;
- ``site.geo``: ``(latitude, longitude)``, the position ``speed_kmh`` tests compare;
- ``site.vpn_networks``, ``site.guest_networks``: the site's networks of that kind.

Unknown paths and missing entities read as ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from correlator.identity import normalize
from correlator.identity.directory import Person, Reader, WorkingHours
from correlator.identity.index import DirectoryIndex
from correlator.identity.presence import ABSENT, PresenceView
from correlator.model import Event, Resolved

if TYPE_CHECKING:
    from correlator.identity.resolver import Identity

Getter = Callable[[Event, Resolved, float], Any]
EntityId = Callable[[Event, Resolved, float], str | None]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PRESENCE = {"site", "zone", "since", "on_site", "sites", "passback", "multi_site", "anomaly"}


class Attributes:
    """Compiled attribute paths over one :class:`Identity` (which may reload its directory)."""

    def __init__(self, identity: Identity) -> None:
        self._identity = identity
        self._compiled: dict[str, Getter] = {}
        self._fields: dict[tuple[str, str], dict[str, Any]] = {}
        self._presence_of: tuple[Event, str] | None = None  # the event object asked, person
        self._presence: PresenceView = ABSENT
        self._event: Event | None = None
        self._values: dict[str, Any] = {}

    def reset(self) -> None:
        """Forget directory-derived values (after a reload); compiled paths stay valid."""
        self._fields.clear()
        self._presence_of = None
        self._event = None

    def forget(self) -> None:
        """Drop the values kept for the last event (what they depend on is changing)."""
        self._event = None
        self._presence_of = None

    def read(self, event: Event, path: str) -> Any:
        """``path`` for ``event``, each path computed once per event object.

        Every rule asks about the event it is matching, often the same paths (a person's
        status, presence, working hours): the values are kept until another event object
        is asked about, or :meth:`forget` is called (``observe`` does, as it learns).
        """
        if event is not self._event:
            self._event = event
            self._values = {}
        values = self._values
        if path in values:
            return values[path]
        resolved = event.resolved
        if resolved is None:
            resolved = self._identity.resolve(event)
        value = values[path] = self.get(event, resolved, event.time.timestamp(), path)
        return value

    def get(self, event: Event, resolved: Resolved, t: float, path: str) -> Any:
        getter = self._compiled.get(path)
        if getter is None:
            getter = self._compiled[path] = self._compile(path)
        return getter(event, resolved, t)

    def _compile(self, path: str) -> Getter:
        root, _, rest = path.partition(".")
        if root == "person":
            return self._person(_resolved_id("person"), rest)
        if root == "host" and rest.startswith("owner."):
            return self._person(self._host_owner, rest.removeprefix("owner."))
        if root in ("host", "site"):
            return self._entity(root, _resolved_id(root), rest)
        if root in ("door", "camera", "zone"):
            return self._entity(root, self._place_id(root), rest)
        return _none

    def _entity(self, kind: str, find: EntityId, field: str) -> Getter:
        if not field:
            return find
        if kind == "site" and field == "in_working_hours":
            return self._site_hours(find)

        def get(event: Event, resolved: Resolved, t: float) -> Any:
            entity = find(event, resolved, t)
            return self.field(kind, entity, field) if entity is not None else None

        return get

    def _person(self, find: EntityId, field: str) -> Getter:
        if not field:
            return find
        head, _, sub = field.partition(".")
        if head == "presence":
            return self._presence_getter(find, sub or "on_site")
        if head in ("status", "active", "in_working_hours", "credential"):
            derived: Callable[[str, Event, float], Any] = {
                "status": self._status,
                "active": lambda p, e, t: self._status(p, e, t) == "active",
                "in_working_hours": self._person_hours,
                "credential": lambda p, e, t: self._credential(p, e, t, sub),
            }[head]

            def get_derived(event: Event, resolved: Resolved, t: float) -> Any:
                person = find(event, resolved, t)
                return derived(person, event, t) if person is not None else None

            return get_derived
        return self._entity("person", find, field)

    def _presence_getter(self, find: EntityId, field: str) -> Getter:
        if field not in _PRESENCE:
            return _none

        def get(event: Event, resolved: Resolved, t: float) -> Any:
            person = find(event, resolved, t)
            if person is None:
                return None
            # Cached for the predicates of one event object only: presence changes between
            # events (even of the same time), learned here or by another worker, and the
            # engine asks again about an event it settles later (a new object then).
            asked = self._presence_of
            if asked is None or asked[0] is not event or asked[1] != person:
                self._presence = self._identity.presence.at(person, t)
                self._presence_of = (event, person)
            return getattr(self._presence, field)

        return get

    def _host_owner(self, event: Event, resolved: Resolved, t: float) -> str | None:
        host = resolved.host
        asset = self._identity.index.assets.get(host.id) if host is not None else None
        return asset.owner if asset is not None else None

    def _place_id(self, kind: str) -> EntityId:
        def find(event: Event, resolved: Resolved, t: float) -> str | None:
            location = resolved.location
            if location is None:
                return None
            index = self._identity.index
            if kind == "zone":
                entry = index.doors.get(location.id) or index.cameras.get(location.id)
                return (
                    entry.zone
                    if entry is not None
                    else (location.id if location.id in index.zones else None)
                )
            table: dict[str, Any] = index.doors if kind == "door" else index.cameras
            return location.id if location.id in table else None

        return find

    def _status(self, person: str, event: Event, t: float) -> str | None:
        index = self._identity.index
        entry = index.people.get(person)
        if entry is None:
            return None
        since = index.status_since.get(person)
        return "active" if since is not None and t < since else entry.status

    def _credential(self, person: str, event: Event, t: float, field: str) -> Any:
        seen = event.actor.credential if event.actor is not None else None
        badge = self._identity.index.badges.get(normalize.badge(seen)) if seen else None
        if badge is None or badge.person != person:
            return None
        if field == "valid":
            return badge.valid_at(t)
        return _plain(getattr(badge.credential, field, None)) if field else badge.credential.badge

    def _person_hours(self, person: str, event: Event, t: float) -> bool | None:
        index = self._identity.index
        entry: Person | None = index.people.get(person)
        if entry is None:
            return None
        home = index.sites.get(entry.home_site) if entry.home_site else None
        hours = entry.working_hours or (home.working_hours if home else None)
        zone = entry.timezone or (home.timezone if home else None)
        return within(hours, zone, t) if hours is not None and zone is not None else None

    def _site_hours(self, find: EntityId) -> Getter:
        def get(event: Event, resolved: Resolved, t: float) -> Any:
            site_id = find(event, resolved, t)
            site = self._identity.index.sites.get(site_id) if site_id else None
            return within(site.working_hours, site.timezone, t) if site is not None else None

        return get

    def field(self, kind: str, entity: str, name: str) -> Any:
        """One plain-value field of a directory entry (memoized until the next reload).

        Field by field: rules read one or two fields of an entry, and converting all of
        them (a host's every IP address to text) would cost more than the rule does."""
        cached = self._fields.get((kind, entity))
        if cached is None:
            if entity not in _tables(self._identity.index)[kind]:
                return None
            cached = self._fields[(kind, entity)] = {}
        if name in cached:
            return cached[name]
        value = cached[name] = _entry_field(self._identity.index, kind, entity, name)
        return value


def _tables(index: DirectoryIndex) -> dict[str, dict[str, Any]]:
    return {
        "person": index.people,
        "host": index.assets,
        "site": index.sites,
        "door": index.doors,
        "camera": index.cameras,
        "zone": index.zones,
    }


def _entry_field(index: DirectoryIndex, kind: str, entity: str, name: str) -> Any:
    """A directory field as plain values, or a derived one (which wins over a field)."""
    entry: Any = _tables(index)[kind][entity]
    if kind == "person" and name == "badges":
        return tuple(c.badge for c in entry.credentials)
    if kind == "host" and name == "hostname":
        return entry.hostnames[0] if entry.hostnames else None
    if kind == "site" and name in _SITE_DERIVED:
        if name == "geo":
            return (entry.latitude, entry.longitude)
        wanted = _SITE_DERIVED[name]
        return tuple(str(n.cidr) for n in entry.networks if wanted is None or n.kind == wanted)
    if kind == "door" and name in ("readers", "perimeter", "cameras"):
        if name == "readers":
            return tuple(r.id if isinstance(r, Reader) else r for r in entry.readers)
        if name == "perimeter":
            return entry.zone is None if entry.perimeter is None else entry.perimeter
        return index.door_cameras.get(entity, ())
    return _plain(getattr(entry, name)) if name in type(entry).model_fields else None


_SITE_DERIVED: dict[str, str | None] = {
    "networks": None,
    "geo": None,
    "vpn_networks": "vpn",
    "guest_networks": "guest",
}
"""Derived site fields; the network lists name the kind of network they keep (None: all)."""


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, IPv4Address | IPv6Address | IPv4Network | IPv6Network):
        return str(value)
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    return value


def within(hours: WorkingHours, zone: str, t: float) -> bool:
    """Whether epoch ``t`` falls in ``hours`` in time zone ``zone`` (night shifts wrap)."""
    local = datetime.fromtimestamp(t, ZoneInfo(zone))
    now, day = local.time(), _DAYS[local.weekday()]
    if hours.start <= hours.end:
        return day in hours.days and hours.start <= now < hours.end
    yesterday = _DAYS[(local.weekday() - 1) % 7]
    return (day in hours.days and now >= hours.start) or (
        yesterday in hours.days and now < hours.end
    )


def _resolved_id(kind: str) -> EntityId:
    def find(event: Event, resolved: Resolved, t: float) -> str | None:
        found = getattr(resolved, kind)
        return found.id if found is not None else None

    return find


def _none(event: Event, resolved: Resolved, t: float) -> None:
    return None
