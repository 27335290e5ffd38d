"""State behind the Store: round trip, restart, reload, retention; interval properties."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from identity_factories import EXAMPLE, badge, dhcp, example_directory, ids, logon, vpn

from correlator import serde
from correlator.errors import DirectoryError
from correlator.identity import BindingLimits, DirectoryWatcher, Identity, intervals
from correlator.identity.directory import Asset
from correlator.state import DictStore, RocksdictStore, Store


def learn_a_day(ident: Identity) -> None:
    ident.observe(dhcp("10.1.7.7", mac="00:11:22:33:44:01", hours=0))
    ident.observe(vpn("bob", "10.99.0.5", hours=1))
    ident.observe(logon("alice", host="db1", hours=2))
    ident.observe(badge("0042117", reader="rdr-hq-main-in", hours=0))
    ident.observe(badge("0042117", reader="rdr-lyon-in", hours=1))


def answers(ident: Identity) -> list[object]:
    probes = [ids("10.1.7.7", hours=3), ids("10.99.0.5", hours=3), ids("10.1.200.10", hours=3)]
    out = [ident.resolve(p).person for p in probes]
    probe = badge("0042117", door="x", granted=False, hours=3)
    out += [ident.attribute(probe, f"person.presence.{f}") for f in ("sites", "multi_site")]
    return out


@pytest.mark.parametrize("backend", ["dict", "rocksdict"])
def test_a_new_identity_over_the_same_store_answers_the_same(backend: str, tmp_path: Path) -> None:
    store: Store = DictStore() if backend == "dict" else RocksdictStore(tmp_path / "db")
    first = Identity(example_directory(), store)
    learn_a_day(first)
    expected = answers(first)
    assert expected[0] is not None
    assert expected[0].id == "p-alice"
    assert expected[3] == ("lyon", "hq")
    assert answers(Identity(example_directory(), store)) == expected


def test_stored_values_are_plain_json() -> None:
    store = DictStore()
    learn_a_day(Identity(example_directory(), store))
    assert len(store) == 5  # dhcp ip, vpn ip, vpn account, logon host, one person's presence
    for key in store.keys():  # noqa: SIM118 (a Store is not iterable)
        value = store.get(key)
        assert serde.loads(serde.dumps(value)) == value


def test_reload_keeps_bindings_and_presence_and_uses_the_new_directory() -> None:
    ident = Identity(example_directory())
    learn_a_day(ident)
    before = answers(ident)
    directory = example_directory()
    moved = directory.model_copy(
        update={
            "assets": (*directory.assets, Asset(id="kiosk", ips=("10.1.9.9",), owner="p-carol"))
        }
    )
    ident.reload(moved)
    assert answers(ident) == before
    assert ident.resolve(ids("10.1.9.9")).person is not None
    assert ident.stats.reloads == 1


def test_an_invalid_reload_changes_nothing() -> None:
    ident = Identity(example_directory())
    directory = ident.directory
    broken = directory.model_copy(update={"assets": (*directory.assets, directory.assets[0])})
    with pytest.raises(DirectoryError, match="duplicate assets id 'ws-alice'"):
        ident.reload(broken)
    assert ident.directory is directory


def test_watcher_reloads_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(EXAMPLE.read_text())
    ident = Identity(example_directory())
    watcher = DirectoryWatcher(path, ident)
    assert watcher.poll() is False
    path.write_text(EXAMPLE.read_text().replace("Alice Martin", "Alice Martin-Leroy"))
    os.utime(path, ns=(1, 1))
    assert watcher.poll() is True
    assert ident.index.people["p-alice"].name == "Alice Martin-Leroy"
    path.write_text("people: [{id: x}]\n")
    os.utime(path, ns=(2, 2))
    with pytest.raises(DirectoryError, match="name: Field required"):
        watcher.poll()
    assert ident.index.people["p-alice"].name == "Alice Martin-Leroy"
    assert watcher.poll() is False  # the broken file is reported once


def test_bindings_older_than_the_retention_are_pruned_from_the_store() -> None:
    store = DictStore()
    limits = BindingLimits(lease_default=timedelta(hours=1), retention=timedelta(hours=2))
    ident = Identity(example_directory(), store, limits=limits)
    ident.observe(dhcp("10.1.7.7", mac="00:11:22:33:44:01", hours=0))
    ident.observe(dhcp("10.1.7.8", mac="00:11:22:33:44:02", hours=2))
    assert sorted(store.keys()) == [
        "identity:bind:dhcp.ip:10.1.7.7",
        "identity:bind:dhcp.ip:10.1.7.8",
    ]
    ident.observe(ids("10.2.0.1", hours=5))  # time passes: the first lease ended 4h before
    assert sorted(store.keys()) == ["identity:bind:dhcp.ip:10.1.7.8"]
    ident.observe(ids("10.2.0.1", hours=7))
    assert list(store.keys()) == []


Bind = tuple[int, int, int]  # start, duration, holder
binds = st.lists(st.tuples(st.integers(0, 100), st.integers(1, 40), st.integers(0, 3)), max_size=12)


@given(binds, st.integers(-5, 150))
def test_exclusive_lookup_matches_brute_force(plan: list[Bind], t: int) -> None:
    history: list[intervals.Interval] = []
    for start, duration, holder in plan:
        intervals.bind(history, start, start + duration, holder, exclusive=True)
    # One holder at a time: whoever was bound last before t holds it, while their term lasts.
    started = [(s, i, s + d, h) for i, (s, d, h) in enumerate(plan) if s <= t]
    expected = None
    if started:
        _, _, end, holder = max(started)
        expected = holder if t < end else None
    assert intervals.lookup(history, t) == expected


@given(binds, st.integers(-5, 150))
def test_shared_lookup_matches_brute_force(plan: list[Bind], t: int) -> None:
    history: list[intervals.Interval] = []
    for start, duration, holder in plan:
        intervals.bind(history, start, start + duration, holder, exclusive=False)
    covering = [(s, i, h) for i, (s, d, h) in enumerate(plan) if s <= t < s + d]
    assert intervals.lookup(history, t) == (max(covering)[2] if covering else None)


@given(binds, st.integers(0, 150), st.integers(1, 5))
def test_prune_keeps_every_answer_after_the_horizon(
    plan: list[Bind], horizon: int, keep_extra: int
) -> None:
    history: list[intervals.Interval] = []
    for start, duration, holder in plan:
        intervals.bind(history, start, start + duration, holder, exclusive=True)
    before = {t: intervals.lookup(history, t) for t in range(horizon, 160)}
    intervals.prune(history, horizon, keep=len(history) + keep_extra)
    assert {t: intervals.lookup(history, t) for t in range(horizon, 160)} == before
    assert all(end >= horizon for _, end, _ in history)
