"""Attribute paths as rules read them."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest
from identity_factories import badge, event, example_directory, identity, ids, logon

from correlator.identity import Identity
from correlator.identity.directory import Network
from correlator.model import Place


def test_person_fields_and_derived_status() -> None:
    ident = identity()
    out = ident.observe(logon("alice", host="ws-alice"))
    assert ident.attribute(out, "person") == "p-alice"
    assert ident.attribute(out, "person.id") == "p-alice"
    assert ident.attribute(out, "person.department") == "Finance"
    assert ident.attribute(out, "person.home_site") == "hq"
    assert ident.attribute(out, "person.badges") == ("0042117",)
    assert ident.attribute(out, "person.status") == "active"
    assert ident.attribute(out, "person.no_such_field") is None
    assert ident.attribute(out, "person.credential.valid") is None  # no badge in a logon


def test_a_termination_dated_later_reads_active_before_that_date() -> None:
    ident = identity()
    before = ident.observe(logon("carol", host="ws-bob", hours=-24 * 300))  # May 2025
    after = ident.observe(logon("carol", host="ws-bob"))  # March 2026
    assert ident.attribute(before, "person.status") == "active"
    assert ident.attribute(after, "person.status") == "terminated"


def test_badge_validity_is_checked_at_event_time() -> None:
    ident = identity()
    valid = ident.observe(badge("0042117", door="hq-main"))
    assert ident.attribute(valid, "person.credential.valid") is True
    assert ident.attribute(valid, "person.credential") == "0042117"


def test_host_site_door_camera_and_zone_fields() -> None:
    ident = identity()
    alert = ident.observe(ids("10.1.200.10"))
    assert ident.attribute(alert, "host.criticality") == "critical"
    assert ident.attribute(alert, "host.ips") == ("10.1.200.10",)
    assert ident.attribute(alert, "host.hostname") == "db1.corp.example"
    assert ident.attribute(alert, "host.owner.id") is None
    assert ident.attribute(alert, "site.country") == "FR"
    assert ident.attribute(alert, "site.networks") == (
        "10.1.0.0/16",
        "10.1.200.0/24",
        "10.99.0.0/16",
    )
    assert ident.attribute(alert, "site.vpn_networks") == ("10.99.0.0/16",)
    assert ident.attribute(alert, "site.latitude") == pytest.approx(48.8566)
    assert ident.attribute(alert, "site.geo") == pytest.approx((48.8566, 2.3522))
    assert ident.attribute(alert, "door.id") is None
    held = ident.observe(event("access", "door_held_open", location=Place(door="hq-dc-in")))
    assert ident.attribute(held, "door.cameras") == ("cam-hq-dc",)
    assert ident.attribute(held, "door.direction") == "in"
    assert ident.attribute(held, "door.perimeter") is False
    assert ident.attribute(held, "zone.restricted") is True
    assert ident.attribute(held, "zone.parent") == "hq-office"
    cam = ident.observe(event("video", "people_count", location=Place(camera="cam-hq-lobby")))
    assert ident.attribute(cam, "camera.doors") == ("hq-main",)
    assert ident.attribute(cam, "camera.zone") == "hq-lobby"
    assert ident.attribute(cam, "nothing.at.all") is None


def test_working_hours_in_local_time_including_a_night_shift() -> None:
    ident = identity()
    # Monday 09:00 UTC = 10:00 Paris: alice works, bob (22:00-06:00) does not.
    alice = ident.observe(logon("alice", host="ws-alice", hours=0))
    bob = ident.observe(logon("bob", host="ws-bob", hours=0))
    assert ident.attribute(alice, "person.in_working_hours") is True
    assert ident.attribute(bob, "person.in_working_hours") is False
    # Tuesday 01:00 UTC = 02:00 Paris: still bob's Monday night shift.
    night = ident.observe(logon("bob", host="ws-bob", hours=16))
    assert ident.attribute(night, "person.in_working_hours") is True
    assert ident.attribute(night, "site.in_working_hours") is False


def test_attribute_of_an_event_that_skipped_observe_still_resolves() -> None:
    ident = identity()
    raw = ids("10.1.5.20")
    assert raw.resolved is None
    assert ident.attribute(raw, "host.owner.name") == "Bob Durand"
    assert ident.stats.events == 0  # nothing learned or counted


def test_site_networks_by_kind() -> None:
    directory = example_directory()
    hq = directory.sites[0]
    guest = Network(cidr=IPv4Network("172.16.1.0/24"), kind="guest")
    sites = (hq.model_copy(update={"networks": (*hq.networks, guest)}), *directory.sites[1:])
    ident = Identity(directory.model_copy(update={"sites": sites}))
    phone = ident.observe(ids("172.16.1.20"))
    assert ident.attribute(phone, "site.guest_networks") == ("172.16.1.0/24",)
    assert ident.attribute(phone, "site.vpn_networks") == ("10.99.0.0/16",)
    assert "172.16.1.0/24" in ident.attribute(phone, "site.networks")
