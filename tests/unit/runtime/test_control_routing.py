"""Published rules are validated in the worker, and events are routed by the rules' keys."""

from __future__ import annotations

from collections import UserDict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from correlator import serde
from correlator.core.rules.errors import RuleError
from correlator.core.rules.loader import load_rules
from correlator.identity.view import NullIdentity
from correlator.model.event import Actor, Event, Place, Source
from correlator.runtime.control import Published, parse_rule
from correlator.runtime.routing import Router, route_key, split_key
from correlator.runtime.tablestore import TableStore

ROOT = Path(__file__).resolve().parents[3]
BURST = ROOT / "rules" / "badge-denied-burst.yaml"
FORCED = ROOT / "rules" / "door-forced-no-badge.yaml"
T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def event(activity: str, **fields: object) -> Event:
    source = Source(connector="t", format="t")
    return Event.model_validate(
        {"id": activity, "time": T, "ingest_time": T, "source": source, "domain": "access",
         "activity": activity, **fields}
    )  # fmt: skip


def test_an_event_goes_once_to_each_key_kind_that_can_use_it() -> None:
    rules = [loaded.rule for loaded in load_rules([BURST, FORCED])]
    router = Router(rules, NullIdentity())
    denied = event("access_denied", actor=Actor(credential="9"), location=Place(door="d1"))
    assert router.routes(denied) == [("actor.credential", "actor.credential=9")]
    assert router.routes(event("door_forced", location=Place(door="d1"))) == [("location", "d1")]
    assert router.routes(event("heartbeat")) == []
    assert split_key(route_key("location", "d1")) == ("location", "d1")


def test_a_published_rule_is_validated_again() -> None:
    text = BURST.read_text()
    assert parse_rule("badge-denied-burst", text).id == "badge-denied-burst"
    with pytest.raises(RuleError, match="publish it under that id"):
        parse_rule("other", text)
    with pytest.raises(RuleError, match="rule 'broken'"):
        parse_rule("broken", "id: broken\ncorrelation: 5")


def test_an_invalid_record_keeps_the_last_good_rules() -> None:
    published, bad = Published(), []
    good = serde.dumps({"id": "badge-denied-burst", "file": "x", "yaml": BURST.read_text()})

    def apply(key: bytes, value: bytes | None) -> None:
        published.apply(False, "rules[0]@0", key, value, lambda *a: bad.append(a))

    apply(b"badge-denied-burst", good)
    version = published.version
    apply(b"badge-denied-burst", serde.dumps({"id": "badge-denied-burst", "yaml": "id: ["}))
    assert list(published.rules) == ["badge-denied-burst"]
    assert published.version == version
    assert len(bad) == 1
    apply(b"badge-denied-burst", None)
    assert published.rules == {}
    assert published.version == version + 1


def test_a_table_store_sees_only_its_prefix() -> None:
    table: dict[str, object] = {"0/person/a": 1, "1/person/a": 2}
    store = TableStore(table, "0/person/")
    store.put("b", [3])
    store.delete("a")
    store.delete("missing")
    assert sorted(store.keys()) == ["b"]
    assert store.get("b") == [3]
    assert store.get("a") is None
    assert table == {"0/person/a": 1, "1/person/a": 2}, "changes are held until flushed"
    store.flush()
    assert table == {"1/person/a": 2, "0/person/b": [3]}
    assert sorted(store.keys()) == ["b"]


def test_a_table_store_sends_each_changed_key_once_per_flush() -> None:
    writes: list[str] = []

    class Table(dict[str, object]):
        def __setitem__(self, key: str, value: object) -> None:
            writes.append(key)
            super().__setitem__(key, value)

    store = TableStore(Table(), "0/site/")
    for n in range(5):
        store.put("hq", [n])
    store.put("lab", [1])
    store.delete("lab")
    store.flush()
    assert writes == ["0/site/hq"]
    assert store.get("hq") == [4]


def test_a_table_store_deletes_only_what_the_table_holds_and_never_reads_the_value() -> None:
    changes: list[tuple[str, str]] = []

    class Table(UserDict[str, object]):  # a MutableMapping, as Faust's tables are
        def __setitem__(self, key: str, value: object) -> None:
            changes.append(("set", key))
            super().__setitem__(key, value)

        def __delitem__(self, key: str) -> None:
            changes.append(("delete", key))
            super().__delitem__(key)

        def __getitem__(self, key: str) -> object:
            raise AssertionError("a delete decoded the value")

    table = Table({"0/@e|old": [1, "{}"]})
    changes.clear()
    store = TableStore(table, "0/")
    store.put("@e|new", [2, "{}"])  # made and deleted between two flushes: nothing to write
    store.delete("@e|new")
    store.delete("@e|old")
    store.delete("@e|never")
    store.flush()
    assert changes == [("delete", "0/@e|old")]
    assert dict(table) == {}
