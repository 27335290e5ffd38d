"""Presence rules give the same alerts whatever order badges and logons are read in.

Presence at an event's time depends on the badges before it; the engine tests presence when
it settles an event behind the watermark, against the person's passages up to that time (see
:mod:`correlator.identity.presence`), so reading the feeds in another order within the
allowed lateness changes nothing: the property the worker's fault tests rely on.

Resolution is another matter: an event's person is resolved when it is read (the worker routes
it by that key), so a session learned from a logon read after an IDS alert on the same host
does not resolve the alert. The streams here keep resolution out of the question: people log
on to their own workstation or to a server that has no owner.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.core.rules import load_rules
from correlator.identity import Directory, Identity
from correlator.model import Event
from tests.unit.core.kit import at, run

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"
PRESENCE_RULES = [
    "badge-in-remote-login",
    "bruteforce-success-while-absent",
    "concurrent-sessions-two-sites",
    "ids-alert-owner-absent",
    "logon-without-presence",
]
RULES = [
    loaded.rule for loaded in load_rules([RULES_DIR / f"{name}.yaml" for name in PRESENCE_RULES])
]
DIRECTORY = Directory.model_validate(
    yaml.safe_load("""
sites:
  - {id: hq, country: FR, latitude: 48.85, longitude: 2.35, timezone: Europe/Paris,
     networks: [{cidr: 10.1.0.0/16, kind: office}]}
  - {id: lyon, country: FR, latitude: 45.76, longitude: 4.84, timezone: Europe/Paris,
     networks: [{cidr: 10.2.0.0/16, kind: office}]}
doors:
  - {id: hq-main, site: hq, direction: in, perimeter: true, readers: [rdr-hq-main]}
  - {id: hq-exit, site: hq, direction: out, perimeter: true, readers: [rdr-hq-exit]}
  - {id: lyon-main, site: lyon, direction: in, perimeter: true, readers: [rdr-lyon-main]}
  - {id: lyon-exit, site: lyon, direction: out, perimeter: true, readers: [rdr-lyon-exit]}
people:
  - {id: alice, name: Alice, home_site: hq, credentials: [{badge: "1001"}],
     accounts: [{username: alice, domain: CORP}]}
  - {id: bob, name: Bob, home_site: hq, credentials: [{badge: "1002"}],
     accounts: [{username: bob, domain: CORP}]}
assets:
  - {id: ws-alice, ips: [10.1.5.10], owner: alice, site: hq}
  - {id: ws-bob, ips: [10.1.5.20], owner: bob, site: hq}
  - {id: srv-lyon, ips: [10.2.1.1], site: lyon}
""")
)
LATENESS = 120.0
PEOPLE = {"alice": ("1001", "ws-alice", "10.1.5.10"), "bob": ("1002", "ws-bob", "10.1.5.20")}
HOSTS = {"ws-alice": "10.1.5.10", "ws-bob": "10.1.5.20", "srv-lyon": "10.2.1.1"}


def make(i: int, seconds: float, kind: str, person: str, choice: str) -> Event:
    badge = PEOPLE[person][0]
    data: dict[str, Any] = {
        "id": f"e{i}",
        "time": at(seconds),
        "ingest_time": at(seconds),
        "source": {"connector": "test", "format": "test"},
        "outcome": "success",
    }
    if kind == "badge":
        data |= {"domain": "access", "activity": "access_granted",
                 "actor": {"credential": badge}, "location": {"door": choice}}  # fmt: skip
    elif kind in ("logon", "failure", "logoff"):
        host = PEOPLE[person][1] if choice == "own" else choice
        data |= {
            "domain": "auth",
            "activity": "logoff" if kind == "logoff" else "logon",
            "outcome": "failure" if kind == "failure" else "success",
            "actor": {"account": f"CORP\\{person}"},
            "dst": {"host": host, "ip": HOSTS[host]},
            "attrs": {"logon_type": 2 if host.startswith("ws") else 10},
        }
    elif kind == "vpn":
        data |= {"domain": "vpn", "activity": "connect", "actor": {"account": f"CORP\\{person}"},
                 "attrs": {"public_ip": "203.0.113.7"}}  # fmt: skip
    else:  # an IDS alert from the person's workstation
        data |= {"domain": "ids", "activity": "alert", "severity": "high", "outcome": None,
                 "src": {"ip": PEOPLE[person][2]}, "dst": {"ip": "198.51.100.7"},
                 "attrs": {"signature": "test"}}  # fmt: skip
    return Event.model_validate(data)


CHOICES = {
    "badge": ["hq-main", "hq-exit", "lyon-main", "lyon-exit"],
    "logon": ["own", "srv-lyon"],
    "failure": ["own", "srv-lyon"],
    "logoff": ["own", "srv-lyon"],
    "vpn": ["-"],
    "ids": ["-"],
}


@st.composite
def streams(draw: st.DrawFn) -> list[Event]:
    """Time-ordered badges, logons (failed too), logoffs, VPN connects and IDS alerts of two
    people over two sites, often within the same minute."""
    size = draw(st.integers(min_value=1, max_value=60))
    events, t = [], 0.0
    for i in range(size):
        t += draw(st.sampled_from([0, 1, 10, 30, 60, 300, 1800]))
        kind = draw(st.sampled_from(["badge", "badge", "logon", "failure", "logoff", "vpn", "ids"]))
        person = draw(st.sampled_from(list(PEOPLE)))
        events.append(make(i, t, kind, person, draw(st.sampled_from(CHOICES[kind]))))
    return events


def alert_ids(events: list[Event]) -> tuple[list[str], int]:
    alerts, late = run(RULES, events, LATENESS, identity=Identity(DIRECTORY))
    return sorted(a.id for a in alerts), late


@settings(max_examples=80, deadline=None)
@given(streams(), st.randoms(use_true_random=False))
def test_presence_rules_give_the_same_alerts_in_any_order_within_the_lateness(
    events: list[Event], rnd: Any
) -> None:
    jitter = {e.id: rnd.uniform(0, LATENESS) for e in events}
    shuffled = sorted(events, key=lambda e: e.time + timedelta(seconds=jitter[e.id]))
    in_order, _ = alert_ids(events)
    reordered, late = alert_ids(shuffled)
    assert late == 0
    assert reordered == in_order


@settings(max_examples=40, deadline=None)
@given(streams())
def test_presence_rules_read_twice_give_the_same_alerts(events: list[Event]) -> None:
    twice = [e for event in events for e in (event, event)]
    assert alert_ids(twice)[0] == alert_ids(events)[0]


def test_a_logon_read_before_the_badge_in_that_preceded_it_finds_the_person_on_site() -> None:
    badge_in = make(0, 0, "badge", "alice", "hq-main")
    logon = make(1, 60, "logon", "alice", "ws-alice")
    assert alert_ids([logon, badge_in]) == alert_ids([badge_in, logon]) == ([], 0)
    assert len(alert_ids([logon])[0]) == 1  # never badged in: the rule does fire alone


def test_a_badge_out_read_before_an_earlier_logon_does_not_hide_the_person() -> None:
    badge_in = make(0, 0, "badge", "alice", "hq-main")
    logon = make(1, 60, "logon", "alice", "ws-alice")
    badge_out = make(2, 90, "badge", "alice", "hq-exit")
    assert alert_ids([badge_in, badge_out, logon]) == ([], 0)


def test_a_jump_in_event_time_does_not_sweep_the_presence_of_events_still_pending() -> None:
    badge_in = make(0, 0, "badge", "alice", "hq-main")
    logon = make(1, 60, "logon", "alice", "ws-alice")
    clock = make(2, 3 * 86_400, "badge", "bob", "lyon-main")  # three days later
    assert alert_ids([badge_in, logon, clock]) == ([], 0)
