"""A JWKS fetched over HTTP and cached: keys by kid, refreshed when stale or when an unknown kid shows up."""

import time
from collections.abc import Callable

import anyio
import httpx
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from server.errors import AuthError

# A token naming an unknown kid may trigger a refetch, but no more often than this: a stream of forged
# kids must not turn the server into a load generator against the identity provider.
MIN_REFETCH_SECONDS = 10.0


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._ttl = ttl_seconds
        self._client = client
        self._clock = clock
        self._keys: dict[str | None, PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = anyio.Lock()

    async def key(self, kid: str | None) -> PyJWK:
        async with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at > self._ttl
            unknown = kid not in self._keys and (
                self._fetched_at is None or now - self._fetched_at > MIN_REFETCH_SECONDS
            )
            if stale or unknown:
                await self._refresh()
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            if kid not in self._keys:
                raise AuthError(f"token signed with key id {kid!r}, which the JWKS at {self._url} does not hold")
            return self._keys[kid]

    async def _refresh(self) -> None:
        try:
            if self._client is None:
                async with httpx.AsyncClient(timeout=10.0) as client:
                    response = await client.get(self._url)
            else:
                response = await self._client.get(self._url)
            response.raise_for_status()
            key_set = PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, PyJWKError, PyJWKSetError) as exc:
            if self._keys:
                # Keep serving with the keys we have; the provider may be briefly down.
                return
            raise AuthError(f"cannot fetch the JWKS at {self._url}: {exc}") from None
        self._keys = {k.key_id: k for k in key_set.keys}
        self._fetched_at = self._clock()
