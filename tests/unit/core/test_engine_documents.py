"""The events' JSON is kept once per event in the engine's state, not in every hit."""

from __future__ import annotations

from datetime import timedelta

from correlator.core.engine import DOC_PREFIX, META_KEY, Engine
from correlator.state.store import DictStore
from tests.unit.core.kit import FakeIdentity, at, ev, rule
from tests.unit.core.test_engine_scenarios import SEQUENCE, THRESHOLD

LONG = rule(  # the same first step as SEQUENCE, a longer window
    """
correlation:
  type: temporal_ordered
  by: location
  window: 10m
  steps:
    - {name: a, match: {activity: access_denied}}
    - {name: b, match: {activity: door_closed}}
""",
    id="long",
)


def test_an_event_matching_several_rules_is_stored_once_and_kept_for_the_longest_window() -> None:
    store = DictStore()
    engine = Engine([SEQUENCE, LONG, THRESHOLD], store)
    engine.process(ev(0, "access_denied"))
    docs = [k for k in store.keys() if k.startswith(DOC_PREFIX)]  # noqa: SIM118
    assert docs == [DOC_PREFIX + "access_denied@0/k1"]
    until, doc = store.get(docs[0])
    assert until == engine_us(600)
    assert '"activity":"access_denied"' in doc
    pending = [store.get(k)["p"] for k in store.keys() if "|" in k and k != docs[0]]  # noqa: SIM118
    assert pending
    assert all(hit[5] is None for hits in pending for hit in hits)
    engine.advance(at(599))
    assert store.get(docs[0]) is not None  # the 10 minute rule may still take it
    engine.advance(at(601))
    assert store.get(docs[0]) is None


def test_evidence_is_read_back_from_the_stored_json() -> None:
    engine = Engine([SEQUENCE], DictStore())
    engine.process(ev(0, "access_denied", attrs={"reader": "r1"}))
    engine.process(ev(5, "door_forced"))
    (alert,) = engine.flush()
    assert [e.id for e in alert.evidence] == ["access_denied@0/k1", "door_forced@5/k1"]
    assert alert.evidence[0].attrs == {"reader": "r1"}


def test_two_events_with_one_id_keep_their_own_evidence() -> None:
    remote = rule("""
        correlation:
          type: temporal_ordered
          by: person
          window: 1h
          steps:
            - {name: badge, match: {activity: access_granted}}
            - {name: vpn, match: {domain: vpn}}
    """)
    identity = FakeIdentity({"alice": "p-alice", "bob": "p-bob"}, {})
    engine = Engine([remote], DictStore(), identity)
    for account in ("alice", "bob"):  # the same id for both people's events (a feed's bug)
        engine.process(ev(0, "access_granted", id="same", actor={"account": account}))
    for account in ("alice", "bob"):
        engine.process(ev(60, "logon", id=f"vpn-{account}", domain="vpn",
                          actor={"account": account}))  # fmt: skip
    alerts = sorted(engine.flush(), key=lambda a: a.entity.id)
    assert [a.entity.id for a in alerts] == ["p-alice", "p-bob"]
    assert [a.evidence[0].actor.account for a in alerts if a.evidence[0].actor] == ["alice", "bob"]


def test_a_restarted_engine_forgets_the_stored_json_on_time() -> None:
    store = DictStore()
    Engine([SEQUENCE], store, lateness=timedelta(seconds=30)).process(ev(0, "access_denied"))
    again = Engine([SEQUENCE], store, lateness=timedelta(seconds=30))
    again.advance(at(61))
    assert list(store.keys()) == [META_KEY]


def engine_us(seconds: float) -> int:
    return int(at(seconds).timestamp() * 1_000_000)
