"""Injected incidents, one kind per shipped rule, each labelled for ``truth.jsonl``.

An incident takes a person (and that whole day, see ``reserved``) or a site at a random
time, writes the facts that make it detectable, and records what a correct rule should
report: the rule id, the entity (``{type, id}`` as the alert's entity would say it), other
spellings of the same entity (``aliases``: a door's camera, a person's account), the time
range of the evidence and other rules that may rightly fire on the same facts (``also``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from correlator.sim.day import Day, local, office_day, public_ip, random_mac
from correlator.sim.facts import Badge, DoorAlarm, IdsAlert, Lease, Traffic, Video, Vpn
from correlator.sim.org import SimPerson, SimSite

RULES = (
    "tailgating",
    "badge-in-remote-login",
    "logon-without-presence",
    "ids-alert-owner-absent",
    "terminated-credential-use",
    "badge-impossible-travel",
    "door-forced-then-network",
    "camera-tamper-then-access",
    "after-hours-access-exfil",
    "badge-denied-and-logon-failures",
    "bruteforce-success-while-absent",
    "concurrent-sessions-two-sites",
)
"""The rule ids incidents are generated for, in the order of the issue."""

Entity = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    rule: str
    entity: Entity
    start: datetime
    end: datetime
    aliases: tuple[Entity, ...] = ()
    also: tuple[str, ...] = ()
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "incident": self.id,
            "rule": self.rule,
            "entity": {"type": self.entity[0], "id": self.entity[1]},
            "aliases": [{"type": t, "id": i} for t, i in self.aliases],
            "start": self.start,
            "end": self.end,
            "also": list(self.also),
            "description": self.description,
        }


def _attacker(rng: random.Random) -> str:
    """An address of a hosting provider or anonymiser, far from any site."""
    return public_ip(rng, (185, 45, 194))


def _person_aliases(p: SimPerson) -> tuple[Entity, ...]:
    return (
        ("field", f"actor.account={p.account}"),
        ("field", f"actor.account={p.username}"),
        ("field", f"actor.credential={p.badge}"),
        ("host", p.host),
    )


@dataclass(slots=True)
class Injector:
    """Plans incidents before normal behaviour runs, so their days can be reserved."""

    d: Day
    days: list[tuple[int, date]]  # (index, date) of whole weekdays inside the simulation
    incidents: list[Incident] = field(default_factory=list)
    reserved: set[tuple[str, int]] = field(default_factory=set)
    _used: set[str] = field(default_factory=set)
    _round: int = 0

    def run(self, per_rule: int) -> None:
        makers: dict[str, Callable[[int, date], None]] = {
            "tailgating": self.tailgating,
            "badge-in-remote-login": self.remote_login,
            "logon-without-presence": self.logon_absent,
            "ids-alert-owner-absent": self.ids_absent,
            "terminated-credential-use": self.leaver,
            "badge-impossible-travel": self.travel,
            "door-forced-then-network": self.forced_network,
            "camera-tamper-then-access": self.tamper_access,
            "after-hours-access-exfil": self.exfil,
            "badge-denied-and-logon-failures": self.denied_failures,
            "bruteforce-success-while-absent": self.bruteforce,
            "concurrent-sessions-two-sites": self.concurrent,
        }
        for self._round in range(per_rule):
            for rule in RULES:
                index, day = self.d.rng.choice(self.days)
                makers[rule](index, day)

    # -- helpers ---------------------------------------------------------------------------

    def _person(self, index: int, desktop: bool = False) -> SimPerson:
        pool = [
            p
            for p in self.d.org.active()
            if p.shift == "day" and p.id not in self._used and (not desktop or not p.laptop)
        ]
        if not pool:
            pool = [p for p in self.d.org.active() if p.shift == "day" and not p.laptop]
        person = self.d.rng.choice(pool)
        self._used.add(person.id)
        self.reserved.add((person.id, index))
        return person

    def _label(
        self,
        rule: str,
        entity: Entity,
        start: datetime,
        end: datetime,
        aliases: tuple[Entity, ...] = (),
        also: tuple[str, ...] = (),
        description: str = "",
    ) -> None:
        number = len(self.incidents) + 1
        self.incidents.append(
            Incident(f"inc-{number:03d}", rule, entity, start, end, aliases, also, description)
        )

    def _workday(self, p: SimPerson, day: date) -> tuple[datetime, datetime]:
        rng = self.d.rng
        arrive = local(p.site, day, rng.uniform(8.0, 9.5))
        leave = local(p.site, day, rng.uniform(17.0, 18.5))
        return arrive, leave

    def _site(self) -> SimSite:
        """Sites in turn, so two incidents of a site-keyed rule do not share a suppression."""
        return self.d.org.sites[self._round % len(self.d.org.sites)]

    # -- one method per rule ---------------------------------------------------------------

    def tailgating(self, index: int, day: date) -> None:
        p = self._person(index)
        arrive, leave = self._workday(p, day)
        office_day(self.d, p, p.site, arrive, leave, noisy=False)
        door = p.site.door("main")
        self.d.extra_crossers[(door, arrive)] = 1
        self._label(
            "tailgating",
            ("location", door),
            arrive,
            arrive + timedelta(seconds=8),
            (("location", p.site.camera("lobby")), ("site", p.site.id)),
            description=f"{p.name} badged in; the lobby camera counted two people",
        )

    def remote_login(self, index: int, day: date) -> None:
        p = self._person(index)
        arrive, leave = self._workday(p, day)
        office_day(self.d, p, p.site, arrive, leave, noisy=False)
        at = arrive + self.d.seconds(3600, 4 * 3600)
        self.d.vpn_session(
            p, at, at + self.d.seconds(900, 2700), _attacker(self.d.rng), "DESKTOP-7QX1"
        )
        self._label(
            "badge-in-remote-login",
            ("person", p.id),
            arrive,
            at,
            _person_aliases(p),
            description=f"{p.name} on site; VPN logon with their account from outside",
        )

    def logon_absent(self, index: int, day: date) -> None:
        p = self._person(index, desktop=True)
        at = local(p.site, day, self.d.rng.uniform(10, 16))
        session = self.d.logon(p, p.hostname, at)
        self.d.logoff(p, p.hostname, at + self.d.seconds(600, 1800), session, 2)
        self._label(
            "logon-without-presence",
            ("person", p.id),
            at,
            at,
            _person_aliases(p),
            description=f"interactive logon on {p.host} while {p.name} is not on site",
        )

    def ids_absent(self, index: int, day: date) -> None:
        p = self._person(index, desktop=True)
        at = local(p.site, day, self.d.rng.uniform(10, 16))
        assert p.ip is not None
        self.d.add(
            IdsAlert(
                at,
                p.ip,
                50122,
                _attacker(self.d.rng),
                443,
                "ET MALWARE Cobalt Strike Beacon Observed",
                2032749,
                1,
                "A Network Trojan was detected",
            )
        )
        self._label(
            "ids-alert-owner-absent",
            ("person", p.id),
            at,
            at,
            _person_aliases(p),
            description=f"C2 beacon from {p.host}; {p.name} is not on site",
        )

    def leaver(self, index: int, day: date) -> None:
        rng = self.d.rng
        p = rng.choice(self.d.org.leavers())
        at = local(p.site, day, rng.uniform(9, 17))
        how = len(self.incidents) % 3
        if how == 2:
            self.d.add(
                Vpn(
                    at,
                    p.username,
                    "gateway-connected",
                    True,
                    self.d.pools.vpn(p.site),
                    _attacker(rng),
                    "LAPTOP-X2",
                )
            )
        else:
            site = p.site
            self.d.badge(
                p,
                site,
                "main",
                "in",
                at,
                granted=how == 0,
                reason=None if how == 0 else "CredentialNotActive",
            )
        self._label(
            "terminated-credential-use",
            ("person", p.id),
            at,
            at,
            _person_aliases(p),
            description=f"{p.status} {p.name}: " + ("VPN" if how == 2 else "badge"),
        )

    def travel(self, index: int, day: date) -> None:
        p = self._person(index)
        arrive, leave = self._workday(p, day)
        office_day(self.d, p, p.site, arrive, leave, noisy=False)
        other = self.d.rng.choice([s for s in self.d.org.sites if s != p.site])
        # faster than an airliner: at most 0.7 of the time a 900 km/h flight would take
        flight = p.site.distance_km(other) / 900 * 3600
        at = arrive + self.d.seconds(0.2 * flight, 0.7 * flight)
        self.d.badge(p, other, "main", "in", at)
        self._label(
            "badge-impossible-travel",
            ("person", p.id),
            arrive,
            at,
            _person_aliases(p),
            # The badge at the other site moves the person's presence there: a logon at the
            # desk back home after it (at most 420 s after arriving, within the 1m window and
            # the slack of the other badge: sites are 340 km apart or more) rightly fires.
            ("logon-without-presence",),
            description=f"{p.name} badged at {p.site.id}, then at {other.id}",
        )

    def forced_network(self, index: int, day: date) -> None:
        rng, site = self.d.rng, self._site()
        door = site.door(rng.choice(("dock", "dc-in")))
        at = local(site, day, rng.uniform(22.0, 23.3))
        self.d.add(DoorAlarm(at, site.id, door, "DoorForcedOpen"))
        ip = self.d.pools.office(site)
        mac = random_mac(rng, "3c:22:fb")
        lease = at + self.d.seconds(120, 480)
        self.d.add(Lease(lease, mac, ip, "kali", f"10.{site.index}.200.1", 3600))
        scan = lease + self.d.seconds(60, 240)
        self.d.add(
            IdsAlert(
                scan,
                ip,
                41000,
                self.d.org.server(site).ip,
                445,
                "ET SCAN Nmap Scripting Engine User-Agent Detected",
                2009358,
                1,
                "Web Application Attack",
            )
        )
        self._label(
            "door-forced-then-network",
            ("location", door),
            at,
            scan,
            (("site", site.id),),
            ("door-forced-no-badge",),
            description=f"{door} forced, then an unknown device joined {site.id}",
        )

    def tamper_access(self, index: int, day: date) -> None:
        rng, site = self.d.rng, self._site()
        at = local(site, day, rng.uniform(22.0, 23.3))
        self.d.add(Video(at, site.id, site.camera("dock"), "tamper"))
        then = at + self.d.seconds(90, 360)
        door = site.door("dock")
        if len(self.incidents) % 2:
            self.d.add(DoorAlarm(then, site.id, door, "DoorForcedOpen"))
        else:
            reader = site.reader("dock", "in")
            self.d.add(
                Badge(
                    then,
                    site.id,
                    door,
                    reader,
                    f"{rng.randrange(10**7):08d}",
                    None,
                    False,
                    "CredentialNotFound",
                )
            )
        self._label(
            "camera-tamper-then-access",
            ("location", door),
            at,
            then,
            (("location", site.camera("dock")), ("site", site.id)),
            ("door-forced-no-badge",),
            description=f"{site.camera('dock')} tampered, then {door} opened",
        )

    def exfil(self, index: int, day: date) -> None:
        rng = self.d.rng
        p = self._person(index, desktop=True)
        arrive, leave = self._workday(p, day)
        office_day(self.d, p, p.site, arrive, leave, noisy=False)
        back = local(p.site, day, rng.uniform(21.5, 22.5))
        ip = office_day(self.d, p, p.site, back, back + self.d.seconds(4500, 5400), noisy=False)
        at = back + self.d.seconds(900, 2400)
        sent = rng.randint(2_000_000_000, 6_000_000_000)
        self.d.add(
            Traffic(
                at,
                ip,
                _attacker(rng),
                443,
                p.username,
                "mega",
                sent,
                sent // 200,
                rng.randint(900, 2400),
            )
        )
        self._label(
            "after-hours-access-exfil",
            ("person", p.id),
            back,
            at,
            _person_aliases(p),
            description=f"{p.name} came back at night; {sent // 10**6} MB uploaded",
        )

    def denied_failures(self, index: int, day: date) -> None:
        p = self._person(index)
        arrive, leave = self._workday(p, day)
        office_day(self.d, p, p.site, arrive, leave, noisy=False)
        at = arrive + (leave - arrive) * self.d.rng.uniform(0.3, 0.6)
        for n in range(3):
            self.d.badge(
                p, p.site, "dc", "in", at + timedelta(seconds=25 * n), False, "AccessDenied"
            )
        server = self.d.org.server(p.site).hostname
        for n in range(4):
            when = at + timedelta(seconds=120 + 40 * n)
            self.d.logon(p, server, when, 4625, 3, f"10.{p.site.index}.150.{20 + n}")
        self._label(
            "badge-denied-and-logon-failures",
            ("person", p.id),
            at,
            at + timedelta(seconds=240),
            _person_aliases(p),
            description=f"{p.name}: three refusals at the server room, four bad passwords",
        )

    def bruteforce(self, index: int, day: date) -> None:
        p = self._person(index)
        rng = self.d.rng
        at = local(p.site, day, rng.uniform(10, 16))
        server = self.d.org.server(p.site).hostname
        src = f"10.{p.site.index}.150.{rng.randrange(100, 200)}"
        for n in range(8):
            self.d.logon(p, server, at + timedelta(seconds=7 * n), 4625, 3, src)
        success = at + timedelta(seconds=70)
        self.d.logon(p, server, success, 4624, 3, src)
        self._label(
            "bruteforce-success-while-absent",
            ("person", p.id),
            at,
            success,
            _person_aliases(p),
            description=f"eight failures then a success as {p.account}; {p.name} away",
        )

    def concurrent(self, index: int, day: date) -> None:
        p = self._person(index, desktop=True)
        arrive, leave = self._workday(p, day)
        office_day(self.d, p, p.site, arrive, leave, noisy=False)
        other = self.d.rng.choice([s for s in self.d.org.sites if s != p.site])
        at = arrive + self.d.seconds(2 * 3600, 4 * 3600)
        server = self.d.org.server(other).hostname
        session = self.d.logon(
            p, server, at, 4624, 10, f"10.{other.index}.150.{self.d.rng.randrange(2, 99)}"
        )
        self.d.logoff(p, server, at + self.d.seconds(900, 1800), session, 10)
        self._label(
            "concurrent-sessions-two-sites",
            ("person", p.id),
            arrive,
            at,
            _person_aliases(p),
            ("logon-without-presence",),
            description=f"{p.account} on {p.host} at {p.site.id} and {server}",
        )
