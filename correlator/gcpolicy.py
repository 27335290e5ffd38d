"""How often the garbage collector runs in a process that holds engine state.

The engine's state is hundreds of thousands of small, long-lived lists and dicts (pending
hits, partial matches, binding intervals), and CPython's default collector (a young
collection every 700 new containers, an older one every 10 of those) walks them again and
again: about a fifth of the CPU of the whole library over the 20k stream. Almost nothing the
engine makes is cyclic garbage (reference counting frees it), so collecting less often loses
nothing. Measured with ``benchmarks/core_throughput.py`` (see benchmarks/README.md): 1,402
collections and 3.3-4.0 s of 15-20 s of CPU over 60,000 events with the default thresholds,
18 collections and about 1 s with these.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)
"""``gc.set_threshold`` for engine processes: a young collection every 50,000 new
containers, the next generation every 20 of those, the oldest every 100 of those (and then
only when it has grown by a quarter, CPython's own rule)."""


def for_engine_state() -> None:
    """Set :data:`THRESHOLDS` for this process (replay, evaluate, the worker, benchmarks)."""
    gc.set_threshold(*THRESHOLDS)
