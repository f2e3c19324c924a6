"""The per-address throttle on requests without a valid credential, on a clock the test moves."""

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from server.governance.policy import load_policy
from server.governance.ratelimit import RateLimiter
from server.refusals import RefusalThrottle
from tests.support.clock import Clock


def test_each_address_has_its_own_bucket_refilled_at_the_default_rate(
    write_policy: Callable[[str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    policy = load_policy(write_policy("rate_limit: {requests_per_minute: 6, burst: 2}\nroles: {local: {tools: []}}\n"))
    throttle = RefusalThrottle(RateLimiter(policy, clock=clock))

    assert [throttle.retry_after("10.0.0.1") for _ in range(2)] == [None, None]
    with caplog.at_level(logging.WARNING, logger="server.refusals"):
        waits = [throttle.retry_after("10.0.0.1") for _ in range(3)]
    assert all(w is not None and 0 < w <= 10 for w in waits), waits
    assert throttle.retry_after("10.0.0.2") is None  # another address is heard

    clock.now += 10  # six a minute: one token back
    with caplog.at_level(logging.WARNING, logger="server.refusals"):
        assert throttle.retry_after("10.0.0.1") is None
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "requests without a valid credential from 10.0.0.1 are refused (429) unaudited until its rate allows again",
        "10.0.0.1: 3 requests without a valid credential were refused unaudited",
    ]


def test_the_counts_held_stay_bounded_and_nothing_goes_uncounted(
    write_policy: Callable[[str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    policy = load_policy(write_policy("rate_limit: {requests_per_minute: 1}\nroles: {local: {tools: []}}\n"))
    throttle = RefusalThrottle(RateLimiter(policy, clock=Clock()))
    with caplog.at_level(logging.WARNING, logger="server.refusals"):
        for i in range(1025):  # each address: one heard, one refused unaudited
            address = f"10.1.{i // 256}.{i % 256}"
            assert throttle.retry_after(address) is None
            assert throttle.retry_after(address) is not None
    summaries = [r.getMessage() for r in caplog.records if "addresses:" in r.getMessage()]
    assert summaries == ["1024 addresses: 1024 requests without a valid credential were refused unaudited"]
