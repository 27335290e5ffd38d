"""Normal life: diurnal days of every active person, and the background noise of each site.

The noise is chosen to trip naive rules: colleagues who enter together (two grants, the
camera counts two), people who forget to badge out, VPN from home after leaving, large
cloud backups in working hours, high-severity IDS alerts on hosts whose owners are at their
desk, guest phones taking leases, doors held open at the dock, a camera bumped while
cleaning, night shifts badging in after office hours, visits to another site.

``reserved`` (person id, day index) pairs belong to incidents: behaviour leaves those days
alone, and the day before them ends cleanly (badged out, no evening VPN).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from correlator.sim.day import Day, local, office_day, public_ip, random_mac, remote_day
from correlator.sim.facts import Badge, DoorAlarm, IdsAlert, Lease, Video
from correlator.sim.org import SimPerson, SimSite

_LOW_SIGNATURES = (
    ("ET POLICY curl User-Agent Outbound", 2013028, 3, "Attempted Information Leak"),
    ("ET INFO Observed DNS Query to .cloud TLD", 2027757, 3, "Potentially Bad Traffic"),
    ("ET POLICY Windows Update P2P Activity", 2027390, 3, "Not Suspicious Traffic"),
    ("ET INFO TLS Handshake Failure", 2029340, 2, "Potentially Bad Traffic"),
    ("SURICATA STREAM ESTABLISHED packet out of window", 2210020, 3, "Generic Protocol Command"),
)
_GUEST_NAMES = ("iPhone", "Galaxy-S23", "Pixel-8", "iPad", None)


def normal_day(d: Day, day: date, index: int, reserved: set[tuple[str, int]]) -> None:
    """Every active person's ``day`` (``index`` days after the start), then site noise."""
    arrivals: dict[str, list[datetime]] = {}
    for person in d.org.active():
        if (person.id, index) not in reserved:
            clean_end = (person.id, index + 1) in reserved
            _person_day(d, person, day, arrivals, clean_end)
    for site in d.org.sites:
        _site_noise(d, site, day)


def _person_day(
    d: Day, p: SimPerson, day: date, arrivals: dict[str, list[datetime]], clean_end: bool
) -> None:
    rng, site = d.rng, p.site
    weekday = day.weekday()
    if p.shift == "night":
        if rng.random() < 0.85:
            arrive = local(site, day, rng.uniform(21.5, 22.0))
            office_day(d, p, site, arrive, local(site, day, rng.uniform(30.0, 30.4)))
        return
    if weekday >= 5:
        if rng.random() < 0.03:
            arrive = local(site, day, rng.uniform(10, 13))
            office_day(d, p, site, arrive, arrive + d.seconds(7200, 14400), noisy=False)
        return
    if rng.random() < 0.05:
        return  # on leave
    if weekday in p.wfh_days:
        start = local(site, day, rng.gauss(8.6, 0.6))
        remote_day(d, p, start, local(site, day, rng.gauss(17.5, 0.7)))
        return
    if p.laptop and len(d.org.sites) > 1 and rng.random() < 0.015:
        _visit(d, p, day)
        return
    arrive = local(site, day, min(max(rng.gauss(8.75, 0.7), 7.0), 10.5))
    earlier = arrivals.setdefault(site.id, [])
    if earlier and rng.random() < 0.08:
        arrive = rng.choice(earlier) + d.seconds(1.5, 4.5)  # entering with a colleague
    earlier.append(arrive)
    leave = max(local(site, day, rng.gauss(17.75, 0.9)), arrive + timedelta(hours=6))
    forget = not clean_end and rng.random() < p.forgetful
    office_day(
        d,
        p,
        site,
        arrive,
        leave,
        lunch=rng.random() < 0.3,
        forget_exit=forget,
        misread=rng.random() < 0.03,
    )
    if not forget and not clean_end and rng.random() < 0.15:
        start = leave + d.seconds(5400, 10800)
        d.browse(
            p,
            d.vpn_session(p, start, start + d.seconds(1200, 5400), p.home_ip),
            start,
            start + timedelta(minutes=20),
            1,
        )


def _visit(d: Day, p: SimPerson, day: date) -> None:
    """Morning at home, afternoon at another site: far enough apart to be possible."""
    rng, home = d.rng, p.site
    other = rng.choice([s for s in d.org.sites if s != home])
    arrive = local(home, day, rng.uniform(8.0, 8.7))
    leave = local(home, day, rng.uniform(9.8, 10.3))
    office_day(d, p, home, arrive, leave, noisy=False)
    there = max(local(other, day, 14.5), leave + timedelta(hours=4))
    office_day(d, p, other, there, there + d.seconds(10800, 14400), noisy=False)


def _site_noise(d: Day, site: SimSite, day: date) -> None:
    rng = d.rng
    workday = day.weekday() < 5
    for _ in range(rng.randint(5, 15) if workday else rng.randint(0, 2)):
        when = local(site, day, rng.uniform(9, 17))
        mac = random_mac(rng, "da:a1:19")
        d.add(
            Lease(
                when,
                mac,
                d.pools.guest(site),
                rng.choice(_GUEST_NAMES),
                f"172.16.{site.index}.1",
                7200,
            )
        )
    for _ in range(rng.randint(1, 3) if workday else 0):
        d.add(
            DoorAlarm(
                local(site, day, rng.uniform(9, 16)), site.id, site.door("dock"), "DoorOpenTooLong"
            )
        )
    for _ in range(rng.randint(10, 30)):
        camera = rng.choice((site.camera("parking"), site.camera("lobby")))
        d.add(Video(local(site, day, rng.uniform(0, 24)), site.id, camera, "motion"))
    if workday and rng.random() < 0.1:
        d.add(Video(local(site, day, rng.uniform(10, 15)), site.id, site.camera("dock"), "tamper"))
    if rng.random() < 0.05:
        d.add(
            Video(
                local(site, day, rng.uniform(1, 4)), site.id, site.camera("parking"), "signal_loss"
            )
        )
    server = d.org.server(site)
    for _ in range(rng.randint(20, 50) if workday else rng.randint(5, 10)):
        signature, sid, severity, category = rng.choice(_LOW_SIGNATURES)
        src = f"10.{site.index}.{rng.randrange(1, 3)}.{rng.randrange(1, 250)}"
        d.add(
            IdsAlert(
                local(site, day, rng.uniform(0, 24)),
                src,
                rng.randint(49152, 65000),
                public_ip(rng),
                443,
                signature,
                sid,
                severity,
                category,
            )
        )
    for _ in range(rng.randint(0, 2)):
        d.add(
            IdsAlert(
                local(site, day, rng.uniform(0, 24)),
                public_ip(rng),
                rng.randint(1024, 65000),
                server.ip,
                445,
                "ET SCAN Suspicious inbound to MSSQL port 1433",
                2010935,
                1,
                "Potentially Bad Traffic",
            )
        )


def count_crossings(d: Day) -> None:
    """People counters of the cameras that watch entrances: one count per group entering.

    Grants at an entry reader within 6 s of each other are one group; the camera reports the
    group's size a few seconds after the last grant, plus anyone who slipped in behind them
    (``extra_crossers``, set by tailgating incidents).
    """
    watched = {
        site.door(door): (site, site.camera(camera))
        for site in d.org.sites
        for door, camera in (("main", "lobby"), ("dock", "dock"))
    }
    grants = sorted(
        (
            f
            for f in d.facts
            if isinstance(f, Badge) and f.granted and f.door in watched and f.reader.endswith("-in")
        ),
        key=lambda f: (f.door, f.time),
    )
    group: list[Badge] = []
    for grant in [*grants, None]:
        if group and (
            grant is None
            or grant.door != group[-1].door
            or grant.time - group[-1].time > timedelta(seconds=6)
        ):
            site, camera = watched[group[-1].door]
            extra = sum(d.extra_crossers.get((g.door, g.time), 0) for g in group)
            when = group[-1].time + d.seconds(3, 6)
            d.add(Video(when, site.id, camera, "count", len(group) + extra))
            group = []
        if grant is not None:
            group.append(grant)
