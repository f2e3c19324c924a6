"""Attacks on authentication and authorisation, over streamable HTTP on a loopback port with the real MCP
client (raw httpx where a client would never send such a request).

- Bad credentials (missing, unknown, expired, forged, alg=none, HS256 signed with the public key, wrong
  audience or issuer, malformed headers) get HTTP 401 and reach no tool: nothing is audited, because the
  audit log records calls of principals and an unauthenticated flood must not be able to grow it; the
  server log names why each presented credential was refused.
- A caller cannot raise its role through tool arguments or request `_meta`: the call is judged and audited
  under the role its credential maps to, and unknown arguments are refused as the tool schemas say.
- A proposer cannot approve their own proposal, whatever name they put in the arguments, and a proposal
  that is not approved is never exported: no branch, no patch file.
- A flood from one principal: exactly its burst is served, the rest gets the rate-limit error, other
  principals are served meanwhile, and every call is one audit entry in a chain that verifies.

The tests that read the graph run on both backends (the shop dbt project ingested into each).
"""

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult
from typer.testing import CliRunner

from datagraph.cli import app
from graph_schema.config import Settings
from graph_schema.store import GraphStore
from graph_schema.store.embedded.store import EmbeddedStore
from ingestors.dbt.ingest import ingest_dbt_project
from server.governance.policy import load_policy
from server.runtime import Runtime, build_runtime
from server.transport import build_http_app
from tests.conftest import open_neo4j_store
from tests.hostile.conftest import HostileTally
from tests.proposals.gitrepo import git, make_repo, state
from tests.proposals.sql_edits import without_shipping_amount
from tests.server.conftest import new_token
from tests.server.http_server import serving
from tests.server.jwks_server import AUDIENCE, ISSUER, SigningKey, claims, serve_jwks
from tests.support.neo4j import wipe_neo4j
from tests.server.calls import text_of

pytestmark = pytest.mark.timeout(180)

PRINCIPALS = {"vera": "viewer", "ann": "engineer", "bob": "reviewer", "gina": "governance", "crawler": "crawler"}
BURST = 10
POLICY = """
roles:
  local: {{tools: []}}
  viewer:
    tools: [get_asset, trace_lineage]
    scope: {{include: [{{schema: staging}}]}}
  engineer: {{tools: [get_asset, propose_change, review_proposal]}}
  reviewer: {{tools: [get_asset, review_proposal]}}
  governance: {{tools: [get_asset, audit_log]}}
  crawler: {{tools: [get_asset], requests_per_minute: 1}}
rate_limit: {{requests_per_minute: 100000, burst: {burst}}}
principals:
{principals}
oauth:
  jwks_url: {jwks_url}
  issuer: "{issuer}"
  audience: {audience}
  role_claim: groups
  role_map: {{viewers: viewer}}
"""
ESCALATION_FIELDS: dict[str, Any] = {
    "role": "governance", "principal": "gina", "caller": "gina", "as_user": "gina", "scopes": ["*"],
    "_meta": {"role": "governance", "principal": "gina"},
}
ESCALATION_META: dict[str, Any] = {"role": "governance", "principal": "gina", "as_user": "gina", "scopes": ["*"]}


@dataclass
class Deployment:
    url: str
    tokens: dict[str, str]
    key: SigningKey
    runtime: Runtime
    home: Path

    def audit_count(self) -> int:
        return sum(1 for _ in self.runtime.audit.entries())


@contextmanager
def deployed(folder: Path, store: GraphStore | None) -> Iterator[Deployment]:
    """The MCP app over HTTP with the hostile policy (bearer tokens and a real JWKS on loopback)."""
    tokens = {name: new_token() for name in PRINCIPALS}
    key = SigningKey("k1")
    with serve_jwks([key]) as jwks:
        principals = "\n".join(f"  - {{name: {name}, role: {PRINCIPALS[name]}, token_sha256: {digest}}}"
                               for name, (_, digest) in tokens.items())
        policy_file = folder / "policy.yaml"
        policy_file.write_text(POLICY.format(burst=BURST, principals=principals, jwks_url=jwks.url, issuer=ISSUER,
                                             audience=AUDIENCE), encoding="utf-8")
        home = folder / "home"
        runtime = build_runtime(Settings(home=home), store=store, policy=load_policy(policy_file))
        try:
            with serving(build_http_app(runtime, host="127.0.0.1")) as url:
                yield Deployment(url, {n: t for n, (t, _) in tokens.items()}, key, runtime, home)
        finally:
            runtime.close()


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """No graph: credentials are refused before any tool could read one."""
    with deployed(tmp_path_factory.mktemp("auth-bare"), None) as deployment:
        yield deployment


@pytest.fixture(scope="module", params=("embedded", "neo4j"))
def shop(request: pytest.FixtureRequest, shop_project: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Deployment]:
    """The shop dbt project ingested into one backend, served over HTTP."""
    store: GraphStore
    if request.param == "embedded":
        store = EmbeddedStore(tmp_path_factory.mktemp("auth-shop") / "graph")
    else:
        server = request.getfixturevalue("neo4j_server")
        wipe_neo4j(server)
        store = open_neo4j_store(server)
    try:
        ingest_dbt_project(shop_project, store, workers=1)
        with deployed(tmp_path_factory.mktemp("auth"), store) as deployment:
            yield deployment
    finally:
        store.close()


# ---- the real client ---------------------------------------------------------------------------------

Call = tuple[str, dict[str, Any], dict[str, Any] | None]  # tool, arguments, request _meta


async def session_calls(url: str, token: str, steps: list[Call], *, concurrently: bool = False
                        ) -> list[CallToolResult]:
    """The MCP client with `token` calling tools over one session, in order or all at once."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            if not concurrently:
                return [await client.call_tool(name, args, meta=meta) for name, args, meta in steps]
            results: dict[int, CallToolResult] = {}

            async def one(index: int, step: Call) -> None:
                results[index] = await client.call_tool(step[0], step[1], meta=step[2])

            async with anyio.create_task_group() as group:
                for index, step in enumerate(steps):
                    group.start_soon(one, index, step)
            return [results[index] for index in range(len(steps))]


def calls(url: str, token: str, *steps: Call) -> list[CallToolResult]:
    return anyio.run(lambda: session_calls(url, token, list(steps)))


def refused_by_client(url: str, token: str) -> bool:
    """Whether the MCP client fails to open a session with `token` (and so calls nothing)."""
    try:
        calls(url, token, ("audit_log", {}, None))
    except BaseExceptionGroup as group:
        return bool(group.subgroup(MCPError))
    except MCPError:
        return True
    return False


# ---- bad credentials ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(payload: dict[str, Any]) -> str:
    head = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "k1"}).encode())
    return f"{head}.{_b64(json.dumps(payload).encode())}."


def _hs256_with_public_key(key: SigningKey, payload: dict[str, Any]) -> str:
    """The key-confusion forgery: HMAC over the token with the server's public key (PEM) as the secret."""
    secret = key.private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = _b64(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _tampered(key: SigningKey) -> str:
    """A valid token whose payload is swapped after signing (a viewer claiming to be governance)."""
    head, _, signature = key.sign(claims(sub="vera@example.test", groups=["viewers"])).split(".")
    forged = _b64(json.dumps(claims(sub="gina", groups=["viewers", "governance"])).encode())
    return f"{head}.{forged}.{signature}"


def _jku(key: SigningKey, attacker: SigningKey, attacker_jwks: str) -> str:
    """Signed by the attacker, naming the attacker's own JWKS in `jku`: the server must use only its own."""
    return jwt.encode(claims(groups=["viewers"]), attacker.private, algorithm="RS256",
                      headers={"kid": "k1", "jku": attacker_jwks})


@dataclass(frozen=True)
class BadCredential:
    name: str
    header: Callable[[Deployment, SigningKey, str], str | None]  # the Authorization header, None for none
    logged: str | None  # the reason the server log gives; None when no credential reached the verifier


def _bearer(token: Callable[[Deployment, SigningKey, str], str]) -> Callable[[Deployment, SigningKey, str], str]:
    return lambda d, attacker, jwks_url: f"Bearer {token(d, attacker, jwks_url)}"


BAD_CREDENTIALS = [
    BadCredential("missing", lambda d, a, u: None, None),
    BadCredential("padded-token", lambda d, a, u: f"Bearer  {d.tokens['gina']}", "unknown bearer token"),
    BadCredential("scheme-only", lambda d, a, u: "Bearer", None),
    BadCredential("basic-scheme", lambda d, a, u: "Basic dmVyYTpzZWNyZXQ=", None),
    BadCredential("token-without-scheme", lambda d, a, u: d.tokens["gina"], None),
    BadCredential("unknown-token", _bearer(lambda d, a, u: "not-a-token"), "unknown bearer token"),
    BadCredential("stored-hash-as-token",
                  _bearer(lambda d, a, u: hashlib.sha256(d.tokens["gina"].encode()).hexdigest()),
                  "unknown bearer token"),
    BadCredential("token-with-suffix", _bearer(lambda d, a, u: d.tokens["gina"] + " x"), "unknown bearer token"),
    BadCredential("two-tokens", lambda d, a, u: f"Bearer {d.tokens['vera']}, Bearer {d.tokens['gina']}",
                  "unknown bearer token"),
    BadCredential("huge-token", _bearer(lambda d, a, u: "x" * 16_000), "unknown bearer token"),
    BadCredential("garbage-jwt", _bearer(lambda d, a, u: "aaa.bbb.ccc"), "malformed token"),
    BadCredential("expired-jwt", _bearer(lambda d, a, u: d.key.sign(claims(lifetime=-600, groups=["viewers"]))),
                  "token has expired"),
    BadCredential("not-yet-valid-jwt",
                  _bearer(lambda d, a, u: d.key.sign(claims(groups=["viewers"], nbf=claims()["iat"] + 3600))),
                  "not yet valid"),
    BadCredential("wrong-audience", _bearer(lambda d, a, u: d.key.sign(claims(aud="another-api", groups=["viewers"]))),
                  "not issued for this server"),
    BadCredential("wrong-issuer",
                  _bearer(lambda d, a, u: d.key.sign(claims(iss="https://evil.example/", groups=["viewers"]))),
                  "token issuer is not"),
    BadCredential("foreign-key-same-kid", _bearer(lambda d, a, u: a.sign(claims(groups=["viewers"]), kid="k1")),
                  "Signature verification failed"),
    BadCredential("foreign-key-own-kid", _bearer(lambda d, a, u: a.sign(claims(groups=["viewers"]))),
                  "which the JWKS at"),
    BadCredential("jku-to-attacker-jwks", _bearer(lambda d, a, u: _jku(d.key, a, u)), "Signature verification failed"),
    BadCredential("alg-none", _bearer(lambda d, a, u: _unsigned(claims(groups=["viewers"]))), "'none' is not accepted"),
    BadCredential("hs256-with-public-key",
                  _bearer(lambda d, a, u: _hs256_with_public_key(d.key, claims(groups=["viewers"]))),
                  "'HS256' is not accepted"),
    BadCredential("payload-swapped", _bearer(lambda d, a, u: _tampered(d.key)), "Signature verification failed"),
    BadCredential("no-role-claim", _bearer(lambda d, a, u: d.key.sign(claims(groups=["marketing"]))),
                  "maps to a role"),
]
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
TOOL_CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "audit_log", "arguments": {}}}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile-suite", "version": "1"}}}


@pytest.fixture(scope="module")
def attacker() -> Iterator[tuple[SigningKey, str]]:
    """A key of the attacker's own, published in a JWKS the attacker serves."""
    key = SigningKey("evil")
    with serve_jwks([key]) as jwks:
        yield key, jwks.url


@pytest.mark.parametrize("case", BAD_CREDENTIALS, ids=[c.name for c in BAD_CREDENTIALS])
def test_a_bad_credential_gets_401_and_reaches_no_tool(
    case: BadCredential, bare: Deployment, attacker: tuple[SigningKey, str], caplog: pytest.LogCaptureFixture,
    hostile: HostileTally,
) -> None:
    hostile.tried("auth")
    header = case.header(bare, *attacker)
    headers = MCP_HEADERS | ({"Authorization": header} if header is not None else {})
    entries = bare.audit_count()

    with caplog.at_level(logging.INFO, logger="server.http_auth"):
        response = httpx.post(f"{bare.url}/mcp", json=TOOL_CALL, headers=headers, timeout=30)

    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert bare.audit_count() == entries, "a refused request wrote to the audit log"
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("credential refused")]
    if case.logged is None:
        assert refusals == []
    else:
        assert len(refusals) == 1 and case.logged in refusals[0], refusals
    if header is not None and header.startswith("Bearer "):
        assert refused_by_client(bare.url, header.removeprefix("Bearer ")), "the MCP client got a session"


def test_good_credentials_open_a_session(bare: Deployment) -> None:
    """The control: the same requests with a valid bearer token or JWT are served."""
    jwt_token = bare.key.sign(claims(sub="jo@example.test", groups=["viewers"]))
    for token in (bare.tokens["vera"], jwt_token):
        headers = MCP_HEADERS | {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{bare.url}/mcp", json=INITIALIZE, headers=headers, timeout=30).status_code == 200
    [denied] = calls(bare.url, jwt_token, ("audit_log", {}, None))
    assert text_of(denied) == "[permission_denied] role 'viewer' may not call 'audit_log'"


# ---- no escalation through arguments or _meta ---------------------------------------------------------


def audit_tail(deployment: Deployment, count: int) -> list[tuple[str, str, str, str]]:
    entries = list(deployment.runtime.audit.entries())[-count:]
    return [(e.principal, e.role, e.tool, e.decision) for e in entries]


def test_a_viewer_gains_nothing_from_arguments_or_meta(shop: Deployment, hostile: HostileTally) -> None:
    hidden = "shop.analytics.fct_orders"  # outside the viewer's scope (staging only)
    steps: list[Call] = [
        ("audit_log", ESCALATION_FIELDS, None),
        ("audit_log", {}, ESCALATION_META),
        ("propose_change", {"ref": "stg_orders", "new_sql": "select 1", "title": "t", "rationale": "r",
                            **ESCALATION_FIELDS}, ESCALATION_META),
        ("review_proposal", {"proposal_id": "prop-1", "decision": "approve", "comment": "c"}, ESCALATION_META),
        ("get_asset", {"ref": "stg_orders", **ESCALATION_FIELDS}, None),
        ("get_asset", {"ref": hidden, "scopes": ["*"]}, ESCALATION_META),
        ("get_asset", {"ref": hidden}, ESCALATION_META),
        ("trace_lineage", {"ref": "stg_orders", "direction": "downstream", "role": "governance"}, None),
        ("trace_lineage", {"ref": "stg_orders", "direction": "downstream"}, ESCALATION_META),
    ]
    hostile.tried("auth", len(steps))

    results = calls(shop.url, shop.tokens["vera"], *steps)

    texts = [text_of(r) if r.is_error else json.dumps(r.structured_content) for r in results]
    for denied in texts[:4]:
        assert denied.startswith("[permission_denied] role 'viewer' may not call"), denied
    for extra in (texts[4], texts[5], texts[7]):
        assert extra.startswith("[invalid_arguments]") and "Extra inputs are not permitted" in extra, extra
    assert texts[6].startswith("[not_found]") and "duckdb://shop/shop.analytics." not in texts[6], texts[6]
    lineage = results[8].structured_content
    assert lineage is not None and lineage["nodes"], texts[8]
    assert all("shop.analytics." not in node["id"] for node in lineage["nodes"]), "a hidden asset was shown"
    decisions = ["denied"] * 4 + ["allowed"] * 5
    assert audit_tail(shop, len(steps)) == [
        ("vera", "viewer", name, decision) for (name, _, _), decision in zip(steps, decisions, strict=True)]


def test_claims_naming_a_role_in_a_token_gain_nothing(bare: Deployment, hostile: HostileTally) -> None:
    """A valid viewer JWT that also carries the claims the server uses internally, and other role-ish claims."""
    hostile.tried("auth")
    token = bare.key.sign(claims(sub="vic@example.test", groups=["viewers", "governance"], datagraph_role="governance",
                                 datagraph_auth="bearer", role="governance", roles=["governance"], scope="audit_log"))

    [denied] = calls(bare.url, token, ("audit_log", {}, {"role": "governance"}))

    assert text_of(denied) == "[permission_denied] role 'viewer' may not call 'audit_log'"
    [entry] = list(bare.runtime.audit.entries())[-1:]
    assert (entry.principal, entry.role, entry.decision) == ("vic@example.test", "viewer", "denied")


# ---- no self-approval, no export of what is not approved ---------------------------------------------


def propose(deployment: Deployment, who: str) -> str:
    [answer] = calls(deployment.url, deployment.tokens[who], (
        "propose_change", {"ref": "stg_orders", "new_sql": without_shipping_amount(), "title": "Drop shipping_amount",
                           "rationale": "Nobody reads it."}, None))
    assert not answer.is_error and answer.structured_content is not None, text_of(answer)
    assert answer.structured_content["status"] == "pending_review"
    return str(answer.structured_content["proposal_id"])


def review(decision: str, proposal_id: str, **extra: Any) -> dict[str, Any]:
    return {"proposal_id": proposal_id, "decision": decision, "comment": "looks fine", **extra}


def test_a_proposer_cannot_approve_their_own_proposal(shop: Deployment, hostile: HostileTally) -> None:
    proposal_id = propose(shop, "ann")
    attempts: list[Call] = [
        ("review_proposal", review("approve", proposal_id), None),
        ("review_proposal", review("approve", proposal_id), {"principal": "bob", "reviewer": "bob"}),
        ("review_proposal", review("approve", proposal_id, reviewer="bob"), None),
        ("review_proposal", review("approve", proposal_id, principal="bob", proposed_by="someone"), None),
        ("review_proposal", review("reject", proposal_id), None),
    ]
    hostile.tried("auth", len(attempts))

    texts = [text_of(r) for r in calls(shop.url, shop.tokens["ann"], *attempts)]

    own = f"[permission_denied] ann proposed {proposal_id} and may not review it; another reviewer must"
    assert [texts[0], texts[1], texts[4]] == [own] * 3
    assert all(t.startswith("[invalid_arguments]") and "Extra inputs" in t for t in texts[2:4]), texts
    [approved] = calls(shop.url, shop.tokens["bob"], ("review_proposal", review("approve", proposal_id), None))
    assert approved.structured_content is not None, text_of(approved)
    assert (approved.structured_content["status"], approved.structured_content["reviewed_by"]) == ("approved", "bob")


def export(deployment: Deployment, proposal_id: str, *destination: str) -> tuple[int, str]:
    """`datagraph proposals export` on the server's home, as a person at a terminal runs it."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("DATAGRAPH_")}
    result = CliRunner().invoke(app, ["proposals", "export", proposal_id, *destination, "--principal", "bob",
                                      "--home", str(deployment.home)], env=env)
    return result.exit_code, result.stderr


def test_only_an_approved_proposal_is_exported(shop: Deployment, tmp_path: Path, hostile: HostileTally) -> None:
    repo = tmp_path / "repo"
    project = make_repo(repo)
    pending, rejected = propose(shop, "ann"), propose(shop, "ann")
    calls(shop.url, shop.tokens["bob"], ("review_proposal", review("reject", rejected), None))
    [own] = calls(shop.url, shop.tokens["ann"], ("review_proposal", review("approve", pending), None))
    assert text_of(own).startswith("[permission_denied] ann proposed")
    before = state(repo)
    patch = tmp_path / "change.patch"
    attempts = [(pending, "pending_review"), (rejected, "rejected")]
    hostile.tried("auth", 2 * len(attempts))

    for proposal_id, status in attempts:
        for destination in (["--git", str(project)], ["--patch", str(patch)]):
            code, stderr = export(shop, proposal_id, *destination)
            assert code == 2, stderr
            assert stderr.strip() == (f"error: [not_approved] {proposal_id} is {status}: only an approved proposal "
                                      "can be exported")
    assert state(repo) == before, "a refused export moved the repository"
    assert not patch.exists() and not list(tmp_path.glob(".change.patch.*"))
    exports = [e for e in shop.runtime.audit.entries() if e.tool == "export_proposal"]
    assert [(e.arguments["proposal_id"], e.outcome) for e in exports[-4:]] == [
        (p, "error") for p, _ in attempts for _ in range(2)]

    # the control: once another reviewer approves it, the same export goes through
    calls(shop.url, shop.tokens["bob"], ("review_proposal", review("approve", pending), None))
    assert export(shop, pending, "--git", str(project))[0] == 0
    assert git(repo, "branch", "--list", f"datagraph/{pending}").strip()


# ---- a flood from one principal ----------------------------------------------------------------------

FLOOD = 40


def test_a_flood_gets_exactly_its_burst_and_others_are_still_served(shop: Deployment, hostile: HostileTally) -> None:
    hostile.tried("auth", FLOOD)
    before = shop.audit_count()
    ask: Call = ("get_asset", {"ref": "stg_orders"}, None)
    flood: list[CallToolResult] = []
    others: list[CallToolResult] = []

    async def call_all(into: list[CallToolResult], who: str, count: int) -> None:
        into.extend(await session_calls(shop.url, shop.tokens[who], [ask] * count, concurrently=True))

    async def at_once() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(call_all, flood, "crawler", FLOOD)
            group.start_soon(call_all, others, "vera", 5)

    anyio.run(at_once)

    served = [r for r in flood if not r.is_error]
    limited = [text_of(r) for r in flood if r.is_error]
    assert len(served) == BURST, f"{len(served)} of {FLOOD} calls served with a burst of {BURST}"
    assert len(limited) == FLOOD - BURST
    assert all(t.startswith("[rate_limited] principal 'crawler' is over 1 requests per minute; retry in ")
               for t in limited), limited[:3]
    assert len(others) == 5 and not any(r.is_error for r in others), "another principal was not served"
    entries = list(shop.runtime.audit.entries())[before:]
    crawler = [e for e in entries if e.principal == "crawler"]
    assert len(entries) == FLOOD + 5 and len(crawler) == FLOOD
    assert sorted((e.decision, e.outcome) for e in crawler) == sorted(
        [("allowed", "ok")] * BURST + [("denied", "denied")] * (FLOOD - BURST))
    assert all(e.error and e.error.startswith("[rate_limited]") for e in crawler if e.decision == "denied")
    assert shop.runtime.audit.verify().ok
