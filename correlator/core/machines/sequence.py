"""Sequences and absences: ``temporal_ordered`` and ``absence`` rules.

The steps split into *present* steps (matched in order) and *absent* steps, each absent step
sitting in a gap: before the first present step ("B not preceded by A within the window"),
between two ("A, then B, but no C in between"), or after the last ("A not followed by B").

State (plain data):

- ``r``: partial matches ("runs"), ``[first_time, progress, hits]`` in creation order;
  ``progress`` counts the present steps matched. A run that has every present step but
  waits on a trailing absent step fires when time passes ``first_time + window``.
- ``n``: recent hits of absent steps: leading ones for a window, the others for the same
  instant only (an absent event at the same time as a present one counts as in between).
- ``a``: the last ``count`` hits of a counted first step ("5 failed logons, then ...").

A step with a ``{distinct: ...}`` test *gathers*: its event takes every partial match waiting
for it that fits (window, other reference tests) at once, counts the distinct values over all
of them, and ends them all, whether the test holds or not (they have been accounted for: a
people counter reports once per door cycle, and the next cycle must not count them again).
When the test holds, the gathered matches continue as one.

Windows are inclusive: a step exactly ``window`` after the first still matches.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from correlator.core.machines import CAPS, ID, RANK, STEP, Fire, Hit, State, T
from correlator.core.predicates import DISTINCT, HERE, TIME, RefTest
from correlator.core.rules.model import Step

MAX_RUNS = 256
"""Partial matches kept per key; beyond this the oldest is dropped (bounded state)."""


class SequenceMachine:
    def __init__(
        self, window: int, steps: list[Step], refs: tuple[tuple[RefTest, ...], ...]
    ) -> None:
        self.window = window
        self.refs = tuple(tuple(t for t in tests if not t.gathers) for tests in refs)
        self.gather = tuple(tuple(t for t in tests if t.gathers) for tests in refs)
        self.role: list[tuple[bool, int]] = []
        present = 0
        for step in steps:
            self.role.append((step.absent, present))
            present += not step.absent
        self.present = present
        self.count = next(s.count for s in steps if not s.absent)
        self.leading = any(absent and gap == 0 for absent, gap in self.role)
        self.gaps = {gap for absent, gap in self.role if absent}
        self.trailing = present in self.gaps

    def hit(self, state: State, hit: Hit, fire: Fire) -> None:
        absent, ordinal = self.role[hit[STEP]]
        if absent:
            self._absent(state, hit, ordinal)
        elif ordinal == 0:
            self._first(state, hit, fire)
        else:
            self._next(state, hit, ordinal, fire)

    def waits(self, state: State, hit: Hit) -> bool:
        absent, ordinal = self.role[hit[STEP]]
        if absent or ordinal == 0:
            return True
        if ordinal == 1 and self.count > 1:  # after a counted first step: its accumulator
            return len(state.get("a") or ()) == self.count
        return any(run[1] == ordinal for run in state.get("r") or ())

    def _absent(self, state: State, hit: Hit, gap: int) -> None:
        state.setdefault("n", []).append(hit)
        runs = state.get("r")
        if gap and runs:
            kept = [r for r in runs if r[1] != gap or not self._refs_ok(hit, r[2])]
            if len(kept) != len(runs):
                state["r"] = kept

    def _first(self, state: State, hit: Hit, fire: Fire) -> None:
        if self.leading and self._preceded(state, hit):
            return
        if self.count == 1:
            self._progress(state, [hit[T], 1, [hit]], hit, fire, new=True)
            return
        acc = state.setdefault("a", [])
        acc.append(hit)
        del acc[: -self.count]
        if self.present == 1 and len(acc) == self.count:
            del state["a"]
            self._progress(state, [acc[0][T], 1, acc], hit, fire, new=True)

    def _next(self, state: State, hit: Hit, ordinal: int, fire: Fire) -> None:
        if self.gather[hit[STEP]]:
            self._gather(state, hit, ordinal, fire)
            return
        if ordinal == 1 and self.count > 1:
            acc = state.get("a") or []
            if len(acc) == self.count and self._fits(hit, acc[0][T], acc):
                del state["a"]
                self._progress(state, [acc[0][T], 2, [*acc, hit]], hit, fire, new=True)
            return
        for run in state.get("r") or ():
            if run[1] == ordinal and self._fits(hit, run[0], run[2]):
                run[2].append(hit)
                run[1] += 1
                self._progress(state, run, hit, fire, new=False)
                return

    def _gather(self, state: State, hit: Hit, ordinal: int, fire: Fire) -> None:
        """Take every fitting partial match waiting for this step; continue them as one."""
        if ordinal == 1 and self.count > 1:
            acc = state.get("a") or []
            taken = [[acc[0][T], 1, acc]] if len(acc) == self.count else []
            if taken and not self._fits(hit, acc[0][T], acc):
                taken = []
            if taken:
                del state["a"]
        else:
            runs = state.get("r") or []
            taken = [r for r in runs if r[1] == ordinal and self._fits(hit, r[0], r[2])]
            if taken:
                gone = {id(r) for r in taken}
                _put(state, "r", [r for r in runs if id(r) not in gone])
        if not taken:
            return
        hits = sorted((h for r in taken for h in r[2]), key=lambda h: (h[T], h[RANK], h[ID]))
        if self._refs_ok(hit, hits, self.gather[hit[STEP]]):
            run = [min(r[0] for r in taken), ordinal + 1, [*hits, hit]]
            self._progress(state, run, hit, fire, new=True)

    def _fits(self, hit: Hit, first: int, hits: list[Hit]) -> bool:
        return (
            hit[T] - first <= self.window
            and all(h[ID] != hit[ID] for h in hits)
            and self._refs_ok(hit, hits)
        )

    def _progress(self, state: State, run: list[Any], hit: Hit, fire: Fire, *, new: bool) -> None:
        """``run`` just matched present step ``run[1] - 1``: fire, wait, or drop it."""
        runs: list[list[Any]] = state.setdefault("r", [])
        if run[1] in self.gaps and self._absent_now(state, hit, run):
            if not new:
                runs.remove(run)
        elif run[1] == self.present and not self.trailing:
            if not new:
                runs.remove(run)
            fire(hit[T], run[2])
        elif new:
            runs.append(run)
            if len(runs) > MAX_RUNS:
                del runs[0]
        if not runs:
            del state["r"]

    def _absent_now(self, state: State, hit: Hit, run: list[Any]) -> bool:
        """An absent step of the run's new gap happened at this very instant."""
        return any(
            n[T] == hit[T] and self.role[n[STEP]][1] == run[1] and self._refs_ok(n, run[2])
            for n in state.get("n") or ()
        )

    def _preceded(self, state: State, hit: Hit) -> bool:
        return any(
            self.role[n[STEP]][1] == 0 and hit[T] - n[T] <= self.window
            for n in state.get("n") or ()
        )

    def _refs_ok(
        self, hit: Hit, run_hits: list[Hit], tests: tuple[RefTest, ...] | None = None
    ) -> bool:
        if tests is None:
            tests = self.refs[hit[STEP]]
        if not tests:
            return True

        def lookup(step: int, path: str) -> Any:
            if path.startswith(DISTINCT):
                return _distinct(run_hits, step, path.removeprefix(DISTINCT))
            found = (
                hit
                if step == HERE
                else next((h for h in reversed(run_hits) if h[STEP] == step), None)
            )
            if found is None:
                return None
            return found[T] if path == TIME else (found[CAPS] or {}).get(path)

        caps = hit[CAPS] or {}
        return all(t.test(caps.get(t.path), None, lookup) for t in tests)

    def expire(self, state: State, now: int, fire: Fire) -> None:
        # Called before every released hit: the common case (nothing has expired) is
        # checked first without building new lists.
        window = self.window
        runs = state.get("r")
        if runs and min(map(_first_time, runs)) + window < now:
            kept = []
            for run in runs:
                deadline = run[0] + window
                if deadline >= now:
                    kept.append(run)
                elif run[1] == self.present:
                    fire(deadline, run[2])
            _put(state, "r", kept)
        recent = state.get("n")
        if recent:
            role = self.role
            lead = now - window
            kept = [n for n in recent if n[T] >= (lead if role[n[STEP]][1] == 0 else now)]
            if len(kept) != len(recent):
                _put(state, "n", kept)
        acc = state.get("a")
        if acc and acc[0][T] + window < now:
            _put(state, "a", [h for h in acc if h[T] + window >= now])

    def due(self, state: State) -> int | None:
        window, role = self.window, self.role
        runs = state.get("r")
        best = min(map(_first_time, runs)) + window if runs else None
        for hit in state.get("n") or ():
            t = hit[T] + (window if role[hit[STEP]][1] == 0 else 0)
            if best is None or t < best:
                best = t
        acc = state.get("a")
        if acc and (best is None or acc[0][T] + window < best):
            best = acc[0][T] + window
        return best


def _distinct(hits: list[Hit], step: int, path: str) -> int:
    """How many distinct values of ``path`` the hits of ``step`` captured (missing: none)."""
    values = {
        repr(value)
        for h in hits
        if h[STEP] == step and (value := (h[CAPS] or {}).get(path)) is not None
    }
    return len(values)


_first_time = itemgetter(0)


def _put(state: State, name: str, items: list[Any]) -> None:
    if items:
        state[name] = items
    else:
        state.pop(name, None)
