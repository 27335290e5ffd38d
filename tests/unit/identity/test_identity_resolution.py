"""One test per resolution path: badge, account, logon, VPN, DHCP, static IP, places."""

from __future__ import annotations

import pytest
from identity_factories import badge, dhcp, event, identity, ids, logon, person_of, vpn

from correlator.identity import Identity
from correlator.identity.directory import Account, Directory, Person
from correlator.model import Actor, Endpoint, Place, Resolution


def test_badge_resolves_person_door_and_site_with_provenance() -> None:
    out = identity().observe(badge("0042117", reader="rdr-hq-main-in"))
    assert out.resolved is not None
    assert out.resolved.person == Resolution(
        id="p-alice", via="credential", value="0042117", source="directory"
    )
    assert out.resolved.location == Resolution(
        id="hq-main", via="reader", value="rdr-hq-main-in", source="directory"
    )
    assert out.resolved.site is not None
    assert (out.resolved.site.id, out.resolved.site.via) == ("hq", "reader")
    assert out.resolved.unresolved == ()


def test_terminated_persons_badge_still_resolves_so_rules_can_flag_it() -> None:
    ident = identity()
    out = ident.observe(badge("0042119", door="lyon-main"))
    assert person_of(out) == "p-carol"
    assert ident.attribute(out, "person.status") == "terminated"
    assert ident.attribute(out, "person.active") is False
    assert ident.attribute(out, "person.credential.valid") is False


def test_unknown_badge_is_kept_as_seen_and_counted() -> None:
    ident = identity()
    out = ident.observe(badge("9999", door="hq-main"))
    out2 = ident.observe(badge("9999", door="no-such-door"))
    assert out.resolved is not None
    assert out.resolved.person is None
    assert out.resolved.unresolved == ("credential:9999",)
    assert out2.resolved is not None
    assert out2.resolved.unresolved == ("door:no-such-door", "credential:9999")
    assert ident.stats.unresolved == {"credential": 2, "door": 1}
    assert ident.stats.events == 2


@pytest.mark.parametrize(
    "seen",
    [
        "CORP\\alice",
        "alice",
        "ALICE@corp.example",
        "corp\\Alice",
        "alice@CORP",
        "a.martin@corp.example",
    ],
)
def test_account_aliases_are_one_account(seen: str) -> None:
    out = identity().observe(logon(seen, host="ws-alice"))
    assert out.resolved is not None
    assert out.resolved.person is not None
    assert (out.resolved.person.id, out.resolved.person.via) == ("p-alice", "account")
    assert out.resolved.person.value == seen


def test_account_of_another_domain_does_not_resolve() -> None:
    out = identity().observe(logon("OTHER\\alice", host="ws-alice"))
    assert person_of(out) is None
    assert out.resolved is not None
    assert out.resolved.unresolved == ("account:OTHER\\alice",)


def test_a_bare_user_name_two_people_share_resolves_to_neither() -> None:
    people = (
        Person(id="a1", name="A", accounts=(Account(username="alice", domain="CORP"),)),
        Person(id="a2", name="A", accounts=(Account(username="alice", domain="LAB"),)),
    )
    ident = Identity(Directory(people=people))
    assert person_of(ident.observe(logon("alice", host="x"))) is None
    assert person_of(ident.observe(logon("LAB\\alice", host="x"))) == "a2"


def test_logon_resolves_host_by_name_and_by_static_ip() -> None:
    ident = identity()
    by_name = ident.observe(logon("bob", host="WS-BOB.corp.example."))
    by_ip = ident.observe(logon("bob", ip="10.1.5.20"))
    for out, via in ((by_name, "hostname"), (by_ip, "ip")):
        assert out.resolved is not None
        assert out.resolved.host is not None
        assert (out.resolved.host.id, out.resolved.host.via) == ("ws-bob", via)
        assert out.resolved.site is not None
        assert out.resolved.site.id == "hq"


def test_ids_alert_from_static_ip_resolves_host_owner_and_site() -> None:
    out = identity().observe(ids("10.1.5.20"))
    assert out.resolved is not None
    assert out.resolved.host == Resolution(
        id="ws-bob", via="ip", value="10.1.5.20", source="directory"
    )
    assert out.resolved.person == Resolution(
        id="p-bob", via="ip", value="10.1.5.20", source="directory"
    )
    assert out.resolved.site is not None
    assert out.resolved.site.id == "hq"


def test_interactive_logon_names_the_user_of_a_host_without_owner() -> None:
    ident = identity()
    ident.observe(logon("CORP\\alice", host="db1", minutes=0))
    during = ident.observe(ids("10.1.200.10", minutes=30))
    ident.observe(logon("alice", host="db1.corp.example", activity="logoff", minutes=60))
    after = ident.observe(ids("10.1.200.10", minutes=90))
    assert during.resolved is not None
    assert during.resolved.person is not None
    assert (during.resolved.person.id, during.resolved.person.source) == ("p-alice", "logon")
    assert person_of(after) is None
    assert ident.stats.learned == {"logon.host": 2}


def test_vpn_session_maps_its_tunnel_ip_to_the_user_until_disconnect() -> None:
    ident = identity()
    ident.observe(vpn("bob@corp.example", "10.99.0.5", minutes=0))
    during = ident.observe(ids("10.99.0.5", minutes=10))
    ident.observe(vpn("CORP\\bob", None, activity="disconnect", minutes=20))
    after = ident.observe(ids("10.99.0.5", minutes=30))
    assert during.resolved is not None
    assert during.resolved.person == Resolution(
        id="p-bob", via="ip", value="10.99.0.5", source="vpn"
    )
    assert person_of(after) is None
    assert after.resolved is not None
    assert after.resolved.site is not None
    assert after.resolved.site.id == "hq"
    assert after.resolved.unresolved == ()  # in a site network: not a directory gap


def test_failed_vpn_logon_teaches_nothing() -> None:
    ident = identity()
    ident.observe(
        event(
            "vpn",
            "connect",
            outcome="failure",
            actor=Actor(account="bob"),
            attrs={"assigned_ip": "10.99.0.6"},
        )
    )
    assert person_of(ident.observe(ids("10.99.0.6", minutes=1))) is None


def test_an_ip_that_changed_hands_twice_in_a_day_resolves_at_event_time() -> None:
    ident = identity()
    ip = "10.1.7.7"
    ident.observe(dhcp(ip, mac="00:11:22:33:44:01", hours=0, lease_seconds=8 * 3600))  # alice
    ident.observe(dhcp(ip, mac="00:11:22:33:44:02", hours=4, lease_seconds=8 * 3600))  # bob
    ident.observe(dhcp(ip, mac="00:11:22:33:44:01", hours=9, lease_seconds=3600))  # alice
    # Alerts are often late: ask about every period after all three leases were seen.
    expected = {1: "p-alice", 5: "p-bob", 8.9: "p-bob", 9.5: "p-alice", 10.5: None}
    for hours, person in expected.items():
        out = ident.observe(ids(ip, hours=hours))
        assert person_of(out) == person, hours
        if person is not None:
            assert out.resolved is not None
            assert out.resolved.host is not None
            assert out.resolved.host.source == "dhcp"


def test_dhcp_release_ends_the_lease() -> None:
    ident = identity()
    ident.observe(dhcp("10.1.7.8", host="ws-alice", minutes=0))
    ident.observe(dhcp("10.1.7.8", activity="release", minutes=10))
    assert person_of(ident.observe(ids("10.1.7.8", minutes=5))) == "p-alice"
    assert person_of(ident.observe(ids("10.1.7.8", minutes=15))) is None


def test_logon_to_a_host_known_only_by_its_lease_binds_the_asset() -> None:
    ident = identity()
    ident.observe(dhcp("10.1.7.9", mac="00:11:22:33:44:01", minutes=0))
    out = ident.observe(logon("bob", ip="10.1.7.9", minutes=1))
    assert out.resolved is not None
    assert out.resolved.host is not None
    assert (out.resolved.host.id, out.resolved.host.source) == ("ws-alice", "dhcp")
    # bob is at alice's laptop: the logon beats the owner for an alert from it
    assert person_of(ident.observe(ids("10.1.7.9", minutes=2))) == "p-bob"


def test_site_by_network_longest_prefix() -> None:
    ident = identity()
    lyon = ident.observe(ids("10.2.3.4"))
    unknown_private = ident.observe(ids("10.50.0.1"))
    assert lyon.resolved is not None
    assert lyon.resolved.site == Resolution(
        id="lyon", via="ip", value="10.2.3.4", source="directory"
    )
    assert unknown_private.resolved is not None
    assert unknown_private.resolved.unresolved == ("ip:10.50.0.1",)  # public dst not listed
    assert ident.stats.unresolved == {"ip": 1}


def test_camera_and_zone_locate_an_event() -> None:
    ident = identity()
    cam = ident.observe(event("video", "people_count", location=Place(camera="cam-hq-dc")))
    zone = ident.observe(event("video", "motion", location=Place(zone="lyon-office")))
    assert cam.resolved is not None
    assert cam.resolved.location is not None
    assert (cam.resolved.location.id, cam.resolved.location.via) == ("cam-hq-dc", "camera")
    assert cam.resolved.site is not None
    assert cam.resolved.site.id == "hq"
    assert zone.resolved is not None
    assert zone.resolved.site is not None
    assert zone.resolved.site.id == "lyon"


def test_unknown_host_and_mac_are_listed() -> None:
    out = identity().observe(
        event("network", "flow", src=Endpoint(host="kiosk-7", mac="de:ad:be:ef:00:01"))
    )
    assert out.resolved is not None
    assert out.resolved.unresolved == ("hostname:kiosk-7", "mac:de:ad:be:ef:00:01")


def test_an_unknown_account_does_not_fall_back_to_the_host_owner() -> None:
    out = identity().observe(logon("intruder", host="ws-bob"))
    assert person_of(out) is None
    assert out.resolved is not None
    assert out.resolved.host is not None
