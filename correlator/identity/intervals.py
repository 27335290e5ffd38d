"""Validity intervals of one identifier: who or what held it, from when to when.

A history is a list of ``[start, end, value]`` (epoch seconds, end exclusive) sorted by
start: plain JSON, so it can sit in any store as it is. The question it answers is "who had
this IP at time t", not "who has it now", so old intervals stay until they are pruned, and
late events (a lease logged minutes after the fact) insert at their place in time.

The functions change the list they are given but never an interval inside it: a changed
interval is replaced by a new one. So a shallow copy of a history is a safe snapshot, and a
history once written to a store can be copied cheaply (``list(history)``) before a change.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from operator import itemgetter
from typing import Any

Interval = list[Any]
"""``[start, end, value]``: ``value`` held the identifier in ``[start, end)``."""


def lookup(history: list[Interval], t: float) -> Any:
    """The value that held the identifier at ``t``: the covering interval that started last."""
    i = bisect.bisect_right(history, t, key=_start)
    while i > 0:
        i -= 1
        start, end, value = history[i]
        if start <= t < end:
            return value
    return None


def bind(history: list[Interval], start: float, end: float, value: Any, exclusive: bool) -> None:
    """Record that ``value`` held the identifier in ``[start, end)``.

    ``exclusive`` means one holder at a time (an IP): whoever held it before is cut at
    ``start`` (a renewal by the same holder too: the new expiry replaces the old one) and the
    new interval ends where a later holder begins (a late event inserted in the past).
    """
    if end <= start:
        return
    i = bisect.bisect_right(history, start, key=_start)
    if exclusive:
        for j in range(i):
            earlier = history[j]
            if earlier[1] > start:
                history[j] = [earlier[0], start, earlier[2]]
        if i < len(history):
            end = min(end, history[i][0])
    history.insert(i, [start, end, value])


def unbind(history: list[Interval], t: float, match: Callable[[Any], bool] | None = None) -> bool:
    """End at ``t`` the interval covering ``t`` (whose value ``match``es, if given).

    Returns True if one ended.
    """
    i = bisect.bisect_right(history, t, key=_start)
    while i > 0:
        i -= 1
        interval = history[i]
        if interval[0] <= t < interval[1] and (match is None or match(interval[2])):
            history[i] = [interval[0], t, interval[2]]
            return True
    return False


def prune(history: list[Interval], horizon: float, keep: int) -> bool:
    """Drop intervals that ended before ``horizon``, and the oldest beyond ``keep``.

    Returns True when something was dropped.
    """
    before = len(history)
    history[:] = [iv for iv in history if iv[1] >= horizon and iv[0] < iv[1]]
    if len(history) > keep:
        del history[: len(history) - keep]
    return len(history) != before


_start = itemgetter(0)
