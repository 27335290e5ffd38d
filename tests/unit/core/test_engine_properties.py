"""Engine properties over generated streams (hypothesis, modest example counts)."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.core.engine import META_KEY, Engine
from correlator.core.rules import load_rules
from correlator.model import Alert, Event
from correlator.state.store import DictStore, RocksdictStore
from tests.unit.core.kit import ev, rule, run
from tests.unit.core.test_engine_scenarios import ALL_OF, NOT_BETWEEN, NOT_FOLLOWED, THRESHOLD

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"
SHIPPED = [
    loaded.rule
    for loaded in load_rules([RULES_DIR])
    if not any(case.directory for case in loaded.rule.tests)
]
DISTINCT = rule(
    """
correlation:
  type: value_count
  by: actor.credential
  window: 90s
  field: location.door
  match: {activity: access_denied}
  condition: {gte: 2}
""",
    id="distinct",
)
RULES = [*SHIPPED, NOT_BETWEEN, NOT_FOLLOWED, THRESHOLD, ALL_OF, DISTINCT]
LATENESS = 20.0
ACTIVITIES = ["access_denied", "access_granted", "door_forced", "door_held", "door_closed"]


@st.composite
def streams(draw: st.DrawFn) -> list[Event]:
    """Time-ordered physical and logon events over a few doors, badges and accounts."""
    size = draw(st.integers(min_value=1, max_value=40))
    events, t = [], 0.0
    for i in range(size):
        t += draw(st.sampled_from([0, 0.5, 1, 5, 15, 30, 60]))
        door = draw(st.sampled_from(["d1", "d2", "d3"]))
        if draw(st.booleans()):
            outcome = draw(st.sampled_from(["success", "failure"]))
            account = draw(st.sampled_from(["alice", "bob"]))
            events.append(
                ev(
                    t,
                    "logon",
                    door,
                    id=f"e{i}",
                    domain="auth",
                    outcome=outcome,
                    actor={"account": account},
                )
            )
        else:
            activity = draw(st.sampled_from(ACTIVITIES))
            badge = draw(st.sampled_from(["b1", "b2"]))
            events.append(ev(t, activity, door, id=f"e{i}", actor={"credential": badge}))
    return events


def ids(alerts: list[Alert]) -> list[str]:
    return sorted(a.id for a in alerts)


@settings(max_examples=60, deadline=None)
@given(streams(), st.randoms(use_true_random=False))
def test_reordering_within_lateness_gives_the_same_alert_ids(
    events: list[Event], rnd: object
) -> None:
    # Arrival order sorted by time + jitter in [0, lateness]: no event is ever late.
    jitter = {e.id: rnd.uniform(0, LATENESS) for e in events}  # type: ignore[attr-defined]
    shuffled = sorted(events, key=lambda e: e.time + timedelta(seconds=jitter[e.id]))
    in_order, _ = run(RULES, events, LATENESS)
    reordered, late = run(RULES, shuffled, LATENESS)
    assert late == 0
    assert ids(reordered) == ids(in_order)


@settings(max_examples=60, deadline=None)
@given(streams())
def test_every_event_twice_adds_no_alert(events: list[Event]) -> None:
    once, _ = run(RULES, events)
    twice, _ = run(RULES, [e for event in events for e in (event, event)])
    assert ids(twice) == ids(once)


@settings(max_examples=60, deadline=None)
@given(streams())
def test_state_is_empty_once_the_watermark_passes_every_window(events: list[Event]) -> None:
    store = DictStore()
    engine = Engine(RULES, store)
    for event in events:
        engine.process(event)
    engine.advance(max(e.time for e in events) + timedelta(days=1))
    # A key emptied by taking the last hits of its buckets is deleted at the next move.
    engine.advance(max(e.time for e in events) + timedelta(days=2))
    assert list(store.keys()) == [META_KEY]


@settings(max_examples=20, deadline=None)
@given(streams())
def test_dict_and_rocksdict_stores_give_identical_alerts(events: list[Event]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rocks = RocksdictStore(Path(tmp) / "state")
        try:
            on_disk, _ = run(RULES, events, LATENESS, store=rocks)
        finally:
            rocks.close()
    in_memory, _ = run(RULES, events, LATENESS, store=DictStore())
    assert on_disk == in_memory


@settings(max_examples=40, deadline=None)
@given(streams(), st.integers(min_value=0, max_value=40))
def test_a_new_engine_continues_from_the_store(events: list[Event], cut: int) -> None:
    store = DictStore()
    first = Engine(RULES, store, lateness=timedelta(seconds=LATENESS))
    alerts = [a for e in events[:cut] for a in first.process(e).alerts]
    second = Engine(RULES, store, lateness=timedelta(seconds=LATENESS))
    alerts += [a for e in events[cut:] for a in second.process(e).alerts]
    alerts += second.flush()
    assert ids(alerts) == ids(run(RULES, events, LATENESS)[0])
