"""Turn a presented credential into a Principal: bearer tokens (checked against stored sha256 hashes)
and JWTs (checked against the identity provider's JWKS, claims mapped to a role)."""

import hashlib
import hmac
from collections.abc import Mapping, Sequence

import httpx
import jwt

from server.errors import AuthError
from server.governance.jwks import JwksCache
from server.governance.policy import Policy
from server.governance.policy_models import OAuthSpec, PrincipalSpec
from server.governance.principal import Principal


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def match_bearer(token: str, principals: Sequence[PrincipalSpec]) -> PrincipalSpec | None:
    """The principal whose stored hash is the token's sha256; every hash is compared, in constant time."""
    presented = token_sha256(token).encode()
    found: PrincipalSpec | None = None
    for spec in principals:
        if hmac.compare_digest(presented, spec.token_sha256.encode()):
            found = spec
    return found


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


class JwtValidator:
    def __init__(self, spec: OAuthSpec, client: httpx.AsyncClient | None = None) -> None:
        self._spec = spec
        self._jwks = JwksCache(str(spec.jwks_url), ttl_seconds=spec.jwks_cache_seconds, client=client)

    async def principal(self, token: str) -> Principal:
        claims = await self.claims(token)
        name = claims.get(self._spec.principal_claim)
        if not isinstance(name, str) or not name:
            raise AuthError(f"token has no string claim {self._spec.principal_claim!r} to name the principal")
        return Principal(name=name, role=self.role_for(claims, name), auth="jwt")

    async def claims(self, token: str) -> dict[str, object]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"malformed token: {exc}") from None
        algorithm = header.get("alg")
        if algorithm not in self._spec.algorithms:
            raise AuthError(f"token algorithm {algorithm!r} is not accepted (accepted: {list(self._spec.algorithms)})")
        kid = header.get("kid")
        key = await self._jwks.key(kid if isinstance(kid, str) else None)
        audience = [self._spec.audience] if isinstance(self._spec.audience, str) else list(self._spec.audience)
        try:
            return jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=audience,
                issuer=self._spec.issuer,
                leeway=self._spec.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError(f"token is not issued for this server (audience must be {audience})") from None
        except jwt.InvalidIssuerError:
            raise AuthError(f"token issuer is not {self._spec.issuer!r}") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from None

    def role_for(self, claims: Mapping[str, object], name: str) -> str:
        raw = claims.get(self._spec.role_claim)
        values: set[str] = set()
        if isinstance(raw, str):
            values = set(raw.split())  # space-separated, like the OAuth `scope` claim
        elif isinstance(raw, list):
            values = {v for v in raw if isinstance(v, str)}
        for claim_value, role in self._spec.role_map.items():
            if claim_value in values:
                return role
        if self._spec.default_role is not None:
            return self._spec.default_role
        raise AuthError(f"token for {name!r} carries no {self._spec.role_claim!r} value that maps to a role")


class Authenticator:
    """Bearer tokens first (cheap, exact), then JWTs when the policy configures OAuth."""

    def __init__(self, policy: Policy, client: httpx.AsyncClient | None = None) -> None:
        self._principals = policy.token_principals
        oauth = policy.spec.oauth
        self._jwt = JwtValidator(oauth, client) if oauth is not None else None

    async def authenticate(self, token: str) -> Principal:
        spec = match_bearer(token, self._principals)
        if spec is not None:
            return Principal(name=spec.name, role=spec.role, auth="bearer")
        if self._jwt is not None and looks_like_jwt(token):
            return await self._jwt.principal(token)
        raise AuthError("unknown bearer token")
