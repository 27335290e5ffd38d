"""``Identity``: the directory, learned bindings and presence behind the engine's view.

The engine calls :meth:`Identity.observe` once per event (learn, then resolve) and
:meth:`Identity.attribute` per rule predicate. Everything learned lives in the ``Store``
(plain JSON), mirrored in memory for the hot path; a new ``Identity`` over the same store
answers the same. When several processes share the store (workers over a global table),
``mirror=False`` reads it on every lookup, so what one learns the others see at once. The
directory can be swapped with :meth:`Identity.reload` without losing what was learned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from correlator.errors import DirectoryError
from correlator.identity.attributes import Attributes
from correlator.identity.bindings import BindingLimits, Bindings
from correlator.identity.checks import check
from correlator.identity.directory import Directory, Door
from correlator.identity.index import DirectoryIndex
from correlator.identity.loader import format_problems, load_directory
from correlator.identity.presence import Passage, Presence
from correlator.identity.resolution import Found, Resolver
from correlator.identity.view import IdentityView
from correlator.model import Event, Resolved
from correlator.state import DictStore, Store

_SWEEP_EVERY = 3600.0  # event-time seconds between prunes of every history
_DIRECTIONS = {"in": "in", "entry": "in", "enter": "in", "out": "out", "exit": "out"}


@dataclass
class IdentityStats:
    """Counters for the runtime to export (the core imports no metrics library)."""

    events: int = 0
    resolved: dict[str, int] = field(default_factory=dict)  # person / host / location / site
    unresolved: dict[str, int] = field(default_factory=dict)  # identifier kind → count
    learned: dict[str, int] = field(default_factory=dict)  # binding kind → count
    anomalies: dict[str, int] = field(default_factory=dict)  # passback / multi_site / ...
    reloads: int = 0


class Identity:
    """Resolves people, hosts and places of events; implements ``IdentityView``."""

    def __init__(
        self,
        directory: Directory,
        store: Store | None = None,
        presence_ttl: timedelta = timedelta(hours=16),
        *,
        limits: BindingLimits | None = None,
        mirror: bool = True,
        lateness: timedelta = timedelta(0),
    ) -> None:
        self.stats = IdentityStats()
        self.index = _build(directory)
        self.store: Store = store if store is not None else DictStore()
        self.bindings = Bindings(self.store, limits or BindingLimits(), mirror=mirror)
        self.presence = Presence(self.store, presence_ttl, lateness=lateness, mirror=mirror)
        self._resolver = Resolver(self.index, self.bindings)
        self._attributes = Attributes(self)
        self._newest = float("-inf")
        self._before = float("-inf")  # the newest event time before the latest that moved it
        self._last_sweep = float("-inf")
        self._last: tuple[str, Resolved] | None = None

    @property
    def directory(self) -> Directory:
        return self.index.directory

    def reload(self, directory: Directory) -> None:
        """Swap the directory; learned bindings and presence stay. Invalid: nothing changes."""
        index = _build(directory)
        self.index = index
        self._resolver = Resolver(index, self.bindings)
        self._attributes.reset()
        self._last = None
        self.stats.reloads += 1

    def observe(self, event: Event) -> Event:
        """Learn bindings and presence from ``event``; return it with ``resolved`` filled."""
        t = event.time.timestamp()
        self._attributes.forget()
        self._advance(t)
        found = self._resolver.resolve(event, t)
        learned = self.bindings.learn(event, t, found.host_key)
        if learned is not None:
            _count(self.stats.learned, learned)
        self._update_presence(event, found, t)
        self._count(found.resolved)
        return event.model_copy(update={"resolved": found.resolved})

    def attribute(self, event: Event, path: str) -> Any:
        """Derived or directory attribute for ``event`` (see :mod:`.attributes`), or ``None``."""
        return self._attributes.read(event, path)

    def resolve(self, event: Event) -> Resolved:
        """Resolution without learning or counting (for an event that skipped ``observe``)."""
        if self._last is not None and self._last[0] == event.id:
            return self._last[1]
        resolved = self._resolver.resolve(event, event.time.timestamp()).resolved
        self._last = (event.id, resolved)
        return resolved

    def sweep(self) -> None:
        """Drop bindings and presence that ended more than the retention before the newest
        event time. ``observe`` calls it every hour of event time.

        Presence is swept against the newest time *before* the latest event that moved it:
        the engine settles events already read when that event moves its watermark, and asks
        about their presence then; a jump in event time (a quiet night, a clock event) must
        not sweep away what they need."""
        self.bindings.sweep(self._newest)
        self.presence.sweep(self._before)
        self._last_sweep = self._newest

    def _advance(self, t: float) -> None:
        if t > self._newest:
            self._before = self._newest
            self._newest = t
            if t - self._last_sweep >= _SWEEP_EVERY:
                self.sweep()

    def _update_presence(self, event: Event, found: Found, t: float) -> None:
        person, door = found.resolved.person, found.door
        if (
            event.domain != "access"
            or event.activity != "access_granted"
            or event.outcome != "success"
            or person is None
            or door is None
        ):
            return
        direction = _direction(event, door, found.reader_direction)
        if direction is None:
            return
        zone = self.index.zones.get(door.zone) if door.zone else None
        perimeter = door.zone is None if door.perimeter is None else door.perimeter
        passage = Passage(door.site, door.zone, zone.parent if zone else None, perimeter, direction)
        anomaly = self.presence.update(person.id, passage, t)
        if anomaly is not None:
            _count(self.stats.anomalies, anomaly)

    def _count(self, resolved: Resolved) -> None:
        stats = self.stats
        stats.events += 1
        for kind in ("person", "host", "location", "site"):
            if getattr(resolved, kind) is not None:
                _count(stats.resolved, kind)
        for item in resolved.unresolved:
            _count(stats.unresolved, item.partition(":")[0])


class DirectoryWatcher:
    """Reloads an :class:`Identity` when its directory file changes (by mtime).

    Call :meth:`poll` now and then (e.g. every few seconds from the runtime). An invalid new
    file raises :class:`DirectoryError` once and leaves the running directory in place.
    """

    def __init__(self, path: Path, identity: Identity) -> None:
        self.path = path
        self.identity = identity
        self._mtime = _mtime(path)

    def poll(self) -> bool:
        """Reload if the file changed since the last poll; True when it was reloaded."""
        mtime = _mtime(self.path)
        if mtime == self._mtime:
            return False
        self._mtime = mtime
        self.identity.reload(load_directory(self.path))
        return True


def _build(directory: Directory) -> DirectoryIndex:
    problems = check(directory)
    if problems:
        raise DirectoryError(format_problems(problems))
    return DirectoryIndex(directory)


def _direction(event: Event, door: Door, reader_direction: str | None) -> str | None:
    if reader_direction is not None:
        return reader_direction
    if door.direction != "both":
        return door.direction
    said = event.attrs.get("direction")
    return _DIRECTIONS.get(said.lower()) if isinstance(said, str) else None


def _count(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


if TYPE_CHECKING:  # the engine's contract: mypy fails here if Identity drifts from it
    _conforms: IdentityView = Identity(Directory())
