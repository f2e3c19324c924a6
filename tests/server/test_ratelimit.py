"""Token buckets per principal: a burst goes through, the next call waits, and time refills the bucket."""

from collections.abc import Callable
from pathlib import Path

import pytest

from server.errors import RateLimitedError
from server.governance.policy import load_policy
from server.governance.principal import Principal
from server.governance.ratelimit import RateLimiter
from tests.support.clock import Clock

POLICY = """
roles:
  local: {tools: [search_assets]}
  bot: {tools: [search_assets], requests_per_minute: 6}
rate_limit: {requests_per_minute: 60, burst: 3}
"""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(write_policy: Callable[[str], Path], clock: Clock) -> RateLimiter:
    return RateLimiter(load_policy(write_policy(POLICY)), clock=clock)


def test_burst_then_wait_then_refill(limiter: RateLimiter, clock: Clock) -> None:
    ann = Principal(name="ann", role="local")

    for _ in range(3):
        limiter.acquire(ann)
    with pytest.raises(RateLimitedError) as caught:
        limiter.acquire(ann)
    assert str(caught.value) == "[rate_limited] principal 'ann' is over 60 requests per minute; retry in 1s"

    clock.now += 1.0  # 60/min = one token a second
    limiter.acquire(ann)
    with pytest.raises(RateLimitedError):
        limiter.acquire(ann)


def test_principals_have_separate_buckets(limiter: RateLimiter) -> None:
    for _ in range(3):
        limiter.acquire(Principal(name="ann", role="local"))
    limiter.acquire(Principal(name="bob", role="local"))


def test_role_rate_overrides_the_default(limiter: RateLimiter, clock: Clock) -> None:
    bot = Principal(name="crawler", role="bot")
    for _ in range(3):
        limiter.acquire(bot)
    clock.now += 5.0  # 6/min = one token every 10 s: not yet
    assert limiter.retry_after(bot) == pytest.approx(5.0)
    clock.now += 5.0
    assert limiter.retry_after(bot) is None


def test_bucket_never_holds_more_than_the_burst(limiter: RateLimiter, clock: Clock) -> None:
    ann = Principal(name="ann", role="local")
    limiter.acquire(ann)
    clock.now += 3600
    for _ in range(3):
        limiter.acquire(ann)
    with pytest.raises(RateLimitedError):
        limiter.acquire(ann)


def test_full_buckets_are_dropped_as_the_map_grows_and_limits_still_hold(limiter: RateLimiter, clock: Clock) -> None:
    for i in range(5000):  # a caller every 10 ms; a used bucket refills to its burst within a second
        limiter.acquire(Principal(name=f"caller-{i}", role="local"))
        clock.now += 0.01
    assert len(limiter) <= 1025  # swept at 1024: only the last second's callers were still short of a full bucket
    last = Principal(name="caller-4999", role="local")
    limiter.acquire(last)
    limiter.acquire(last)  # with the one it took before: its burst of three
    with pytest.raises(RateLimitedError):
        limiter.acquire(last)


def test_a_sweep_never_forgives_a_caller_its_empty_bucket(limiter: RateLimiter) -> None:
    busy = Principal(name="busy", role="local")
    for _ in range(3):
        limiter.acquire(busy)
    for i in range(3000):  # sweeps run while busy's bucket is still empty (no time passes)
        limiter.acquire(Principal(name=f"caller-{i}", role="local"))
    with pytest.raises(RateLimitedError):
        limiter.acquire(busy)
