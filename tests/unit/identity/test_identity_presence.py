"""Presence from badge in/out: on site, zones, expiry, passback and cloned badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from identity_factories import at, badge, identity, ids

from correlator.identity import Identity
from correlator.identity.presence import ABSENT, PREFIX, Passage, Presence, PresenceView
from correlator.state.store import DictStore

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


# -- presence as of an event's time, from the history of passages ---------------------------

HOUR = 3600.0
IN_HQ = Passage("hq", "hq-lobby", None, True, "in")
OUT_HQ = Passage("hq", "hq-lobby", None, True, "out")
IN_DC = Passage("hq", "hq-dc", "hq-office", False, "in")
OUT_DC = Passage("hq", "hq-dc", "hq-office", False, "out")
IN_LYON = Passage("lyon", "lyon-office", None, True, "in")
OUT_LYON = Passage("lyon", "lyon-office", None, True, "out")
PASSAGES = [IN_HQ, OUT_HQ, IN_DC, OUT_DC, IN_LYON, OUT_LYON]


def views(presence: Presence, times: list[float]) -> list[PresenceView]:
    return [presence.at("p", t) for t in times]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0, 60, 600, 3600, 7200, 14 * 3600]), st.sampled_from(PASSAGES)),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_presence_at_a_time_does_not_depend_on_the_order_passages_are_read_in(
    steps: list[tuple[int, Passage]], rnd: Any
) -> None:
    passages, t = [], 0.0
    for gap, passage in steps:
        t += gap
        passages.append((t, passage))
    questions = sorted({p[0] for p in passages} | {p[0] + 1 for p in passages} | {t + 20 * HOUR})
    in_order = Presence(DictStore(), timedelta(hours=16))
    for when, passage in passages:
        in_order.update("p", passage, when)
    # Read in another order, each passage up to two hours late (less than the ttl: a passage
    # read more than the ttl after a newer one is ignored).
    arrival = [when + rnd.uniform(0, 2 * HOUR) for when, _ in passages]
    shuffled = [p for _, p in sorted(zip(arrival, passages, strict=True), key=lambda x: x[0])]
    reordered = Presence(DictStore(), timedelta(hours=16))
    for when, passage in shuffled:
        reordered.update("p", passage, when)
        reordered.update("p", passage, when)  # read twice: kept once
    assert views(reordered, questions) == views(in_order, questions)


def test_a_late_badge_in_places_the_person_from_its_time_on() -> None:
    presence = Presence(DictStore(), timedelta(hours=16))
    presence.update("p", OUT_HQ, 2 * HOUR)  # the exit is read first
    assert presence.at("p", HOUR).on_site is False
    presence.update("p", IN_HQ, 0)
    assert presence.at("p", HOUR).site == "hq"
    assert presence.at("p", HOUR).since == datetime.fromtimestamp(0, UTC)
    assert presence.at("p", 2 * HOUR).on_site is False  # the exit at its own time counts


def test_passages_older_than_the_ttl_go_into_the_base_and_answers_stay_the_same() -> None:
    store = DictStore()
    presence = Presence(store, timedelta(hours=1))
    presence.update("p", IN_HQ, 0)
    presence.update("p", IN_DC, 10 * 60)
    presence.update("p", IN_LYON, 3 * HOUR)  # compacts the two hq passages
    state = store.get(PREFIX + "p")
    assert state is not None
    assert [entry[0] for entry in state["log"]] == [3 * HOUR]
    assert state["cut"] == 2 * HOUR
    assert presence.at("p", 3 * HOUR).sites == ("lyon",)  # hq expired an hour after 00:10
    presence.update("p", OUT_HQ, HOUR)  # behind the cut: ignored
    assert store.get(PREFIX + "p") == state


def test_state_written_by_an_older_version_is_read_as_the_base() -> None:
    store = DictStore()
    store.put(PREFIX + "p", {"sites": {"hq": [0, 600, "hq-lobby"]}, "passback": None})
    presence = Presence(store, timedelta(hours=16))
    assert presence.at("p", 700).site == "hq"
    presence.update("p", OUT_HQ, 900)
    assert presence.at("p", 800).site == "hq"
    assert presence.at("p", 900).on_site is False


def test_sweep_keeps_a_person_whose_last_badge_a_late_event_may_still_ask_about() -> None:
    store = DictStore()
    presence = Presence(store, timedelta(hours=1))
    presence.update("p", IN_HQ, 0)
    presence.update("p", OUT_HQ, 600)  # off site now, but the hour before still matters
    assert presence.sweep(1200) == 0
    assert presence.at("p", 300).site == "hq"
    assert presence.sweep(600 + HOUR) == 1
    assert presence.at("p", 300) == ABSENT
