"""Identities sharing one store (workers over a global table): ``mirror=False`` reads the store
on every lookup, so what one learns the others resolve with at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from identity_factories import badge, dhcp, example_directory, ids, logon, person_of, vpn

from correlator.identity import BindingLimits, Identity
from correlator.model import Event
from correlator.state import DictStore


def pair(limits: BindingLimits | None = None) -> tuple[Identity, Identity, DictStore]:
    store = DictStore()
    one = Identity(example_directory(), store, limits=limits, mirror=False)
    two = Identity(example_directory(), store, limits=limits, mirror=False)
    return one, two, store


@pytest.mark.parametrize(
    ("learning", "probe", "person"),
    [
        pytest.param(dhcp("10.1.7.7", mac="00:11:22:33:44:01"), ids("10.1.7.7"), "p-alice",
                     id="dhcp-lease"),
        pytest.param(vpn("bob", "10.99.0.5"), ids("10.99.0.5"), "p-bob", id="vpn-session"),
    ],
)  # fmt: skip
def test_a_binding_learned_by_one_resolves_the_events_of_the_other(
    learning: Event, probe: Event, person: str
) -> None:
    one, two, _ = pair()
    assert person_of(two.observe(probe)) is None
    one.observe(learning)
    assert person_of(two.observe(probe)) == person


def test_the_other_sees_an_ip_before_and_after_the_lease_and_its_release() -> None:
    one, two, _ = pair()
    probe = ids("10.1.7.7", hours=1)
    assert person_of(two.observe(probe)) is None
    one.observe(dhcp("10.1.7.7", mac="00:11:22:33:44:01", hours=0))
    assert person_of(two.observe(probe)) == "p-alice"
    one.observe(dhcp("10.1.7.7", activity="release", hours=0.5))
    assert person_of(two.observe(probe)) is None


def test_presence_learned_by_one_is_read_by_the_predicates_of_the_other() -> None:
    one, two, _ = pair()
    before = badge("0042117", door="x", granted=False, hours=1)
    assert two.attribute(before, "person.presence.on_site") is False
    one.observe(badge("0042117", reader="rdr-hq-main-in", hours=0))
    after = badge("0042117", door="y", granted=False, hours=1)  # another event, the same time
    assert two.attribute(after, "person.presence.site") == "hq"
    two.observe(badge("0042117", reader="rdr-lyon-in", hours=0.5))  # the other one learns too
    later = badge("0042117", door="x", granted=False, hours=2)
    assert one.attribute(later, "person.presence.sites") == ("lyon", "hq")
    assert one.attribute(later, "person.presence.multi_site") is True


def test_a_mirror_is_what_the_store_held_when_it_was_built() -> None:
    store = DictStore()
    mirrored = Identity(example_directory(), store)
    Identity(example_directory(), store, mirror=False).observe(vpn("bob", "10.99.0.5"))
    assert person_of(mirrored.observe(ids("10.99.0.5"))) is None  # why workers use mirror=False
    assert person_of(Identity(example_directory(), store).observe(ids("10.99.0.5"))) == "p-bob"


def test_read_through_answers_like_a_private_mirror() -> None:
    learning = [
        dhcp("10.1.7.7", mac="00:11:22:33:44:01", hours=0),
        vpn("bob", "10.99.0.5", hours=1),
        logon("alice", host="db1", hours=2),
        badge("0042117", reader="rdr-hq-main-in", hours=0),
        badge("0042117", reader="rdr-lyon-in", hours=1),
        vpn("bob", None, activity="disconnect", hours=2.5),
    ]
    probes = [ids(ip, hours=3) for ip in ("10.1.7.7", "10.99.0.5", "10.1.200.10")]
    private = Identity(example_directory())
    one, two, _ = pair()
    for n, event in enumerate(learning):
        private.observe(event)
        (one if n % 2 else two).observe(event)
    for probe in probes:
        assert two.observe(probe).resolved == private.observe(probe).resolved
    presence = badge("0042117", door="x", granted=False, hours=3)
    for path in ("person.presence.sites", "person.presence.multi_site"):
        assert one.attribute(presence, path) == private.attribute(presence, path)
    assert (len(one.bindings), len(one.presence)) == (len(private.bindings), len(private.presence))


def test_a_sweep_by_one_drops_what_the_other_would_read() -> None:
    limits = BindingLimits(lease_default=timedelta(hours=1), retention=timedelta(hours=2))
    one, two, store = pair(limits=limits)
    one.observe(dhcp("10.1.7.7", mac="00:11:22:33:44:01", hours=0))
    two.observe(dhcp("10.1.7.8", mac="00:11:22:33:44:02", hours=2))
    assert len(two.bindings) == 2
    one.observe(ids("10.2.0.1", hours=5))  # an hour of event time later: one sweeps both
    assert sorted(store.keys()) == ["identity:bind:dhcp.ip:10.1.7.8"]
    assert len(two.bindings) == 1
