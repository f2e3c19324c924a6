"""Per-principal token buckets, in memory for this process (replicas each enforce their own share).

A bucket that has refilled to its burst is the same as no bucket, so full buckets are dropped whenever
the map doubles: it holds about as many buckets as callers were heard within one refill, not every caller
since the process started (which, for buckets per client address, anyone could grow at will).
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from server.errors import RateLimitedError
from server.governance.policy import Policy
from server.governance.principal import Principal


# Below this many buckets the map is never swept.
_SWEEP_FROM = 1024


@dataclass
class _Bucket:
    tokens: float
    updated: float
    burst: float
    per_second: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now


class RateLimiter:
    def __init__(self, policy: Policy, clock: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._sweep_at = _SWEEP_FROM
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many buckets are held."""
        return len(self._buckets)

    def retry_after(self, principal: Principal) -> float | None:
        """Take one token for `principal`: None if the call may go ahead, else seconds until it could."""
        rate, burst = self._policy.rate_limit(principal.role)
        per_second = rate / 60.0
        now = self._clock()
        key = (principal.name, principal.role)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._sweep_at:
                    self._sweep(now)
                bucket = self._buckets[key] = _Bucket(float(burst), now, float(burst), per_second)
            bucket.burst, bucket.per_second = float(burst), per_second  # as the policy says on this call
            bucket.refill(now)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / per_second

    def _sweep(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.burst:
                del self._buckets[key]
        self._sweep_at = max(_SWEEP_FROM, 2 * len(self._buckets))

    def acquire(self, principal: Principal) -> None:
        wait = self.retry_after(principal)
        if wait is not None:
            rate, _ = self._policy.rate_limit(principal.role)
            raise RateLimitedError(
                f"principal '{principal.name}' is over {rate} requests per minute; retry in {math.ceil(wait)}s"
            )
