"""Requests without a valid credential, throttled per client address.

Each such request is refused (401) and audited like any refusal. An address that keeps sending them would
fill the audit log with refusals, so they take tokens from a bucket per address at the policy's default
rate: beyond it they are refused with 429 before any audit entry is written, and the server log says when
an address starts being throttled and how many of its requests were refused unaudited.
"""

import logging
import math
import threading
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.errors import UnauthenticatedError
from server.governance.principal import ANONYMOUS, Principal
from server.governance.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

# The role of a caller no credential names: no policy role, so an address's bucket runs at the default rate.
_ADDRESS_ROLE = ANONYMOUS.role
# Addresses whose unaudited refusals are counted at once; past it the counts are logged and begun again.
_MAX_COUNTED = 1024


class RefusalThrottle:
    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self._unaudited: dict[str, int] = {}  # address -> requests refused unaudited since its last audited one
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> float | None:
        """Take a token for one unauthenticated request from `address`: None when it is refused and audited as
        usual, else the seconds until the address may be heard again (this request is not audited)."""
        wait = self._limiter.retry_after(Principal(name=f"address {address}", role=_ADDRESS_ROLE, auth="local"))
        with self._lock:
            if wait is not None:
                if address not in self._unaudited and len(self._unaudited) >= _MAX_COUNTED:
                    self._log_counts()
                count = self._unaudited[address] = self._unaudited.get(address, 0) + 1
                if count == 1:
                    logger.warning("requests without a valid credential from %s are refused (429) unaudited "
                                   "until its rate allows again", address)
                return wait
            count = self._unaudited.pop(address, 0)
        if count:
            logger.warning("%s: %d requests without a valid credential were refused unaudited", address, count)
        return None

    def _log_counts(self) -> None:
        """Log every count held and forget them, so that the counts held stay bounded (lock held)."""
        total = sum(self._unaudited.values())
        logger.warning("%d addresses: %d requests without a valid credential were refused unaudited",
                       len(self._unaudited), total)
        self._unaudited.clear()


def throttled_refusal(
    throttle: RefusalThrottle, request: Request, resolve: Callable[[Request], Principal]
) -> JSONResponse | None:
    """A 429 for a request without a valid credential from an address over its rate; None for any other
    request (it goes on to be served, or refused and audited, as usual)."""
    try:
        resolve(request)
        return None
    except UnauthenticatedError:
        pass
    address = request.client.host if request.client is not None else "unknown"
    wait = throttle.retry_after(address)
    if wait is None:
        return None
    seconds = math.ceil(wait)
    message = (f"[rate_limited] too many requests without a valid credential from {address}; "
               f"retry in {seconds}s")
    return JSONResponse({"error": message}, status_code=429,
                        headers={"Retry-After": str(seconds), "Cache-Control": "no-store"})
