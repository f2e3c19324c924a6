"""Per-principal token buckets, in memory for this process (replicas each enforce their own share)."""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from server.errors import RateLimitedError
from server.governance.policy import Policy
from server.governance.principal import Principal


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, policy: Policy, clock: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def retry_after(self, principal: Principal) -> float | None:
        """Take one token for `principal`: None if the call may go ahead, else seconds until it could."""
        rate, burst = self._policy.rate_limit(principal.role)
        per_second = rate / 60.0
        now = self._clock()
        key = (principal.name, principal.role)
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(tokens=float(burst), updated=now))
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * per_second)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / per_second

    def acquire(self, principal: Principal) -> None:
        wait = self.retry_after(principal)
        if wait is not None:
            rate, _ = self._policy.rate_limit(principal.role)
            raise RateLimitedError(
                f"principal '{principal.name}' is over {rate} requests per minute; retry in {math.ceil(wait)}s"
            )
