"""From facts to files: which device reports what, with its clock skew and upload delays.

Feeds (one file each, listed in ``manifest.json`` with their format):

- ``doors-<site>``: the site's door controllers; even-numbered sites stream ONVIF, the
  others upload a vendor CSV export in batches (records arrive up to ``MAX_UPLOAD_DELAY``
  late, so the file is out of event-time order);
- ``video``: every camera's analytics, ONVIF;
- ``ids``: Suricata EVE alerts; ``dhcp``: Zeek dhcp.log; ``firewall``: PAN-OS TRAFFIC and
  GlobalProtect; ``logons``: Windows Security events from winlogbeat.

Each feed has a constant clock skew: a second at most for door controllers and cameras (they
share the site's time server), up to 20 s for the others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from correlator.sim.facts import Badge, DoorAlarm, Fact, IdsAlert, Lease, Logon, Traffic, Video, Vpn
from correlator.sim.org import Org
from correlator.sim.writers import Writer
from correlator.sim.writers.csvdoors import CsvDoorsWriter
from correlator.sim.writers.onvif import OnvifWriter
from correlator.sim.writers.panos import PanosWriter
from correlator.sim.writers.suricata import SuricataWriter
from correlator.sim.writers.winevent import WinEventWriter
from correlator.sim.writers.zeek import ZeekDhcpWriter

MAX_UPLOAD_DELAY = timedelta(seconds=120)
LATENESS = "3m"
"""Allowed lateness to replay the feeds with: above the longest upload delay plus skews."""


@dataclass(slots=True)
class Feed:
    name: str
    writer: Writer
    skew: timedelta
    batched: bool = False

    @property
    def path(self) -> str:
        return f"{self.name}{self.writer.suffix}"


def plan_feeds(org: Org, rng: random.Random) -> dict[str, Feed]:
    feeds: dict[str, Feed] = {}
    for site in org.sites:
        skew = timedelta(milliseconds=rng.randint(-1000, 1000))
        batched = site.index % 2 == 0
        writer: Writer = CsvDoorsWriter(site.tz) if batched else OnvifWriter()
        feeds[f"doors-{site.id}"] = Feed(f"doors-{site.id}", writer, skew, batched)
    feeds["video"] = Feed("video", OnvifWriter(), timedelta(milliseconds=rng.randint(-1000, 1000)))
    for name, writer in (
        ("ids", SuricataWriter()),
        ("dhcp", ZeekDhcpWriter()),
        ("firewall", PanosWriter()),
        ("logons", WinEventWriter()),
    ):
        feeds[name] = Feed(name, writer, timedelta(milliseconds=rng.randint(-20000, 20000)))
    return feeds


def route(fact: Fact) -> str:
    if isinstance(fact, Badge | DoorAlarm):
        return f"doors-{fact.site}"
    if isinstance(fact, Video):
        return "video"
    if isinstance(fact, IdsAlert):
        return "ids"
    if isinstance(fact, Lease):
        return "dhcp"
    if isinstance(fact, Traffic | Vpn):
        return "firewall"
    if isinstance(fact, Logon):
        return "logons"
    raise TypeError(f"no feed for {type(fact).__name__}")


def write_feeds(
    feeds: dict[str, Feed],
    facts: list[Fact],
    out: Path,
    start: datetime,
    end: datetime,
    rng: random.Random,
) -> dict[str, int]:
    """Write every fact inside [start, end) to its feed; returns records per feed."""
    queued: dict[str, list[tuple[datetime, datetime, int, Fact]]] = {name: [] for name in feeds}
    for number, fact in enumerate(sorted(facts, key=_order)):
        if not start <= fact.time < end:
            continue
        feed = feeds[route(fact)]
        arrival = fact.time
        if feed.batched:
            late = rng.random() < 0.1
            arrival += timedelta(seconds=rng.uniform(30, 120) if late else rng.uniform(0, 5))
        queued[feed.name].append((arrival, fact.time, number, fact))
    counts = {}
    for name, feed in feeds.items():
        rows = sorted(queued[name], key=lambda row: (row[0], row[1], row[2]))
        with (out / feed.path).open("wb") as stream:
            stream.write(feed.writer.header(start))
            for _, time, _, fact in rows:
                stream.write(feed.writer.record(fact, time + feed.skew))
        counts[name] = len(rows)
    return counts


def _order(fact: Fact) -> tuple[datetime, str, str]:
    return fact.time, type(fact).__name__, repr(fact)
