from __future__ import annotations

import pytest
from correlator_connectors.transports.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_goes_through_then_the_client_waits_for_the_next_token() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(0.5)  # one token every 1/2 s
    clock.now += 0.25
    assert limiter.take("a") == pytest.approx(0.25)
    clock.now += 0.25
    assert limiter.take("a") == 0.0
    assert limiter.take("a") == pytest.approx(0.5)


def test_a_refused_request_takes_no_token() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=1, clock=clock)
    assert limiter.take("a") == 0.0
    for _ in range(5):
        assert limiter.take("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.take("a") == 0.0


def test_the_bucket_refills_no_higher_than_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10.0, burst=2, clock=clock)
    limiter.take("a")
    clock.now += 3600
    assert [limiter.take("a") > 0 for _ in range(3)] == [False, False, True]


def test_clients_have_buckets_of_their_own() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, clock=Clock())
    assert limiter.take("10.0.0.1") == 0.0
    assert limiter.take("10.0.0.1") > 0
    assert limiter.take("10.0.0.2") == 0.0


def test_memory_stays_bounded_with_many_clients() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=2, clock=clock, max_clients=100)
    for n in range(1000):
        limiter.take(f"10.0.{n // 256}.{n % 256}")
        clock.now += 0.01
    assert limiter.clients() <= 100


def test_a_client_mid_burst_is_kept_while_full_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=2, clock=clock, max_clients=2)
    limiter.take("old")  # refills to full within a second
    clock.now += 5
    limiter.take("busy")
    limiter.take("busy")  # empty now
    limiter.take("new")  # table full: "old" is full again and goes, "busy" stays
    assert limiter.take("busy") > 0


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_a_limit_that_lets_nothing_through_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate must be above 0 and burst at least 1"):
        RateLimiter(rate=rate, burst=burst)
