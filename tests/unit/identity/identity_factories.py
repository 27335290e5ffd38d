"""Small event factories for identity tests: every event is a few keywords and a time offset."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from correlator.identity import Directory, Identity, load_directory
from correlator.model import Actor, Endpoint, Event, Place, Source
from correlator.model.event import AttrValue

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "directory.yaml"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris
_ids = itertools.count()


def at(minutes: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, hours=hours)


def example_directory() -> Directory:
    return load_directory(EXAMPLE)


def identity(**kwargs: Any) -> Identity:
    return Identity(example_directory(), **kwargs)


def event(
    domain: str,
    activity: str,
    *,
    minutes: float = 0,
    hours: float = 0,
    outcome: str | None = "success",
    actor: Actor | None = None,
    src: Endpoint | None = None,
    dst: Endpoint | None = None,
    location: Place | None = None,
    attrs: dict[str, AttrValue] | None = None,
) -> Event:
    when = at(minutes, hours)
    return Event.model_validate(
        {
            "id": f"e{next(_ids)}",
            "time": when,
            "ingest_time": when,
            "source": Source(connector="test", format="test"),
            "domain": domain,
            "activity": activity,
            "outcome": outcome,
            "actor": actor,
            "src": src,
            "dst": dst,
            "location": location,
            "attrs": attrs or {},
        }
    )


def badge(
    number: str,
    *,
    door: str | None = None,
    reader: str | None = None,
    camera: str | None = None,
    granted: bool = True,
    **kw: Any,
) -> Event:
    activity = "access_granted" if granted else "access_denied"
    outcome = "success" if granted else "failure"
    place = Place(door=door, reader=reader, camera=camera)
    return event(
        "access", activity, outcome=outcome, actor=Actor(credential=number), location=place, **kw
    )


def dhcp(
    ip: str,
    *,
    mac: str | None = None,
    host: str | None = None,
    activity: str = "lease",
    lease_seconds: int | None = None,
    **kw: Any,
) -> Event:
    attrs: dict[str, AttrValue] = {} if lease_seconds is None else {"lease_seconds": lease_seconds}
    return event("dhcp", activity, src=Endpoint(ip=ip, mac=mac, host=host), attrs=attrs, **kw)


def vpn(account: str, ip: str | None, *, activity: str = "connect", **kw: Any) -> Event:
    """A VPN event as the parsers emit it: the tunnel address in ``src.ip``."""
    attrs: dict[str, AttrValue] = {"public_ip": "203.0.113.7"}
    return event(
        "vpn",
        activity,
        actor=Actor(account=account),
        src=None if ip is None else Endpoint(ip=ip),
        attrs=attrs,
        **kw,
    )


def logon(
    account: str,
    *,
    host: str | None = None,
    ip: str | None = None,
    activity: str = "logon",
    **kw: Any,
) -> Event:
    return event(
        "auth", activity, actor=Actor(account=account), dst=Endpoint(host=host, ip=ip), **kw
    )


def ids(src_ip: str, dst_ip: str = "93.184.216.34", **kw: Any) -> Event:
    return event(
        "ids", "alert", outcome=None, src=Endpoint(ip=src_ip), dst=Endpoint(ip=dst_ip), **kw
    )


def person_of(resolved_event: Event) -> str | None:
    resolved = resolved_event.resolved
    return resolved.person.id if resolved is not None and resolved.person is not None else None
