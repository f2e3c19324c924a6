"""Bearer tokens against stored hashes, and JWTs against a real JWKS served on loopback."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import jwt
import pytest

from server.errors import AuthError
from server.governance.auth import Authenticator, match_bearer, token_sha256
from server.governance.policy import Policy, load_policy
from server.governance.principal import Principal
from tests.server.conftest import new_token
from tests.server.jwks_server import AUDIENCE, ISSUER, Jwks, SigningKey, claims, serve_jwks
from tests.support.services import free_loopback_port


@pytest.fixture(scope="module")
def jwks() -> Iterator[Jwks]:
    with serve_jwks([SigningKey("k1"), SigningKey("k2")]) as served:
        yield served


def oauth_policy(write_policy: Callable[[str], Path], jwks_url: str, extra: str = "") -> Policy:
    _, robot_hash = new_token()
    text = f"""
roles:
  local: {{tools: [search_assets]}}
  analyst: {{tools: [search_assets]}}
  governance: {{tools: [audit_log]}}
principals:
  - {{name: robot, role: analyst, token_sha256: {robot_hash}}}
oauth:
  jwks_url: {jwks_url}
  issuer: "{ISSUER}"
  audience: {AUDIENCE}
  role_claim: groups
  role_map: {{data-governance: governance, data-analysts: analyst}}
{extra}"""
    return load_policy(write_policy(text))


def without_exp(payload: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in payload.items() if name != "exp"}


def authenticate(policy: Policy, token: str) -> Principal:
    async def run() -> Principal:
        return await Authenticator(policy).authenticate(token)

    return anyio.run(run)


def test_bearer_token_matches_its_hash(write_policy: Callable[[str], Path]) -> None:
    token, digest = new_token()
    policy = load_policy(
        write_policy(
            f"roles:\n  local: {{tools: []}}\nprincipals:\n  - {{name: bot, role: local, token_sha256: {digest}}}\n"
        )
    )
    assert authenticate(policy, token) == Principal(name="bot", role="local", auth="bearer")
    assert match_bearer(token, policy.token_principals) is not None
    assert token_sha256(token) == digest
    with pytest.raises(AuthError, match="unknown bearer token"):
        authenticate(policy, token + "x")
    with pytest.raises(AuthError):
        authenticate(policy, digest)  # the stored hash is not itself a credential


def test_valid_jwt_maps_claims_to_a_role(write_policy: Callable[[str], Path], jwks: Jwks) -> None:
    policy = oauth_policy(write_policy, jwks.url)
    token = jwks.keys[0].sign(claims(groups=["people", "data-analysts", "data-governance"]))
    # role_map order decides: data-governance comes first in the policy.
    assert authenticate(policy, token) == Principal(name="ann@example.test", role="governance", auth="jwt")
    token = jwks.keys[1].sign(claims(sub="bob", groups="data-analysts"))
    assert authenticate(policy, token) == Principal(name="bob", role="analyst", auth="jwt")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda k: k.sign(claims(lifetime=-120, groups=["data-analysts"])), "expired"),
        (lambda k: k.sign(claims(aud="someone-else", groups=["data-analysts"])), "not issued for this server"),
        (lambda k: k.sign(claims(iss="https://evil.test/", groups=["data-analysts"])), "issuer"),
        (lambda k: SigningKey("k1").sign(claims(groups=["data-analysts"])), "invalid token"),
        (lambda k: k.sign(claims(groups=["data-analysts"]), kid="k9"), "does not hold"),
        (lambda k: k.sign(claims(groups=["marketing"])), "maps to a role"),
        (lambda k: jwt.encode(claims(groups=["data-analysts"]), "secret" * 8, algorithm="HS256"), "not accepted"),
        (lambda k: k.sign(without_exp(claims(groups=["data-analysts"]))), "exp"),
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "wrong-signature", "unknown-kid", "no-role", "hs256", "no-exp"],
)
def test_bad_jwts_are_refused(
    write_policy: Callable[[str], Path], jwks: Jwks, make: Callable[[SigningKey], str], message: str
) -> None:
    policy = oauth_policy(write_policy, jwks.url)
    with pytest.raises(AuthError, match=message):
        authenticate(policy, make(jwks.keys[0]))


def test_default_role_for_unmapped_tokens(write_policy: Callable[[str], Path], jwks: Jwks) -> None:
    policy = oauth_policy(write_policy, jwks.url, "  default_role: analyst\n")
    assert authenticate(policy, jwks.keys[0].sign(claims(groups=["marketing"]))).role == "analyst"


def test_jwks_is_fetched_once_and_cached(write_policy: Callable[[str], Path], jwks: Jwks) -> None:
    policy = oauth_policy(write_policy, jwks.url)
    authenticator = Authenticator(policy)
    before = len(jwks.fetches)

    async def run() -> None:
        for sub in ("a", "b", "c"):
            await authenticator.authenticate(jwks.keys[0].sign(claims(sub=sub, groups=["data-analysts"])))
        # An unknown kid right after a fetch does not trigger another one.
        with pytest.raises(AuthError):
            await authenticator.authenticate(jwks.keys[0].sign(claims(groups=["data-analysts"]), kid="k9"))

    anyio.run(run)
    assert len(jwks.fetches) - before == 1


def test_unreachable_jwks_is_an_auth_error(write_policy: Callable[[str], Path]) -> None:
    policy = oauth_policy(write_policy, f"http://127.0.0.1:{free_loopback_port()}/jwks.json")
    token = SigningKey("k1").sign(claims(groups=["data-analysts"]))
    started = time.monotonic()
    with pytest.raises(AuthError, match="cannot fetch the JWKS"):
        authenticate(policy, token)
    assert time.monotonic() - started < 15
