"""The correlation engine: pure, synchronous, deterministic, event time only.

``process(event)`` files the event's matches under their (rule, key) and moves the watermark
(max event time - allowed lateness); ``advance(watermark)`` moves it explicitly (and only
that, with ``follow_events=False``: the worker's watermark comes from its inputs' clock, so
one feed read ahead of another does not make the other's events late). Matching runs
only on events *behind* the watermark, in event-time order, so any arrival order within the
lateness gives the same alerts with the same ids; the price is that an alert waits for the
watermark to pass its last event. Absences fire when the watermark passes their deadline.
Tests that read badge presence wait for the watermark too: a hit is filed on the step's other
tests, and its presence tests run (on the event rebuilt from its JSON) when it is settled, so
every badge up to the event's time has been read whatever order the feeds arrived in.

State lives in a :class:`~correlator.state.store.Store` (a dict, rocksdict, or a Faust table
in the worker), one value per (rule, key) under ``"<rule>|<key>"``:

- ``p``: pending hits, not yet behind the watermark (see :mod:`correlator.core.machines`),
  kept sorted (time, rank, event id, step) so releasing them needs no sort. A key with more
  than ``SPILL_AT`` pending hits (a site or door that many events share) keeps them instead
  in buckets of 5 s of event time under ``"@p|<bucket>|<rule>|<key>"``, until none is left:
  a hit then rewrites its bucket, not every pending hit of the key;
- ``pr``: the last hit taken from the key's buckets (time, rank, event id, step). A move
  writes the key's state before the buckets it emptied, so a worker stopped in between
  finds those hits still in the buckets; the restarted engine drops every hit up to ``pr``.
  ``pr`` goes once the buckets are gone, at a later move;
- the machine's own fields (``r``, ``n``, ``a``, ``h``, ``v``, ``l``);
- ``su``/``sc``: suppressed until (µs) and matches suppressed since the last alert.

plus ``"@watermark"`` = ``[max_event_time, watermark]``, written whenever the watermark has
moved a second (so a restarted engine may accept events up to a second older than the
watermark it had reached), and each matched event's JSON once, under ``"@e|<event id>"`` =
``[until, json]``: hits name their event by id, and the alert's evidence is read from there.
The JSON is kept until the watermark passes the event's time plus the longest window of the
rules it matched (no alert can take it as evidence after that). A second event with the same
id but other content keeps its JSON in its hits instead. A value is written back after each
change and deleted once empty, so state is bounded by what is still inside some window.
Timers (when a key next needs attention) are kept in memory and rebuilt from the store when
an engine starts, so a worker can pick up a partition where another left it.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from correlator.core import fields
from correlator.core.alerts import build_alert
from correlator.core.clock import END, NEVER, from_us, to_us
from correlator.core.compiled import CompiledRule, CompiledStep, Settle, compile_rule
from correlator.core.machines import CAPS, ID, JSON, STEP, Hit, State, T
from correlator.core.rules.errors import RuleError
from correlator.core.rules.model import Rule
from correlator.identity.view import IdentityView, NullIdentity
from correlator.model import Alert, Event
from correlator.state.store import DictStore, Store

META_KEY = "@watermark"
DOC_PREFIX = "@e|"
"""Store keys of the matched events' JSON: ``"@e|<event id>"`` = ``[until_us, json]``."""
PENDING_PREFIX = "@p|"
"""Store keys of spilled pending hits: ``"@p|<bucket>|<rule>|<key>"`` = the bucket's hits,
sorted."""
SPILL_AT = 32
"""Pending hits a key keeps in its own value; past this many they move to buckets."""
BUCKET_US = 5_000_000
"""Width of a pending bucket in event time (µs): hits of one bucket are one value."""
_SAVE_EVERY = 1_000_000
"""The watermark is written to the store when it moved 1 s (event time) since the last write."""
_INDEX_LIMIT = 10_000


@dataclass(slots=True)
class Result:
    """What one event produced: alerts that became final, and the event if it was late."""

    alerts: list[Alert] = field(default_factory=list)
    late: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class Stats:
    events: int = 0
    late: int = 0
    duplicates: int = 0
    alerts: int = 0
    suppressed: int = 0


Candidates = tuple[tuple[CompiledRule, tuple[CompiledStep, ...]], ...]


class Engine:
    """One engine per stream (a replay, or a partition in the worker)."""

    def __init__(
        self,
        rules: Iterable[Rule],
        store: Store | None = None,
        identity: IdentityView | None = None,
        lateness: timedelta = timedelta(0),
        *,
        follow_events: bool = True,
        spill_at: int = SPILL_AT,
    ) -> None:
        self._identity = identity if identity is not None else NullIdentity()
        self._rules = [compile_rule(rule, self._identity) for rule in rules]
        self._by_id = {rule.id: rule for rule in self._rules}
        if len(self._by_id) != len(self._rules):
            raise RuleError(["two rules given to one engine have the same id; ids must be unique"])
        self._store: Store = store if store is not None else DictStore()
        self._lateness = lateness // timedelta(microseconds=1)
        self._follow = follow_events
        self._index: dict[tuple[str, str], Candidates] = {}
        self._heap: list[tuple[int, str]] = []
        self._due: dict[str, int] = {}
        self._filed: dict[str, set[tuple[str, int]]] = {}
        """(event id, step) of each key's pending hits: the duplicate check without a scan.
        Built from the store on a key's first hit, kept in step with ``p`` after that."""
        self._spill_at = spill_at
        self._spilled: dict[str, dict[int, int]] = {}
        """Keys whose pending hits are in buckets: bucket -> time of its first hit."""
        self._docs: list[tuple[int, str]] = []
        """Heap of (until, store key) of the events' JSON (stale entries are skipped)."""
        self._settling: dict[str, Event] = {}
        """Events rebuilt for presence tests during one watermark move, by their JSON."""
        self._max = NEVER
        self._wm = NEVER
        self._saved_wm = NEVER
        self.stats = Stats()
        self._restore()

    @property
    def watermark(self) -> datetime | None:
        """Events before this are late; ``None`` before the first event."""
        return None if self._wm in (NEVER, END) else from_us(self._wm)

    def process(self, event: Event) -> Result:
        """Take one event in arrival order; returns alerts made final and the late event."""
        event = self._identity.observe(event)
        self.stats.events += 1
        time = to_us(event.time)
        if time < self._wm:
            self.stats.late += 1
            return Result(late=[event])
        candidates = self._index.get((event.domain, event.activity))
        if candidates is None:
            candidates = self._candidates(event.domain, event.activity)
        filings = []
        for rule, steps in candidates:
            matched = [step for step in steps if step.test(event)]
            if not matched:
                continue
            key = rule.key(event)
            if key is None:
                continue
            filings.append((rule, key, matched))
        if filings:
            until = time + max(rule.window for rule, _, _ in filings)
            doc = self._keep(event.id, event.model_dump_json(exclude_none=True), until)
            for rule, key, matched in filings:
                self._file(rule, key, event, time, matched, doc)
        if time > self._max:
            self._max = time
            if self._follow:
                return Result(alerts=self._advance(time - self._lateness))
        return Result()

    def advance(self, watermark: datetime) -> list[Alert]:
        """Move the watermark (never back): release pending events and fire due absences."""
        return self._advance(to_us(watermark))

    def flush(self) -> list[Alert]:
        """End of input: pass every window, fire every pending absence, empty the state."""
        return self._advance(END)

    def _file(
        self,
        rule: CompiledRule,
        key: str,
        event: Event,
        time: int,
        steps: list[CompiledStep],
        doc: str | None,
    ) -> None:
        """Add the event's hits to the (rule, key) pending hits, once per event id. ``doc``:
        the event's JSON when it cannot be shared under its id (``None``: it is)."""
        name = f"{rule.id}|{key}"
        state: State | None = None
        filed = self._filed.get(name)
        read = filed is None  # the state is read once: here, or below if a hit is added
        if filed is None:
            state = self._store.get(name)
            filed = self._filed[name] = self._filed_in(name, state)
        hits: list[Hit] = []
        for step in steps:
            if (event.id, step.index) in filed:
                continue
            filed.add((event.id, step.index))
            caps = {path: fields.plain(get(event)) for path, get in step.captures} or None
            hits.append([time, step.rank, event.id, step.index, caps, doc])
        if not hits:
            self.stats.duplicates += 1
            return
        if name in self._spilled:
            self._spill(name, hits)
        else:
            if not read:
                state = self._store.get(name)
            stored = state is not None
            state = state if state is not None else {}
            pending: list[Hit] = state.setdefault("p", [])
            _insert(pending, hits)
            if len(pending) > self._spill_at:
                self._spill(name, state.pop("p"))
                if state:
                    self._store.put(name, state)
                elif stored:
                    self._store.delete(name)
            else:
                self._store.put(name, state)
        self._schedule(name, time)

    def _filed_in(self, name: str, state: State | None) -> set[tuple[str, int]]:
        """(event id, step) of every pending hit of a key, read from the store."""
        filed = {(h[ID], h[STEP]) for h in (state or {}).get("p", ())}
        for bucket in self._spilled.get(name, ()):
            held = self._store.get(_bucket_key(bucket, name)) or ()
            filed.update((h[ID], h[STEP]) for h in held)
        return filed

    def _spill(self, name: str, hits: list[Hit]) -> None:
        """Add hits (sorted) to a key's pending buckets."""
        buckets = self._spilled.setdefault(name, {})
        start = 0
        while start < len(hits):
            bucket = hits[start][T] // BUCKET_US
            stop = start + 1
            while stop < len(hits) and hits[stop][T] // BUCKET_US == bucket:
                stop += 1
            store_key = _bucket_key(bucket, name)
            held: list[Hit] = self._store.get(store_key) or []
            _insert(held, hits[start:stop])
            self._store.put(store_key, held)
            buckets[bucket] = held[0][T]
            start = stop

    def _advance(self, watermark: int) -> list[Alert]:
        if watermark <= self._wm:
            return []
        self._wm = watermark
        if watermark - self._saved_wm >= _SAVE_EVERY:
            self._store.put(META_KEY, [self._max, watermark])
            self._saved_wm = watermark
        alerts: list[Alert] = []
        heap = self._heap
        while heap and heap[0][0] < watermark:
            due, name = heapq.heappop(heap)
            if self._due.get(name) == due:
                del self._due[name]
                self._settle(name, alerts)
        self._settling.clear()
        self._forget_docs(watermark)
        if len(alerts) > 1:
            alerts.sort(key=lambda a: (a.time, a.id))
        self.stats.alerts += len(alerts)
        return alerts

    def _settle(self, name: str, alerts: list[Alert]) -> None:
        """Run the machine of one (rule, key) over its events now behind the watermark."""
        stored: State | None = self._store.get(name)
        buckets = self._spilled.get(name)
        if stored is None and buckets is None:
            self._filed.pop(name, None)
            return
        state: State = stored if stored is not None else {}
        if buckets is None:
            state.pop("pr", None)  # its buckets were deleted by earlier writes
        rule_id, _, key = name.partition("|")
        rule = self._by_id[rule_id]
        machine, wm, steps = rule.machine, self._wm, rule.steps
        expired = NEVER

        def fire(time: int, hits: list[Hit]) -> None:
            until = state.get("su")
            if until is not None and time < until:
                state["sc"] = state.get("sc", 0) + 1
                self.stats.suppressed += 1
                return
            alerts.append(build_alert(rule, key, time, hits, self._doc, state.pop("sc", 0)))
            if rule.suppress is not None:
                state["su"] = time + rule.suppress

        def take(hit: Hit) -> None:
            nonlocal expired
            if hit[T] != expired:
                # Again at the same time is a no-op: a hit adds nothing that expires at once.
                expired = hit[T]
                machine.expire(state, expired, fire)
            settle = steps[hit[STEP]].settle
            if settle is not None and not (
                machine.waits(state, hit) and self._confirm(settle, hit)
            ):
                return  # its presence tests fail (or nothing waits for it): dropped
            machine.hit(state, hit, fire)

        pending: list[Hit] = state.pop("p", [])
        cut = 0
        while cut < len(pending) and pending[cut][T] < wm:
            take(pending[cut])
            cut += 1
        released = pending[:cut]
        first = None
        changes: list[tuple[str, list[Hit] | None]] = []
        if cut < len(pending):
            state["p"] = pending[cut:]
            first = pending[cut][T]
        elif buckets is not None:
            first = self._release(name, buckets, take, released, changes)
            if len(released) > cut:
                state["pr"] = released[-1][: STEP + 1]
        filed = self._filed.get(name)
        if filed is not None:
            if first is None:
                del self._filed[name]
            else:
                filed.difference_update((h[ID], h[STEP]) for h in released)
        machine.expire(state, wm, fire)
        self._save(rule, name, state, first, stored is not None)
        # The buckets change after the state that records what was taken from them.
        for store_key, held in changes:
            if held:
                self._store.put(store_key, held)
            else:
                self._store.delete(store_key)

    def _release(
        self,
        name: str,
        buckets: dict[int, int],
        take: Callable[[Hit], None],
        out: list[Hit],
        changes: list[tuple[str, list[Hit] | None]],
    ) -> int | None:
        """Give ``take`` a spilled key's hits behind the watermark, in order (added to
        ``out``), and add to ``changes`` what is then left in each bucket it took from;
        returns the time of the first hit left, if any."""
        wm = self._wm
        for bucket in sorted(buckets):
            if buckets[bucket] >= wm:
                return buckets[bucket]
            store_key = _bucket_key(bucket, name)
            held: list[Hit] = self._store.get(store_key) or []
            cut = 0
            while cut < len(held) and held[cut][T] < wm:
                take(held[cut])
                cut += 1
            out.extend(held[:cut])
            if cut < len(held):
                changes.append((store_key, held[cut:]))
                buckets[bucket] = held[cut][T]
                return buckets[bucket]
            changes.append((store_key, None))
            del buckets[bucket]
        del self._spilled[name]
        return None

    def _confirm(self, settle: Settle, hit: Hit) -> bool:
        """Run a hit's settle-time tests; on success add its settle-time captures."""
        doc = self._doc(hit)
        event = self._settling.get(doc)
        if event is None:
            event = self._settling[doc] = Event.model_validate_json(doc)
        if not settle.test(event):
            return False
        if settle.captures:
            caps = dict(hit[CAPS] or {})
            for path, get in settle.captures:
                caps[path] = fields.plain(get(event))
            hit[CAPS] = caps
        return True

    def _keep(self, event_id: str, doc: str, until: int) -> str | None:
        """Store an event's JSON once, until ``until``; returns what its hits carry: ``None``
        (read it from the store), or the JSON itself when another event holds the id."""
        name = DOC_PREFIX + event_id
        held = self._store.get(name)
        if held is not None and held[1] != doc:
            return doc
        if held is None or held[0] < until:
            self._store.put(name, [until, doc])
            heapq.heappush(self._docs, (until, name))
        return None

    def _doc(self, hit: Hit) -> str:
        """The JSON of a hit's event."""
        doc = hit[JSON]
        if doc is not None:
            return str(doc)
        held = self._store.get(DOC_PREFIX + hit[ID])
        if held is None:  # the engine keeps it as long as any window can reach it
            raise KeyError(f"event {hit[ID]!r} is no longer in the engine's state")
        return str(held[1])

    def _forget_docs(self, watermark: int) -> None:
        """Delete the events' JSON no alert can take as evidence any more."""
        docs = self._docs
        while docs and docs[0][0] < watermark:
            _, name = heapq.heappop(docs)
            held = self._store.get(name)
            if held is not None and held[0] < watermark:
                self._store.delete(name)

    def _save(
        self, rule: CompiledRule, name: str, state: State, first: int | None, stored: bool
    ) -> None:
        """Write the state back with its next timer, or delete it when it holds nothing.

        ``first`` is the time of the earliest pending hit (the list is sorted by then);
        ``stored``: whether the store holds a value for the key now."""
        if state.get("su", END) < self._wm:
            state.pop("su")
            state.pop("sc", None)
        due = _next_due(rule, state, first)
        if due is None and "pr" in state and self._wm != END:
            due = self._wm  # kept until its buckets' deletions are written: the next move
        if state and due is not None:
            self._store.put(name, state)
        elif stored:
            self._store.delete(name)  # empty, or only spilled hits pending
        if due is not None:
            self._schedule(name, max(due, self._wm))

    def _schedule(self, name: str, due: int) -> None:
        current = self._due.get(name)
        if current is None or due < current:
            self._due[name] = due
            heapq.heappush(self._heap, (due, name))

    def _candidates(self, domain: str, activity: str) -> Candidates:
        """The rules and steps an event of this domain and activity can match."""
        found = []
        for rule in self._rules:
            steps = tuple(
                s
                for s in rule.steps
                if (s.domains is None or domain in s.domains)
                and (s.activities is None or activity in s.activities)
            )
            if steps:
                found.append((rule, steps))
        candidates = tuple(found)
        if len(self._index) < _INDEX_LIMIT:
            self._index[(domain, activity)] = candidates
        return candidates

    def _restore(self) -> None:
        """Pick up state left in the store: watermark, and a timer for every live key."""
        states: dict[str, Any] = {}
        for name in self._store.keys():  # noqa: SIM118 (a Store is not iterable)
            value: Any = self._store.get(name)
            if name == META_KEY:
                self._max, self._wm = value
                self._saved_wm = self._wm
            elif name.startswith(DOC_PREFIX):
                heapq.heappush(self._docs, (value[0], name))
            elif name.startswith(PENDING_PREFIX):
                bucket, _, owner = name[len(PENDING_PREFIX) :].partition("|")
                if value and owner.partition("|")[0] in self._by_id:
                    self._spilled.setdefault(owner, {})[int(bucket)] = value[0][T]
                else:
                    self._store.delete(name)  # a rule no longer loaded
            else:
                states[name] = value
        for name, value in states.items():
            rule = self._by_id.get(name.partition("|")[0])
            if isinstance(value, dict) and "pr" in value and name in self._spilled:
                self._drop_released(name, value["pr"])
            pending = value.get("p") if isinstance(value, dict) else None
            if pending and any(a > b for a, b in pairwise(pending)):
                value["p"] = pending = sorted(pending)  # written unsorted by older versions
                self._store.put(name, value)
            if pending and name in self._spilled:  # stopped between the writes of a spill
                spilled = self._filed_in(name, None)
                self._spill(name, [h for h in value.pop("p") if (h[ID], h[STEP]) not in spilled])
                self._store.put(name, value)
                pending = None
            first = pending[0][T] if pending else self._first_spilled(name)
            due = None if rule is None or value is None else _next_due(rule, value, first)
            if due is None:
                self._store.delete(name)
            else:
                self._schedule(name, due)
        for name in self._spilled.keys() - states.keys():
            self._schedule(name, min(self._spilled[name].values()))

    def _drop_released(self, name: str, last: list[Any]) -> None:
        """Delete from a key's buckets the hits up to ``last``: taken by a move whose state was
        written before the writes that emptied its buckets were (stopped in between)."""
        buckets = self._spilled[name]
        for bucket in list(buckets):
            store_key = _bucket_key(bucket, name)
            held: list[Hit] = self._store.get(store_key) or []
            left = [h for h in held if h[: STEP + 1] > last]
            if len(left) == len(held):
                continue
            if left:
                self._store.put(store_key, left)
                buckets[bucket] = left[0][T]
            else:
                self._store.delete(store_key)
                del buckets[bucket]
        if not buckets:
            del self._spilled[name]

    def _first_spilled(self, name: str) -> int | None:
        buckets = self._spilled.get(name)
        return min(buckets.values()) if buckets else None


def _insert(pending: list[Hit], hits: list[Hit]) -> None:
    """Add hits to a sorted list of hits, keeping it sorted."""
    for hit in hits:
        if not pending or pending[-1] < hit:
            pending.append(hit)  # the usual case: arrival in event-time order
        else:
            bisect.insort(pending, hit)


def _bucket_key(bucket: int, name: str) -> str:
    """The store key of one bucket of a key's spilled pending hits."""
    return f"{PENDING_PREFIX}{bucket}|{name}"


def _next_due(rule: CompiledRule, state: State, first: int | None) -> int | None:
    """The next timer of a key: its machine's, its suppression's end, or ``first`` (the
    earliest pending hit's time, which the caller knows)."""
    due = rule.machine.due(state)
    until = state.get("su")
    if until is not None and (due is None or until < due):
        due = until
    if first is not None and (due is None or first < due):
        due = first
    return due
