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

Presence is answered **as of an event's time** from the person's passages, whatever order
they were read in: a logon read before the badge-in that preceded it finds the person on site
once the badge-in is read (the engine asks when it settles the logon, behind the watermark),
and a badge-out read before an earlier logon does not hide the person from it. So the state
per person is a short history, under ``identity:presence:<person>`` in the store:

``{"base": {"sites": {site: [since, last, zone]}, "passback": [site, t] | None},
"cut": t, "log": [[t, site, zone, parent_zone, perimeter, direction], ...]}``

(epoch seconds): ``log`` holds the passages of the last ``ttl`` + ``lateness`` before the
person's newest one, sorted, and ``base`` what the passages before ``cut`` added up to.
Presence at ``t`` is ``base`` with the logged passages up to ``t`` applied in time order. A
passage read again (a record processed twice) is kept once; one older than ``cut`` (more
than the ttl and the lateness behind the person's newest badge) is ignored. The state is
mirrored in memory unless ``mirror=False`` (the store is shared with other processes and
must be read every time).
"""

from __future__ import annotations

import bisect
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


Entry = list[Any]
"""A logged passage: ``[t, site, zone, parent_zone, perimeter, direction]``."""
Folded = tuple[dict[str, list[Any]], list[Any] | None]
"""Sites (``{site: [since, last, zone]}``) and passback (``[site, t]``) after some passages."""
_T = 0
_EMPTY: dict[str, Any] = {"base": {"sites": {}, "passback": None}, "cut": None, "log": []}
"""A person never seen (read only: ``update`` builds new states)."""


def _order(entry: Entry) -> tuple[Any, ...]:
    """Sort key of a passage: time first; the rest orders passages of one second the same
    way whatever order they were read in (``None`` zones compare as empty)."""
    t, site, zone, parent, perimeter, direction = entry
    return (t, site, direction, zone or "", parent or "", perimeter)


class Presence:
    """Presence per person, in the store (and cached in memory with ``mirror``)."""

    def __init__(
        self, store: Store, ttl: timedelta, *, lateness: timedelta = timedelta(0),
        mirror: bool = True,
    ) -> None:  # fmt: skip
        self._store = store
        self._ttl = ttl.total_seconds()
        self._late = lateness.total_seconds()
        self._keep = self._ttl + self._late
        """How far behind a person's newest passage the log reaches: questions come for
        events up to the lateness behind the newest, and a passage lasts the ttl."""
        self._cache: dict[str, dict[str, Any]] | None = None
        self._current: dict[str, tuple[dict[str, Any], Folded]] = {}
        """Per person: the state last read and its whole log applied (most questions are
        about the newest moment); valid while the store still holds that very state."""
        if mirror:
            self._cache = {}
            for person in self._people():
                state = _upgrade(store.get(PREFIX + person))
                if state is not None:
                    self._cache[person] = state

    def update(self, person: str, passage: Passage, t: float) -> str | None:
        """Log a badge passage at ``t``; returns the anomaly it revealed (against the
        passages before it in time), if any. A passage already logged changes nothing."""
        state = self._state(person) or _EMPTY
        cut = state["cut"]
        if cut is not None and t < cut:
            return None  # more than the ttl behind the person's newest badge
        log: list[Entry] = state["log"]
        entry: Entry = [t, passage.site, passage.zone, passage.parent_zone,
                        passage.perimeter, passage.direction]  # fmt: skip
        key = _order(entry)
        at = bisect.bisect_left(log, key, key=_order)
        if at < len(log) and _order(log[at]) == key:
            return None  # read before: a record processed again
        newest_first = at == len(log)  # the usual case: passages read in time order
        before = self._folded(person, state) if newest_first else self._fold(state, at)
        sites, passback, anomaly = _apply(before, entry, self._ttl)
        log = [*log[:at], entry, *log[at:]]
        base = state["base"]
        newest = log[-1][_T]
        old = 0
        while log[old][_T] < newest - self._keep:
            old += 1
        if old:  # the oldest passages go into the base
            folded: Folded = (base["sites"], base["passback"])
            for passed in log[:old]:
                folded = _apply(folded, passed, self._ttl)[:2]
            base = {"sites": folded[0], "passback": folded[1]}
            log = log[old:]
        cut = newest - self._keep if cut is None else max(cut, newest - self._keep)
        # A new state, never a change in place: the old one may be the object the store holds.
        new = {"base": base, "cut": cut, "log": log}
        if self._cache is not None:
            self._cache[person] = new
        if newest_first:
            self._current[person] = (new, (sites, passback))
        self._store.put(PREFIX + person, new)
        return anomaly

    def at(self, person: str, t: float) -> PresenceView:
        """Presence of ``person`` at event time ``t``."""
        state = self._state(person)
        if state is None:
            return ABSENT
        log = state["log"]
        if not log or t >= log[-1][_T]:
            sites, passback = self._folded(person, state)
        else:
            sites, passback = self._fold(state, bisect.bisect_right(log, t, key=_time))
        ttl = self._ttl
        live = [(site, e) for site, e in sites.items() if e[0] <= t < e[1] + ttl]
        if not live:
            return ABSENT
        if len(live) > 1:
            live.sort(key=lambda item: -item[1][1])
        site, (since, _, zone) = live[0]
        names = tuple(s for s, _ in live)
        return PresenceView(
            sites=names,
            site=site,
            zone=zone,
            since=datetime.fromtimestamp(since, UTC),
            on_site=True,
            passback=passback is not None and passback[0] in names and passback[1] <= t,
            multi_site=len(live) > 1,
        )

    def sweep(self, newest: float) -> int:
        """Forget people nobody can ask about any more: every entry expired, and their newest
        badge older than the ttl, at ``newest`` - lateness (the oldest time a question may
        still come for, from an event still within the lateness); returns how many."""
        people = list(self._cache) if self._cache is not None else self._people()
        gone = []
        for person in people:
            state = self._state(person)
            if state is None:
                continue
            log = state["log"]
            sites, _ = self._folded(person, state)
            oldest = newest - self._late
            if all(e[1] + self._ttl <= oldest for e in sites.values()) and (
                not log or log[-1][_T] + self._ttl <= oldest
            ):
                gone.append(person)
        for person in gone:
            if self._cache is not None:
                del self._cache[person]
            self._current.pop(person, None)
            self._store.delete(PREFIX + person)
        return len(gone)

    def _folded(self, person: str, state: dict[str, Any]) -> Folded:
        """The whole log applied (cached while ``state`` is current)."""
        cached = self._current.get(person)
        if cached is not None and cached[0] is state:
            return cached[1]
        folded = self._fold(state, len(state["log"]))
        self._current[person] = (state, folded)
        return folded

    def _fold(self, state: dict[str, Any], upto: int) -> Folded:
        """The base with the first ``upto`` logged passages applied."""
        base = state["base"]
        folded: Folded = (base["sites"], base["passback"])
        for entry in state["log"][:upto]:
            folded = _apply(folded, entry, self._ttl)[:2]
        return folded

    def _people(self) -> list[str]:
        return [key[len(PREFIX) :] for key in self._store.keys() if key.startswith(PREFIX)]  # noqa: SIM118

    def _state(self, person: str) -> dict[str, Any] | None:
        """The person's state, to read only (``update`` builds a new one)."""
        if self._cache is not None:
            return self._cache.get(person)
        return _upgrade(self._store.get(PREFIX + person))

    def __len__(self) -> int:
        return len(self._cache) if self._cache is not None else len(self._people())


def _time(entry: Entry) -> float:
    return float(entry[_T])


Applied = tuple[dict[str, list[Any]], list[Any] | None, str | None]


def _apply(folded: Folded, entry: Entry, ttl: float) -> Applied:
    """One passage applied to sites and passback: new ones, and the anomaly it revealed.
    Entries are replaced, never changed in place (the old ones may be stored values)."""
    t, site, zone, parent, perimeter, direction = entry
    sites = {name: e for name, e in folded[0].items() if e[1] + ttl > t}
    passback = folded[1]
    passback = passback if passback and passback[0] in sites else None
    anomaly = None
    current = sites.get(site)
    if direction == "in":
        if current is None:
            sites[site] = [t, t, zone]
            anomaly = "multi_site" if len(sites) > 1 else None
        else:
            if perimeter:
                passback, anomaly = [site, t], "passback"
            sites[site] = [current[0], max(current[1], t), zone]
    elif current is not None and perimeter:
        del sites[site]
        passback = None if passback and passback[0] == site else passback
    elif current is not None:
        sites[site] = [current[0], max(current[1], t), parent]
    else:
        anomaly = "exit_without_entry"
    return sites, passback, anomaly


def _upgrade(stored: Any) -> dict[str, Any] | None:
    """A stored state as this version reads it: the older form (``sites`` and ``passback``,
    no history) becomes the base of an empty log."""
    if stored is None:
        return None
    if "log" in stored:
        return stored  # type: ignore[no-any-return]
    base = _copy(stored)
    return {"base": base, "cut": None, "log": []}


def _copy(state: Any) -> dict[str, Any]:
    state = state or {}
    return {
        "sites": {site: list(entry) for site, entry in (state.get("sites") or {}).items()},
        "passback": list(state["passback"]) if state.get("passback") else None,
    }
