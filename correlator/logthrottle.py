"""The Kafka client's repeated log lines, at most one per kind every half minute.

While the broker is away, aiokafka logs each failed connection and metadata attempt as an
error, several lines a second per client, for as long as the outage lasts: an hour of it is
a hundred thousand lines in which the one line that says what is going on (``broker
unreachable ...``, written by the connector and the worker's broker watch) is lost. The
throttle lets the first line of each kind through (same logger, same message template: the
arguments, such as a node id, may differ) and drops the repeats for :data:`WINDOW` seconds;
the next line that passes says how many were dropped. Nothing else is filtered.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable

WINDOW = 30.0
"""Seconds during which repeats of a line are dropped."""

LIBRARY = "aiokafka"


class Throttle(logging.Filter):
    """A filter for loggers: the first record of a kind per window, and a count of the rest."""

    def __init__(self, window: float = WINDOW, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window = window
        self.clock = clock
        self._passed: dict[tuple[str, str], float] = {}
        self._dropped: Counter[tuple[str, str]] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, str(record.msg))
        now = self.clock()
        passed = self._passed.get(kind)
        if passed is not None and now - passed < self.window:
            self._dropped[kind] += 1
            return False
        self._passed[kind] = now
        dropped = self._dropped.pop(kind, 0)
        if dropped:
            # The note goes after the formatted text, so a '%' in it cannot break formatting.
            text = record.getMessage()
            record.msg = f"{text} ({dropped} more like this in the last {self.window:.0f} s)"
            record.args = ()  # not None: some formatters (mode's) wrap a non-tuple in one
        return True


def throttle(names: Iterable[str] | None = None, window: float = WINDOW) -> Throttle:
    """Attach one throttle to the Kafka client's loggers (every ``aiokafka*`` logger that
    exists now, or ``names``): a logger's filters see only its own records, not its children's."""
    throttled = Throttle(window)
    if names is None:
        existing = list(logging.root.manager.loggerDict)
        names = [LIBRARY, *(n for n in existing if n.startswith(LIBRARY + "."))]
    for name in names:
        logger = logging.getLogger(name)
        for before in [f for f in logger.filters if isinstance(f, Throttle)]:
            logger.removeFilter(before)  # attached again (a second client in one process)
        logger.addFilter(throttled)
    return throttled
