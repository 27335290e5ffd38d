"""One person's working day as facts: on site, from home, or travelling between sites.

The building blocks are shared by normal behaviour and by incidents (an incident is usually a
normal day with something added), so both produce the same shapes of records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from correlator.sim.facts import Badge, Fact, IdsAlert, Lease, Logon, Traffic, Vpn
from correlator.sim.org import DOMAIN, Org, SimPerson, SimSite
from correlator.sim.writers import token

CLOUD_APPS = ("ms-office365", "google-base", "ssl", "web-browsing", "slack-base", "zoom")
BACKUP_APPS = ("ms-onedrive-uploading", "google-drive-web", "dropbox-uploading")
_BENIGN_HIGH = (
    ("ET INFO Executable Download from dotted-quad Host", 2016141, "Potentially Bad Traffic"),
    (
        "ET POLICY Dropbox.com Offsite File Backup in Use",
        2012647,
        "Potential Corporate Privacy Violation",
    ),
)


def local(site: SimSite, day: date, hours: float) -> datetime:
    """UTC time of ``hours`` after local midnight of ``day`` at ``site`` (may pass midnight)."""
    midnight = datetime.combine(day, time(0), ZoneInfo(site.tz))
    return (midnight + timedelta(hours=hours)).astimezone(UTC)


def public_ip(rng: random.Random, first: tuple[int, ...] = (23, 34, 52, 104, 142, 151)) -> str:
    a, b, c = rng.randrange(1, 255), rng.randrange(0, 255), rng.randrange(1, 255)
    return f"{rng.choice(first)}.{a}.{b}.{c}"


def random_mac(rng: random.Random, prefix: str) -> str:
    """A MAC with a vendor ``prefix`` (``"da:a1:19"``) and a random device part."""
    return prefix + "".join(f":{rng.randrange(256):02x}" for _ in range(3))


@dataclass(slots=True)
class Pools:
    """Address pools: DHCP on each site's office and guest networks, and the VPN pools."""

    counters: dict[str, int] = field(default_factory=dict)

    def _next(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def office(self, site: SimSite) -> str:
        k = self._next(f"office:{site.id}")
        return f"10.{site.index}.{100 + (k // 250) % 100}.{1 + k % 250}"

    def guest(self, site: SimSite) -> str:
        return f"172.16.{site.index}.{10 + self._next(f'guest:{site.id}') % 240}"

    def vpn(self, site: SimSite) -> str:
        k = self._next(f"vpn:{site.id}")
        return f"10.{100 + site.index}.{(k // 250) % 250}.{1 + k % 250}"


@dataclass(slots=True)
class Day:
    """Facts of one day under construction, plus what door cameras must count."""

    rng: random.Random
    org: Org
    pools: Pools
    facts: list[Fact] = field(default_factory=list)
    extra_crossers: dict[tuple[str, datetime], int] = field(default_factory=dict)

    def add(self, fact: Fact) -> None:
        self.facts.append(fact)

    def seconds(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=self.rng.uniform(low, high))

    def badge(
        self,
        p: SimPerson,
        site: SimSite,
        door: str,
        direction: str,
        when: datetime,
        granted: bool = True,
        reason: str | None = None,
    ) -> None:
        reader = site.reader(door, direction)
        self.add(Badge(when, site.id, site.door(door), reader, p.badge, p.name, granted, reason))

    def logon(
        self,
        p: SimPerson,
        computer: str,
        when: datetime,
        event_id: Literal[4624, 4625] = 4624,
        logon_type: int = 2,
        src_ip: str | None = "127.0.0.1",
    ) -> str:
        logon_id = f"0x{token(p.id, computer, when, size=3):x}"
        self.add(Logon(when, computer, p.username, DOMAIN, event_id, logon_type, src_ip, logon_id))
        return logon_id

    def logoff(self, p: SimPerson, computer: str, when: datetime, logon_id: str, kind: int) -> None:
        self.add(Logon(when, computer, p.username, DOMAIN, 4634, kind, None, logon_id))

    def browse(self, p: SimPerson, ip: str, start: datetime, end: datetime, flows: int) -> None:
        span = max((end - start).total_seconds(), 60.0)
        for _ in range(flows):
            when = start + timedelta(seconds=self.rng.uniform(0, span))
            sent = int(self.rng.lognormvariate(10, 1.5))
            self.add(
                Traffic(
                    when,
                    ip,
                    public_ip(self.rng),
                    443,
                    p.username,
                    self.rng.choice(CLOUD_APPS),
                    sent,
                    sent * self.rng.randint(2, 30),
                    self.rng.randint(1, 900),
                )
            )

    def vpn_session(
        self, p: SimPerson, start: datetime, end: datetime, public: str, machine: str | None = None
    ) -> str:
        ip = self.pools.vpn(p.site)
        self.add(Vpn(start, p.username, "gateway-connected", True, ip, public, machine or p.host))
        self.add(Vpn(end, p.username, "gateway-logout", True, ip, public, machine or p.host))
        return ip


def office_day(
    d: Day,
    p: SimPerson,
    site: SimSite,
    arrive: datetime,
    leave: datetime,
    *,
    lunch: bool = False,
    forget_exit: bool = False,
    misread: bool = False,
    noisy: bool = True,
) -> str:
    """Badge in, log on, work, log off, badge out (unless forgotten); returns the host IP."""
    rng = d.rng
    if misread:
        d.badge(p, site, "main", "in", arrive - d.seconds(6, 15), False, "CredentialReadError")
    d.badge(p, site, "main", "in", arrive)
    d.badge(p, site, "office", "in", arrive + d.seconds(25, 90))
    ip = p.ip or d.pools.office(site)
    if p.laptop or site != p.site:
        d.add(
            Lease(arrive + d.seconds(60, 150), p.mac, ip, p.host, f"10.{site.index}.200.1", 28800)
        )
    at_desk = arrive + d.seconds(120, 420)
    if noisy and rng.random() < 0.05:
        for n in range(rng.randint(1, 2)):
            d.logon(p, p.hostname, at_desk - timedelta(seconds=20 * (n + 1)), 4625)
    session = d.logon(p, p.hostname, at_desk)
    server = d.org.server(site)
    share_at = at_desk + d.seconds(300, 3600)
    share = d.logon(p, server.hostname, share_at, logon_type=3, src_ip=ip)
    d.logoff(p, server.hostname, share_at + d.seconds(1800, 7200), share, 3)
    d.browse(p, ip, at_desk, leave, rng.randint(3, 6))
    if noisy and rng.random() < 0.01:
        when = at_desk + (leave - at_desk) * rng.uniform(0.2, 0.8)
        sent = rng.randint(800_000_000, 3_000_000_000)
        d.add(
            Traffic(
                when,
                ip,
                public_ip(rng),
                443,
                p.username,
                rng.choice(BACKUP_APPS),
                sent,
                sent // 50,
                rng.randint(600, 3600),
            )
        )
    if noisy and rng.random() < 0.02:
        signature, sid, category = rng.choice(_BENIGN_HIGH)
        when = at_desk + (leave - at_desk) * rng.uniform(0.05, 0.25)  # at the desk, before lunch
        d.add(
            IdsAlert(
                when, ip, rng.randint(49152, 65000), public_ip(rng), 80, signature, sid, 1, category
            )
        )
    if lunch:
        out = local(site, arrive.astimezone(ZoneInfo(site.tz)).date(), rng.uniform(12.1, 12.6))
        back = out + d.seconds(2400, 4200)
        if arrive + timedelta(hours=1) < out and back + timedelta(hours=1) < leave:
            d.badge(p, site, "main", "out", out)
            d.badge(p, site, "main", "in", back)
            d.badge(p, site, "office", "in", back + d.seconds(25, 90))
    if p.department == "IT" and rng.random() < 0.25:
        enter = arrive + (leave - arrive) * rng.uniform(0.2, 0.7)
        d.badge(p, site, "dc", "in", enter)
        d.badge(p, site, "dc", "out", enter + d.seconds(600, 2400))
    d.logoff(p, p.hostname, leave - d.seconds(60, 300), session, 2)
    if not forget_exit:
        d.badge(p, site, "main", "out", leave)
    return ip


def remote_day(d: Day, p: SimPerson, start: datetime, end: datetime) -> None:
    """A day from home over VPN: connect, file share, browsing, disconnect."""
    if d.rng.random() < 0.03:
        d.add(
            Vpn(
                start - d.seconds(20, 60),
                p.username,
                "gateway-auth",
                False,
                None,
                p.home_ip,
                p.host,
            )
        )
    ip = d.vpn_session(p, start, end, p.home_ip)
    server = d.org.server(p.site)
    share_at = start + d.seconds(300, 1800)
    share = d.logon(p, server.hostname, share_at, logon_type=3, src_ip=ip)
    d.logoff(p, server.hostname, end - d.seconds(60, 600), share, 3)
    d.browse(p, ip, start, end, d.rng.randint(2, 4))
