"""Presence from badge in/out: on site, zones, expiry, passback and cloned badges."""

from __future__ import annotations

from datetime import UTC, timedelta

from identity_factories import at, badge, identity, ids

from correlator.identity import Identity

ALICE = "0042117"


def presence(ident: Identity, path: str, **when: float) -> object:
    probe = ident.observe(badge(ALICE, door="no-door", granted=False, **when))
    return ident.attribute(probe, f"person.presence.{path}")


def test_in_then_out_through_the_perimeter() -> None:
    ident = identity()
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", minutes=0))
    assert presence(ident, "site", minutes=5) == "hq"
    assert presence(ident, "zone", minutes=5) == "hq-lobby"
    assert presence(ident, "since", minutes=5) == at(0).astimezone(UTC)
    ident.observe(badge(ALICE, reader="rdr-hq-main-out", minutes=60))
    assert presence(ident, "on_site", minutes=61) is False
    assert presence(ident, "sites", minutes=61) == ()


def test_inner_doors_move_between_zones_and_out_to_the_parent() -> None:
    ident = identity()
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", minutes=0))
    ident.observe(badge(ALICE, door="hq-dc-in", minutes=5))
    assert presence(ident, "zone", minutes=6) == "hq-dc"
    ident.observe(badge(ALICE, door="hq-dc-out", minutes=30))
    assert presence(ident, "zone", minutes=31) == "hq-office"
    assert presence(ident, "site", minutes=31) == "hq"


def test_denied_badge_changes_nothing() -> None:
    ident = identity()
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", granted=False))
    assert presence(ident, "on_site", minutes=1) is False


def test_an_entry_without_exit_expires_after_the_ttl() -> None:
    ident = identity()
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", hours=0))
    assert presence(ident, "on_site", hours=15.9) is True
    assert presence(ident, "on_site", hours=16.1) is False
    short = identity(presence_ttl=timedelta(hours=1))
    short.observe(badge(ALICE, reader="rdr-hq-main-in", hours=0))
    assert presence(short, "on_site", hours=1.5) is False


def test_expired_entry_is_not_a_passback() -> None:
    ident = identity()
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", hours=0))
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", hours=20))
    assert presence(ident, "passback", hours=21) is False
    assert ident.stats.anomalies == {}


def test_two_entries_without_exit_raise_passback_until_the_exit() -> None:
    ident = identity()
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", minutes=0))
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", minutes=10))
    assert presence(ident, "passback", minutes=11) is True
    assert presence(ident, "anomaly", minutes=11) is True
    assert ident.stats.anomalies == {"passback": 1}
    ident.observe(badge(ALICE, reader="rdr-hq-main-out", minutes=20))
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", minutes=30))
    assert presence(ident, "passback", minutes=31) is False


def test_present_on_two_sites_at_once_is_visible() -> None:
    ident = identity()
    ident.observe(badge(ALICE, reader="rdr-hq-main-in", minutes=0))
    ident.observe(badge(ALICE, reader="rdr-lyon-in", minutes=30))  # 400 km in 30 minutes
    assert presence(ident, "sites", minutes=31) == ("lyon", "hq")  # latest first
    assert presence(ident, "multi_site", minutes=31) is True
    assert presence(ident, "site", minutes=31) == "lyon"
    assert ident.stats.anomalies == {"multi_site": 1}
    ident.observe(badge(ALICE, reader="rdr-lyon-out", minutes=40))
    assert presence(ident, "multi_site", minutes=41) is False


def test_host_owner_presence_is_readable_from_a_network_event() -> None:
    ident = identity()
    ident.observe(badge("0042118", reader="rdr-hq-main-in", minutes=0))  # bob
    alert = ident.observe(ids("10.1.5.20", minutes=5))  # bob's workstation
    assert ident.attribute(alert, "host.owner.presence.site") == "hq"
    assert ident.attribute(alert, "host.owner.id") == "p-bob"
    ident.observe(badge("0042118", reader="rdr-hq-main-out", minutes=10))
    later = ident.observe(ids("10.1.5.20", minutes=15))
    assert ident.attribute(later, "host.owner.presence.on_site") is False
