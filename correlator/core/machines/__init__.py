"""State machines, one per correlation kind, over plain-data state.

The engine hands a machine the events of one (rule, key) in event-time order, as *hits*:
``[time_us, rank, event_id, step, captures, event_json]`` (a list, so it sorts in that order
and is stored as plain JSON; ``event_json`` is ``None`` when the engine keeps the event's JSON
once for all its hits, see :mod:`correlator.core.engine`). ``rank`` is 0 for absent steps and
1 otherwise, so at equal times an absent step is seen first ("a badge in the same second
counts as before").

A machine mutates the state dict it is given and calls ``fire(time_us, hits)`` for each
match; the engine turns that into an alert, applies suppression and writes the state back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from correlator.core.predicates import RefTest
from correlator.core.rules.model import AllOf, EventCount, Rule, Step, ValueCount

Hit = list[Any]
State = dict[str, Any]
Fire = Callable[[int, list[Hit]], None]
T, RANK, ID, STEP, CAPS, JSON = range(6)


class Machine(Protocol):
    def hit(self, state: State, hit: Hit, fire: Fire) -> None:
        """Take one event (already past the watermark, in event-time order)."""

    def expire(self, state: State, now: int, fire: Fire) -> None:
        """Time has reached ``now``: fire absences whose deadline is before it, drop the rest."""

    def due(self, state: State) -> int | None:
        """When :meth:`expire` next has work (``None``: the machine holds nothing)."""

    def waits(self, state: State, hit: Hit) -> bool:
        """Whether :meth:`hit` could do anything with this hit now (False: it would be
        dropped). Cheap; lets the engine skip a hit's settle-time tests."""


def machine_for(rule: Rule, steps: list[Step], refs: tuple[tuple[RefTest, ...], ...]) -> Machine:
    from correlator.core import duration
    from correlator.core.machines.sequence import SequenceMachine
    from correlator.core.machines.window import AllOfMachine, CountMachine, DistinctMachine

    corr = rule.correlation
    window = duration.parse_us(corr.window)
    if isinstance(corr, EventCount):
        return CountMachine(window, corr.condition.gte)
    if isinstance(corr, ValueCount):
        return DistinctMachine(window, corr.condition.gte, corr.field)
    if isinstance(corr, AllOf):
        return AllOfMachine(window, [s.count for s in steps])
    return SequenceMachine(window, steps, refs)
