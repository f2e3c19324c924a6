"""The real MCP client over streamable HTTP on a loopback port: bearer tokens, JWTs, denials, the audit trail,
and a governed plain-HTTP endpoint."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.endpoints import GovernedEndpoint
from server.governance.policy import load_policy
from server.governance.principal import Principal
from server.runtime import Runtime
from server.tools.names import EndpointName, ToolName
from server.tools.registry import TOOL_SPECS
from server.transport import build_http_app
from tests.server.conftest import new_token
from tests.server.handlers import echo_search
from tests.server.http_server import serving
from tests.server.jwks_server import AUDIENCE, ISSUER, SigningKey, claims, serve_jwks
from tests.server.calls import text_of

pytestmark = pytest.mark.timeout(120)

SPECS = tuple(replace(s, handler=echo_search) if s.name is ToolName.SEARCH_ASSETS else s for s in TOOL_SPECS)


@dataclass
class Deployment:
    url: str
    tokens: dict[str, str]
    key: SigningKey
    runtime: Runtime


async def lineage_handler(request: Request, principal: Principal) -> Response:
    events = await request.json()
    return JSONResponse({"accepted": len(events), "by": principal.name})


@pytest.fixture
def deployment(write_policy: Callable[[str], Path], make_runtime: Callable[..., Runtime]) -> Iterator[Deployment]:
    tokens = {name: new_token() for name in ("ann", "gina", "feeder")}
    roles = {"ann": "analyst", "gina": "governance", "feeder": "lineage_producer"}
    key = SigningKey("k1")
    with serve_jwks([key]) as jwks:
        principals = "\n".join(
            f"  - {{name: {n}, role: {roles[n]}, token_sha256: {digest}}}" for n, (_, digest) in tokens.items()
        )
        text = f"""
roles:
  local: {{tools: []}}
  analyst: {{tools: [search_assets, get_asset]}}
  governance: {{tools: [search_assets, audit_log]}}
  lineage_producer: {{tools: [ingest_lineage]}}
principals:
{principals}
oauth:
  jwks_url: {jwks.url}
  issuer: "{ISSUER}"
  audience: {AUDIENCE}
  role_claim: groups
  role_map: {{analysts: analyst}}
"""
        runtime = make_runtime(load_policy(write_policy(text)))
        endpoint = GovernedEndpoint("/api/v1/lineage", EndpointName.INGEST_LINEAGE, lineage_handler)
        app = build_http_app(runtime, host="127.0.0.1", endpoints=[endpoint], specs=SPECS)
        with serving(app) as url:
            yield Deployment(url, {n: t for n, (t, _) in tokens.items()}, key, runtime)


def calls(url: str, token: str, *steps: tuple[str, dict[str, Any]]) -> list[CallToolResult]:
    async def run() -> list[CallToolResult]:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
                return [await client.call_tool(name, args) for name, args in steps]

    return anyio.run(run)


def test_bearer_principal_calls_and_is_denied(deployment: Deployment) -> None:
    ok, denied = calls(
        deployment.url,
        deployment.tokens["ann"],
        ("search_assets", {"query": "orders"}),
        ("audit_log", {"limit": 5}),
    )
    assert not ok.is_error and ok.structured_content is not None
    assert ok.structured_content["results"][0]["description"] == "asked by ann as analyst"
    assert denied.is_error
    assert text_of(denied) == "[permission_denied] role 'analyst' may not call 'audit_log'"


def test_governance_reads_the_http_audit_trail(deployment: Deployment) -> None:
    calls(deployment.url, deployment.tokens["ann"], ("get_asset", {"ref": "main.orders"}))
    [page] = calls(deployment.url, deployment.tokens["gina"], ("audit_log", {"principal": "ann"}))
    assert not page.is_error and page.structured_content is not None
    [entry] = page.structured_content["entries"]
    assert (entry["tool"], entry["transport"], entry["role"]) == ("get_asset", "http", "analyst")
    assert entry["outcome"] == "error"  # get_asset has no graph behind it in this test
    assert deployment.runtime.audit.verify().ok


def test_jwt_principal(deployment: Deployment) -> None:
    token = deployment.key.sign(claims(sub="jo@example.test", groups=["analysts"]))
    [ok] = calls(deployment.url, token, ("search_assets", {"query": "x"}))
    assert ok.structured_content is not None
    assert ok.structured_content["results"][0]["description"] == "asked by jo@example.test as analyst"


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic YTpi"])
def test_requests_without_a_valid_credential_get_401(deployment: Deployment, header: str | None) -> None:
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if header:
        headers["Authorization"] = header
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    response = httpx.post(f"{deployment.url}/mcp", json=body, headers=headers, timeout=30)
    assert response.status_code == 401
    assert list(deployment.runtime.audit.entries()) == []


def test_expired_jwt_gets_401(deployment: Deployment) -> None:
    token = deployment.key.sign(claims(lifetime=-600, groups=["analysts"]))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    assert httpx.post(f"{deployment.url}/mcp", json=body, headers=headers, timeout=30).status_code == 401


def test_governed_endpoint(deployment: Deployment) -> None:
    url = f"{deployment.url}/api/v1/lineage"
    feeder = httpx.post(url, json=[{"eventType": "COMPLETE"}] * 2, headers=auth(deployment, "feeder"), timeout=30)
    assert feeder.status_code == 200 and feeder.json() == {"accepted": 2, "by": "feeder"}

    analyst = httpx.post(url, json=[], headers=auth(deployment, "ann"), timeout=30)
    assert analyst.status_code == 403
    assert analyst.json()["error"] == "[permission_denied] role 'analyst' may not call 'ingest_lineage'"

    assert httpx.post(url, json=[], timeout=30).status_code == 401
    trail = [(e.principal, e.tool, e.decision) for e in deployment.runtime.audit.entries()]
    assert trail == [
        ("feeder", "ingest_lineage", "allowed"),
        ("ann", "ingest_lineage", "denied"),
        ("anonymous", "ingest_lineage", "denied"),
    ]


def auth(deployment: Deployment, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {deployment.tokens[name]}"}


def test_no_auth_loopback_serves_the_local_principal(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    app = build_http_app(runtime, host="127.0.0.1", no_auth=True, principal_name="ada", specs=SPECS)
    with serving(app) as url:
        ok, denied = calls(url, "ignored", ("search_assets", {"query": "x"}), ("audit_log", {}))
    assert ok.structured_content is not None
    assert ok.structured_content["results"][0]["description"] == "asked by ada as local"
    assert text_of(denied) == "[permission_denied] role 'local' may not call 'audit_log'"


def test_an_address_sending_no_valid_credential_is_throttled_before_its_refusals_fill_the_audit_log(
    write_policy: Callable[[str], Path], make_runtime: Callable[..., Runtime]
) -> None:
    token, digest = new_token()
    policy = f"""
rate_limit: {{requests_per_minute: 3}}
roles:
  local: {{tools: []}}
  lineage_producer: {{tools: [ingest_lineage, audit_log], requests_per_minute: 600}}
principals:
  - {{name: feeder, role: lineage_producer, token_sha256: {digest}}}
"""
    runtime = make_runtime(load_policy(write_policy(policy)))
    endpoint = GovernedEndpoint("/api/v1/lineage", EndpointName.INGEST_LINEAGE, lineage_handler)
    app = build_http_app(runtime, host="127.0.0.1", endpoints=[endpoint], specs=SPECS)
    with serving(app) as url:
        lineage = f"{url}/api/v1/lineage"
        heard = [httpx.post(lineage, json=[], timeout=30).status_code for _ in range(3)]
        flood = [
            httpx.post(lineage, json=[], timeout=30),
            httpx.post(lineage, json=[], headers={"Authorization": "Bearer not-a-token"}, timeout=30),
            httpx.get(f"{url}/ui/api/audit", timeout=30),
            httpx.get(f"{url}/ui/api/lineage", params={"ref": "main.orders"}, timeout=30),
        ]
        feeder = httpx.post(lineage, json=[{}], headers={"Authorization": f"Bearer {token}"}, timeout=30)

    assert heard == [401, 401, 401]
    for response in flood:
        assert response.status_code == 429, response.text
        assert response.json()["error"].startswith(
            "[rate_limited] too many requests without a valid credential from 127.0.0.1; retry in "
        )
        assert int(response.headers["Retry-After"]) >= 1
    assert feeder.status_code == 200 and feeder.json() == {"accepted": 1, "by": "feeder"}
    trail = [(e.principal, e.decision) for e in runtime.audit.entries()]
    assert trail == [("anonymous", "denied")] * 3 + [("feeder", "allowed")]
    assert runtime.audit.verify().ok
