"""A token bucket per client: how many requests a sender may make, and how fast.

Each client (the HTTP intake keys by sender address) has a bucket of ``burst`` tokens that
refills at ``rate`` tokens per second; a request takes one. An empty bucket means "wait": the
caller answers 429 with the seconds until the next token as ``Retry-After``.

The clock is injected (``time.monotonic`` by default) so tests can step it. Memory is
bounded: past ``max_clients`` buckets, the ones that have refilled to full are forgotten
(a full bucket is what a new client gets anyway), so a scan from many addresses cannot
grow the table without end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Clock = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be above 0 and burst at least 1 (got {rate}, {burst})")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    def take(self, client: str) -> float:
        """Take one token for ``client``: 0.0 if it may go ahead, else seconds to wait."""
        now = self.clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self.max_clients:
                self._forget_full(now)
            bucket = self._buckets[client] = _Bucket(float(self.burst), now)
        else:
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def clients(self) -> int:
        """Buckets held (for tests and metrics)."""
        return len(self._buckets)

    def _forget_full(self, now: float) -> None:
        full = [
            client
            for client, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.rate >= self.burst
        ]
        for client in full:
            del self._buckets[client]
        if len(self._buckets) >= self.max_clients:
            # Every client is mid-burst: drop the oldest. It may start again with a full
            # bucket, which bounds memory at the price of some leniency under attack.
            oldest = min(self._buckets, key=lambda c: self._buckets[c].at)
            del self._buckets[oldest]
