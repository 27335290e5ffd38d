"""``correlator replay --directory``: identity resolved for every domain, rules keyed by person.

The fixtures in ``tests/fixtures/replay/`` tell one working day at headquarters:

```
07:00 dhcp    10.1.7.7 leased to Alice's laptop (ws-alice)
08:00 access  Alice badges in at hq-main            08:00:05 video  lobby camera counts 1
08:30 auth    CORP\\alice logs on to her laptop      09:00 firewall  the laptop goes out
09:05 network Bob's workstation talks to the DB     10:00 vpn       alice connects remotely
10:30 ids     critical, Bob's workstation (Bob never badged in)
10:40 ids     high, Alice's laptop (Alice on site)  10:45 ids  medium, from Alice's tunnel
11:00 access  Carol (terminated) refused at hq-main
12:00 access  Alice badges out                      12:30 ids  high, Alice's laptop
```
"""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator import serde
from correlator.cli import main
from correlator.model import Alert, Event, Resolution

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "replay"
DIRECTORY = FIXTURES / "directory.yaml"
EVENTS = FIXTURES / "events.jsonl"


def replay(tmp_path: Path, rules: Path, *inputs: str) -> list[Alert]:
    out = tmp_path / "alerts.jsonl"
    argv = ["replay", "--rules", str(rules), "--directory", str(DIRECTORY), *inputs]
    assert main([*argv, "-o", str(out)]) == 0
    return [serde.decode_model(Alert, line) for line in out.read_bytes().splitlines()]


def fired(alerts: list[Alert]) -> list[tuple[str, str, str]]:
    return [(a.rule, a.entity.type, a.entity.id) for a in alerts]


def how(found: Resolution | None) -> tuple[str, str, str] | None:
    return None if found is None else (found.id, found.via, found.source)


def person(event: Event) -> tuple[str, str, str] | None:
    return how(event.resolved.person if event.resolved is not None else None)


def test_shipped_rules_key_badge_vpn_and_ids_events_by_person(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts = replay(tmp_path, ROOT / "rules", str(EVENTS))
    assert fired(alerts) == [
        ("badge-in-remote-login", "person", "p-alice"),
        ("ids-alert-owner-absent", "person", "p-bob"),
        ("terminated-credential-use", "person", "p-carol"),
        ("ids-alert-owner-absent", "person", "p-alice"),
    ]
    assert "0 late" in capsys.readouterr().err
    remote, bob_absent, carol, alice_absent = alerts
    badge, vpn = remote.evidence
    assert person(badge) == ("p-alice", "credential", "directory")
    assert person(vpn) == ("p-alice", "account", "directory")
    (ids,) = bob_absent.evidence
    assert ids.resolved is not None
    assert how(ids.resolved.host) == ("ws-bob", "ip", "directory")
    assert how(ids.resolved.person) == ("p-bob", "ip", "directory")  # the owner
    (denied,) = carol.evidence
    assert person(denied) == ("p-carol", "credential", "directory")
    (late_ids,) = alice_absent.evidence
    assert late_ids.resolved is not None
    assert how(late_ids.resolved.host) == ("ws-alice", "ip", "dhcp")
    assert how(late_ids.resolved.person) == ("p-alice", "ip", "logon")


def resolved_by_id(tmp_path: Path) -> dict[str, Event]:
    """Every event of the fixture as the engine saw it, through a one-alert-per-event rule."""
    alerts = replay(tmp_path, FIXTURES / "rules", str(EVENTS))
    events = {e.id: e for a in alerts for e in a.evidence}
    assert len(events) == len(EVENTS.read_text().splitlines())
    return events


# event id → (kind of entity, expected (id, via, source)); see the timeline in the module doc.
EXPECTED = [
    pytest.param("ev-01", "host", ("ws-alice", "hostname", "directory"), id="dhcp-host-by-name"),
    pytest.param("ev-02", "person", ("p-alice", "credential", "directory"), id="badge-person"),
    pytest.param("ev-02", "location", ("hq-main", "door", "directory"), id="badge-door"),
    pytest.param("ev-02", "site", ("hq", "door", "directory"), id="badge-site"),
    pytest.param("ev-03", "location", ("cam-hq-lobby", "camera", "directory"), id="video-camera"),
    pytest.param("ev-03", "site", ("hq", "camera", "directory"), id="video-site"),
    pytest.param("ev-04", "person", ("p-alice", "account", "directory"), id="auth-person"),
    pytest.param("ev-04", "host", ("ws-alice", "hostname", "directory"), id="auth-target-host"),
    pytest.param("ev-05", "host", ("ws-alice", "ip", "dhcp"), id="firewall-host-by-lease"),
    pytest.param("ev-05", "person", ("p-alice", "ip", "logon"), id="firewall-person-by-logon"),
    pytest.param("ev-05", "site", ("hq", "ip", "dhcp"), id="firewall-site"),
    pytest.param("ev-06", "host", ("ws-bob", "ip", "directory"), id="flow-host-static-ip"),
    pytest.param("ev-06", "person", ("p-bob", "ip", "directory"), id="flow-person-owner"),
    pytest.param("ev-07", "person", ("p-alice", "account", "directory"), id="vpn-person-upn"),
    pytest.param("ev-07", "site", ("hq", "ip", "directory"), id="vpn-site-by-network"),
    pytest.param("ev-09", "person", ("p-alice", "ip", "logon"), id="ids-person-by-logon"),
    pytest.param("ev-10", "person", ("p-alice", "ip", "vpn"), id="ids-person-by-tunnel"),
    pytest.param("ev-10", "host", ("srv-db1", "ip", "directory"), id="ids-dst-host"),
    pytest.param("ev-11", "person", ("p-carol", "credential", "directory"), id="leaver-badge"),
]


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Event]:
    return resolved_by_id(tmp_path_factory.mktemp("every-event"))


@pytest.mark.parametrize(("event", "entity", "expected"), EXPECTED)
def test_every_domain_is_resolved_with_provenance(
    seen: dict[str, Event], event: str, entity: str, expected: tuple[str, str, str]
) -> None:
    resolved = seen[event].resolved
    assert resolved is not None
    assert how(getattr(resolved, entity)) == expected


def test_every_domain_of_the_fixture_is_covered(seen: dict[str, Event]) -> None:
    domains = {e.domain for e in seen.values()}
    assert domains == {"access", "video", "dhcp", "vpn", "auth", "ids", "firewall", "network"}
    assert all(e.resolved is not None for e in seen.values())


def test_raw_feeds_merge_with_normalized_events_by_event_time(tmp_path: Path) -> None:
    """Suricata's 09:15 alert sorts among the JSON-lines events (else it would be late);
    the 14:00 Windows logon of a terminated account resolves through its account."""
    alerts = replay(
        tmp_path,
        ROOT / "rules",
        f"suricata:{FIXTURES / 'eve.json'}",
        str(EVENTS),
        f"winevent:{FIXTURES / 'security.json'}",
    )
    assert fired(alerts) == [
        ("ids-alert-owner-absent", "person", "p-bob"),
        ("badge-in-remote-login", "person", "p-alice"),
        ("ids-alert-owner-absent", "person", "p-bob"),
        ("terminated-credential-use", "person", "p-carol"),
        ("ids-alert-owner-absent", "person", "p-alice"),
        ("terminated-credential-use", "person", "p-carol"),
    ]
    (eve,) = alerts[0].evidence
    assert (eve.source.format, eve.severity) == ("suricata", "high")
    assert eve.resolved is not None
    assert how(eve.resolved.host) == ("ws-bob", "ip", "directory")
    (logon,) = alerts[-1].evidence
    assert logon.source.format == "winevent"
    assert logon.resolved is not None
    assert how(logon.resolved.person) == ("p-carol", "account", "directory")
    assert how(logon.resolved.host) == ("srv-db1", "hostname", "directory")


def test_a_vpn_connect_as_the_parsers_emit_it_binds_its_tunnel_address(tmp_path: Path) -> None:
    def event(id: str, **fields: object) -> Event:
        when = "2024-05-06T10:00:00Z"
        base = {
            "id": id,
            "time": when,
            "ingest_time": when,
            "source": {"connector": "t", "format": "panos"},
        }
        return Event.model_validate({**base, **fields})

    connect = event(
        "vpn-parsed",
        domain="vpn",
        activity="connect",
        outcome="success",
        actor={"account": "CORP\\bob"},
        src={"ip": "10.99.0.9"},
        attrs={"public_ip": "203.0.113.10"},
    )
    alert = event(
        "ids-from-tunnel",
        domain="ids",
        activity="alert",
        src={"ip": "10.99.0.9"},
        dst={"ip": "10.1.200.10"},
    )
    events = tmp_path / "vpn.jsonl"
    events.write_bytes(serde.encode_model(connect) + b"\n" + serde.encode_model(alert) + b"\n")
    seen = {e.id: e for a in replay(tmp_path, FIXTURES / "rules", str(events)) for e in a.evidence}
    resolved = seen["ids-from-tunnel"].resolved
    assert resolved is not None
    assert how(resolved.person) == ("p-bob", "ip", "vpn")
