"""Machines that only look back over a window: all-of, event count, distinct count.

Each keeps the hits still inside the window; a match consumes its evidence (the next alert
needs fresh events), which also bounds the state to one match's worth of hits.
"""

from __future__ import annotations

from correlator.core.machines import CAPS, STEP, Fire, Hit, State, T


class AllOfMachine:
    """Every step within the window, any order: the latest ``count`` hits of each step are kept.

    State ``l``: step index (text) → its latest hits, oldest first.
    """

    def __init__(self, window: int, counts: list[int]) -> None:
        self.window, self.counts = window, counts

    def hit(self, state: State, hit: Hit, fire: Fire) -> None:
        latest = state.setdefault("l", {})
        kept = latest.setdefault(str(hit[STEP]), [])
        kept.append(hit)
        del kept[: -self.counts[hit[STEP]]]
        if len(latest) == len(self.counts) and all(
            len(latest[str(i)]) == need for i, need in enumerate(self.counts)
        ):
            del state["l"]
            fire(hit[T], sorted(h for hits in latest.values() for h in hits))

    def expire(self, state: State, now: int, fire: Fire) -> None:
        latest = state.get("l")
        if latest is None:
            return
        kept = {}
        for step, hits in latest.items():
            recent = [h for h in hits if h[T] + self.window >= now]
            if recent:
                kept[step] = recent
        if kept:
            state["l"] = kept
        else:
            del state["l"]

    def due(self, state: State) -> int | None:
        latest = state.get("l")
        return min(hits[0][T] for hits in latest.values()) + self.window if latest else None

    def waits(self, state: State, hit: Hit) -> bool:
        return True  # every hit counts towards the window


class CountMachine:
    """At least ``threshold`` hits within the window (Sigma ``event_count``)."""

    def __init__(self, window: int, threshold: int) -> None:
        self.window, self.threshold = window, threshold

    def hit(self, state: State, hit: Hit, fire: Fire) -> None:
        hits = state.setdefault("h", [])
        hits.append(hit)
        if len(hits) >= self.threshold:
            del state["h"]
            fire(hit[T], hits)

    def expire(self, state: State, now: int, fire: Fire) -> None:
        hits = state.get("h")
        if hits is None:
            return
        first = 0
        while first < len(hits) and hits[first][T] + self.window < now:
            first += 1
        if first == len(hits):
            del state["h"]
        elif first:
            state["h"] = hits[first:]

    def due(self, state: State) -> int | None:
        hits = state.get("h")
        return hits[0][T] + self.window if hits else None

    def waits(self, state: State, hit: Hit) -> bool:
        return True  # every hit counts towards the window


class DistinctMachine:
    """At least ``threshold`` distinct values of a field within the window (``value_count``).

    Only the latest hit per value is kept: it is the one that stays in the window longest.
    """

    def __init__(self, window: int, threshold: int, field: str) -> None:
        self.window, self.threshold, self.field = window, threshold, field

    def hit(self, state: State, hit: Hit, fire: Fire) -> None:
        value = (hit[CAPS] or {}).get(self.field)
        if value is None:
            return
        seen = state.setdefault("v", {})
        name = f"{type(value).__name__}:{value}"
        seen.pop(name, None)
        seen[name] = hit
        if len(seen) >= self.threshold:
            del state["v"]
            fire(hit[T], sorted(seen.values()))

    def expire(self, state: State, now: int, fire: Fire) -> None:
        seen = state.get("v")
        if seen is None:
            return
        kept = {name: h for name, h in seen.items() if h[T] + self.window >= now}
        if not kept:
            del state["v"]
        elif len(kept) != len(seen):
            state["v"] = kept

    def due(self, state: State) -> int | None:
        seen = state.get("v")
        return min(h[T] for h in seen.values()) + self.window if seen else None

    def waits(self, state: State, hit: Hit) -> bool:
        return True  # every hit counts towards the window
