"""Keys with many pending hits keep them in time buckets, with the same alerts as inline."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.core.engine import BUCKET_US, META_KEY, PENDING_PREFIX, Engine
from correlator.core.machines import ID, STEP
from correlator.model import Alert, Event
from correlator.state.store import DictStore
from tests.unit.core.kit import ev
from tests.unit.core.test_engine_properties import LATENESS, RULES, ids, streams
from tests.unit.core.test_engine_scenarios import THRESHOLD

INLINE = 10**9
"""A spill threshold no test stream reaches: every key keeps its hits in its own value."""


class CountingStore(DictStore):
    """A dict store that records the keys written."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[str] = []

    def put(self, key: str, value: object) -> None:
        self.written.append(key)
        super().put(key, value)


def replay(events: list[Event], spill_at: int, store: DictStore | None = None) -> list[Alert]:
    engine = Engine(RULES, store, lateness=timedelta(seconds=LATENESS), spill_at=spill_at)
    alerts = [a for e in events for a in engine.process(e).alerts]
    return alerts + engine.flush()


@settings(max_examples=60, deadline=None)
@given(streams(), st.sampled_from([0, 1, 3]), st.randoms(use_true_random=False))
def test_spilled_keys_give_the_alerts_of_inline_ones(
    events: list[Event], spill_at: int, rnd: object
) -> None:
    jitter = {e.id: rnd.uniform(0, LATENESS) for e in events}  # type: ignore[attr-defined]
    shuffled = sorted(events, key=lambda e: e.time + timedelta(seconds=jitter[e.id]))
    store = DictStore()
    assert ids(replay(shuffled, spill_at, store)) == ids(replay(events, INLINE))
    assert list(store.keys()) == [META_KEY]  # every bucket deleted once released


@settings(max_examples=60, deadline=None)
@given(
    streams(),
    st.integers(min_value=0, max_value=40),
    st.sampled_from([0, 1, 3, INLINE]),
    st.sampled_from([0, 1, 3, INLINE]),
)
def test_a_new_engine_continues_from_buckets_whatever_its_threshold(
    events: list[Event], cut: int, before: int, after: int
) -> None:
    # Also an engine of an older version's layout (inline) followed by one that spills, and
    # the reverse: the store is read the same way whichever threshold wrote it.
    store = DictStore()
    lateness = timedelta(seconds=LATENESS)
    first = Engine(RULES, store, lateness=lateness, spill_at=before)
    alerts = [a for e in events[:cut] for a in first.process(e).alerts]
    second = Engine(RULES, store, lateness=lateness, spill_at=after)
    alerts += [a for e in events[cut:] for a in second.process(e).alerts]
    alerts += second.flush()
    assert ids(alerts) == ids(replay(events, INLINE))


@settings(max_examples=40, deadline=None)
@given(streams(), st.sampled_from([0, 1, 3]))
def test_every_event_twice_adds_no_alert_when_spilled(events: list[Event], spill_at: int) -> None:
    twice = [e for event in events for e in (event, event)]
    assert ids(replay(twice, spill_at)) == ids(replay(events, INLINE))


def test_a_busy_key_moves_its_hits_to_buckets_and_a_hit_rewrites_only_its_bucket() -> None:
    store = CountingStore()
    engine = Engine([THRESHOLD], store, lateness=timedelta(hours=1), spill_at=4)
    for second in range(5):  # the fifth hit passes the threshold of four
        engine.process(ev(second, "access_denied"))
    state = store.get("threshold|k1")
    assert state is None or "p" not in state
    buckets = [k for k in store.keys() if k.startswith(PENDING_PREFIX)]  # noqa: SIM118
    assert buckets == [f"{PENDING_PREFIX}{engine_bucket(0)}|threshold|k1"]
    assert [h[ID] for h in store.get(buckets[0])] == [f"access_denied@{s}/k1" for s in range(5)]
    store.written.clear()
    engine.process(ev(60, "access_denied"))
    bucket = f"{PENDING_PREFIX}{engine_bucket(60)}|threshold|k1"
    assert [k for k in store.written if "threshold" in k] == [bucket]
    assert [h[ID] for h in store.get(bucket)] == ["access_denied@60/k1"]


def test_a_spill_interrupted_before_its_state_was_written_holds_each_hit_once() -> None:
    store = DictStore()
    engine = Engine([THRESHOLD], store, lateness=timedelta(hours=1), spill_at=INLINE)
    for second in range(3):
        engine.process(ev(second, "access_denied"))
    inline = store.get("threshold|k1")["p"]
    # The buckets were written, the state without its inline hits was not.
    store.put(f"{PENDING_PREFIX}{engine_bucket(0)}|threshold|k1", inline[:2])
    restarted = Engine([THRESHOLD], store, lateness=timedelta(hours=1), spill_at=INLINE)
    held = [
        (h[ID], h[STEP])
        for k in store.keys()  # noqa: SIM118
        if k.startswith(PENDING_PREFIX)
        for h in store.get(k)
    ]
    assert sorted(held) == sorted((h[ID], h[STEP]) for h in inline)
    assert "p" not in (store.get("threshold|k1") or {})
    alerts = restarted.flush()
    expected = Engine([THRESHOLD], None, lateness=timedelta(hours=1))
    for second in range(3):
        expected.process(ev(second, "access_denied"))
    assert ids(alerts) == ids(expected.flush())


def engine_bucket(seconds: float) -> int:
    return int(ev(seconds, "access_denied").time.timestamp() * 1_000_000) // BUCKET_US
