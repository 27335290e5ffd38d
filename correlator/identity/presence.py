"""Presence: on which site (and zone) each person is, since when, from badge in and out.

Derived from granted badge events at doors with a direction. Passing a door ``in`` puts the
person on the door's site, in the door's zone; passing a perimeter door ``out`` takes them
off the site, an inner door ``out`` moves them to the parent zone. Nobody badges out
reliably, so an entry without an exit expires ``ttl`` (default 16h) after the last badge on
that site.

Two anomalies stay visible to rules until they resolve themselves:

- **passback**: a second perimeter entry to a site without an exit in between (the badge was
  passed back to someone else, or someone tailgated out);
- **multi_site**: present on two sites at once (a cloned badge, or a badge lent out).

State per person is ``{"sites": {site: [since, last, zone]}, "passback": [site, t] | None}``
(epoch seconds) under ``identity:presence:<person>`` in the store, mirrored in memory unless
``mirror=False`` (the store is shared with other processes and must be read every time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from correlator.state import Store

PREFIX = "identity:presence:"


class PresenceView(NamedTuple):
    """A person's presence at one moment, as rules read it (``person.presence.*``).

    A named tuple rather than a frozen dataclass: one is built per event that asks."""

    sites: tuple[str, ...]  # most recent badge first
    site: str | None
    zone: str | None
    since: datetime | None
    on_site: bool
    passback: bool
    multi_site: bool

    @property
    def anomaly(self) -> bool:
        return self.passback or self.multi_site


ABSENT = PresenceView((), None, None, None, False, False, False)


@dataclass(frozen=True)
class Passage:
    """One badge passage through a door, as presence needs it."""

    site: str
    zone: str | None  # the zone behind the door
    parent_zone: str | None  # where an inner door leads out to
    perimeter: bool
    direction: str  # "in" | "out"


class Presence:
    """Presence per person, in the store (and cached in memory with ``mirror``)."""

    def __init__(self, store: Store, ttl: timedelta, *, mirror: bool = True) -> None:
        self._store = store
        self._ttl = ttl.total_seconds()
        self._cache: dict[str, dict[str, Any]] | None = None
        if mirror:
            self._cache = {p: _copy(store.get(PREFIX + p)) for p in self._people()}

    def update(self, person: str, passage: Passage, t: float) -> str | None:
        """Apply a badge passage at ``t``; returns the anomaly it revealed, if any."""
        state = self._state(person) or {"sites": {}, "passback": None}
        sites: dict[str, list[Any]] = {
            site: entry for site, entry in state["sites"].items() if entry[1] + self._ttl > t
        }
        passback = state["passback"]
        passback = passback if passback and passback[0] in sites else None
        anomaly = None
        entry = sites.get(passage.site)
        # Entries are replaced, never changed in place: the previous state may be the very
        # object the store holds (a stored value is immutable), so no copy is needed.
        if passage.direction == "in":
            if entry is None:
                sites[passage.site] = [t, t, passage.zone]
                anomaly = "multi_site" if len(sites) > 1 else None
            else:
                if passage.perimeter:
                    passback, anomaly = [passage.site, t], "passback"
                sites[passage.site] = [entry[0], max(entry[1], t), passage.zone]
        elif entry is not None and passage.perimeter:
            del sites[passage.site]
            passback = None if passback and passback[0] == passage.site else passback
        elif entry is not None:
            sites[passage.site] = [entry[0], max(entry[1], t), passage.parent_zone]
        else:
            anomaly = "exit_without_entry"
        state = {"sites": sites, "passback": passback}
        if self._cache is not None:
            self._cache[person] = state
        self._store.put(PREFIX + person, state)
        return anomaly

    def at(self, person: str, t: float) -> PresenceView:
        """Presence of ``person`` at event time ``t``."""
        state = self._state(person)
        if state is None:
            return ABSENT
        ttl = self._ttl
        live = [(site, e) for site, e in state["sites"].items() if e[0] <= t < e[1] + ttl]
        if not live:
            return ABSENT
        if len(live) > 1:
            live.sort(key=lambda item: -item[1][1])
        site, (since, _, zone) = live[0]
        sites = tuple(s for s, _ in live)
        passback = state["passback"]
        return PresenceView(
            sites=sites,
            site=site,
            zone=zone,
            since=datetime.fromtimestamp(since, UTC),
            on_site=True,
            passback=bool(passback) and passback[0] in sites and passback[1] <= t,
            multi_site=len(live) > 1,
        )

    def sweep(self, newest: float) -> int:
        """Forget people whose every entry expired before ``newest``; returns how many."""
        people = list(self._cache) if self._cache is not None else self._people()
        gone = []
        for person in people:
            state = self._state(person)
            if state is not None and all(
                e[1] + self._ttl <= newest for e in state["sites"].values()
            ):
                gone.append(person)
        for person in gone:
            if self._cache is not None:
                del self._cache[person]
            self._store.delete(PREFIX + person)
        return len(gone)

    def _people(self) -> list[str]:
        return [key[len(PREFIX) :] for key in self._store.keys() if key.startswith(PREFIX)]  # noqa: SIM118

    def _state(self, person: str) -> dict[str, Any] | None:
        """The person's state, to read (``update`` builds a new one rather than changing it)."""
        if self._cache is not None:
            return self._cache.get(person)
        stored = self._store.get(PREFIX + person)
        return None if stored is None else _copy(stored)

    def __len__(self) -> int:
        return len(self._cache) if self._cache is not None else len(self._people())


def _copy(state: Any) -> dict[str, Any]:
    state = state or {}
    return {
        "sites": {site: list(entry) for site, entry in (state.get("sites") or {}).items()},
        "passback": list(state["passback"]) if state.get("passback") else None,
    }
