"""The throughput baseline: three shipped rules hand-written in plain Python.

What a developer would write for ``badge-in-remote-login``, ``tailgating`` and
``bruteforce-success-while-absent`` alone: dictionaries built from the directory, presence
kept as "last passage per person", per-key lists trimmed to the window, events taken in
arrival order (no lateness handling, no persistence, no alert documents). It reads the same
validated ``Event`` objects as the engine. Its alerts follow the rules' intent closely but
not exactly (runs, ties and late events are simplified); it is a speed reference, not an
oracle.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from typing import Any

from correlator.identity import normalize
from correlator.identity.directory import Directory, Reader
from correlator.model import Event

BASELINE_RULES = ("badge-in-remote-login", "tailgating", "bruteforce-success-while-absent")
PRESENCE_TTL = 16 * 3600.0
REMOTE_WINDOW, REMOTE_SUPPRESS = 12 * 3600.0, 3600.0
TAILGATE_WINDOW = 60.0
BRUTE_WINDOW, BRUTE_COUNT, BRUTE_SUPPRESS = 600.0, 5, 1800.0


class Baseline:
    def __init__(self, directory: Directory) -> None:
        self.badges: dict[str, str] = {}
        self.accounts: dict[str, str] = {}
        for person in directory.people:
            for credential in person.credentials:
                self.badges[normalize.badge(credential.badge)] = person.id
            for account in person.accounts:
                self.accounts[normalize.account(account.username)] = person.id
                if account.upn:
                    self.accounts[normalize.account_user(account.upn)] = person.id
        # door id → (site, direction, perimeter); reader id → (door id, direction)
        self.doors: dict[str, tuple[str, str, bool]] = {}
        self.readers: dict[str, tuple[str, str]] = {}
        for door in directory.doors:
            perimeter = door.zone is None if door.perimeter is None else door.perimeter
            self.doors[door.id] = (door.site, door.direction, perimeter)
            for reader in door.readers:
                if isinstance(reader, Reader):
                    self.readers[reader.id] = (door.id, reader.direction)
                else:
                    self.readers[reader] = (door.id, door.direction)
        self.cameras = {c.id: (c.site, frozenset(c.doors)) for c in directory.cameras}
        self.networks = {s.id: [n.cidr for n in s.networks] for s in directory.sites}
        self.presence: dict[str, tuple[str, float]] = {}  # person → (site, since)
        self.badged: dict[str, tuple[float, str, str]] = {}  # person → (time, site, door)
        self.granted: dict[str, deque[tuple[float, str, str]]] = {}  # site → (t, door, badge)
        self.failures: dict[str, deque[float]] = {}
        self.suppressed: dict[tuple[str, str], float] = {}
        self.alerts: list[str] = []

    def on_event(self, event: Event) -> None:
        domain, activity = event.domain, event.activity
        if domain == "access" and activity == "access_granted":
            self._granted(event)
        elif domain in ("vpn", "auth") and activity in ("connect", "logon"):
            self._logon(event)
        elif domain == "video" and activity in ("people_count", "line_crossing"):
            self._crossing(event)

    def _person_of_account(self, event: Event) -> str | None:
        account = event.actor.account if event.actor else None
        return None if account is None else self.accounts.get(normalize.account_user(account))

    def _on_site(self, person: str, t: float) -> str | None:
        found = self.presence.get(person)
        return found[0] if found is not None and t - found[1] <= PRESENCE_TTL else None

    def _granted(self, event: Event) -> None:
        where = event.location
        door_id: str | None = None
        direction: str | None = None
        if where is not None and where.door:
            door_id = where.door
        elif where is not None and where.reader:
            door_id, direction = self.readers.get(where.reader, (None, None))
        door = self.doors.get(door_id) if door_id else None
        if door is None or door_id is None:
            return
        credential = event.actor.credential if event.actor else None
        person = self.badges.get(normalize.badge(credential)) if credential else None
        site, door_direction, perimeter = door
        t = event.time.timestamp()
        if person is not None:
            self.badged[person] = (t, site, door_id)
            direction = direction or door_direction
            if direction == "in":
                self.presence[person] = (site, t)
            elif direction == "out" and perimeter:
                self.presence.pop(person, None)
        if event.outcome == "success" and credential is not None:
            recent = self.granted.setdefault(site, deque())
            recent.append((t, door_id, credential))
            while recent and t - recent[0][0] > TAILGATE_WINDOW:
                recent.popleft()

    def _logon(self, event: Event) -> None:
        person = self._person_of_account(event)
        if person is None:
            return
        t = event.time.timestamp()
        if event.outcome == "failure":
            failures = self.failures.setdefault(person, deque(maxlen=BRUTE_COUNT))
            failures.append(t)
            return
        if event.outcome != "success":
            return
        site = self._on_site(person, t)
        if site is None:
            recent = self.failures.get(person)
            if recent and len(recent) == BRUTE_COUNT and t - recent[0] <= BRUTE_WINDOW:
                del self.failures[person]
                self._fire("bruteforce-success-while-absent", person, t, BRUTE_SUPPRESS)
        elif event.domain == "vpn":
            self._remote(event, person, site, t)

    def _remote(self, event: Event, person: str, site: str, t: float) -> None:
        badge = self.badged.get(person)
        if badge is None or t - badge[0] > REMOTE_WINDOW or badge[1] != site:
            return
        public = event.attrs.get("public_ip")
        if isinstance(public, str) and _inside(public, self.networks.get(site, [])):
            return
        del self.badged[person]
        self._fire("badge-in-remote-login", person, t, REMOTE_SUPPRESS)

    def _crossing(self, event: Event) -> None:
        camera = self.cameras.get(event.location.camera or "") if event.location else None
        count = event.attrs.get("count")
        if camera is None or not isinstance(count, int):
            return
        site, doors = camera
        recent = self.granted.get(site)
        if not recent:
            return
        t = event.time.timestamp()
        taken = [g for g in recent if g[1] in doors and t - g[0] <= TAILGATE_WINDOW]
        if not taken:
            return
        self.granted[site] = deque(g for g in recent if g[1] not in doors)
        if count > len({g[2] for g in taken}):
            self._fire("tailgating", site, t, 0.0)

    def _fire(self, rule: str, key: str, t: float, suppress: float) -> None:
        until = self.suppressed.get((rule, key))
        if until is not None and t < until:
            return
        if suppress:
            self.suppressed[rule, key] = t + suppress
        self.alerts.append(f"{rule}|{key}|{t}")


def _inside(address: str, networks: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
