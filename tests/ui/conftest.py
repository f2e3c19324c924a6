"""A real HTTP server (the app `datagraph serve --transport http` builds) over the shop project's graph, with
bearer-token principals of four roles, for the governance page's tests."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from graph_schema.config import Settings
from graph_schema.store import GraphStore
from server.governance.audit import AUDIT_FILE
from server.governance.policy import load_policy
from server.runtime import Runtime, build_runtime
from server.transport import build_http_app
from tests.proposals.conftest import shop_graph, shop_home  # noqa: F401  (session fixtures: the built shop graph)
from tests.proposals.sql_edits import without_shipping_amount
from tests.server.conftest import new_token
from tests.server.http_server import serving

# pat proposes (and could review others' changes), rita reviews, gina oversees, ann only searches.
ROLES = {"pat": "engineer", "rita": "reviewer", "gina": "governance", "ann": "analyst"}
POLICY = """
version: 1
roles:
  local: {{tools: []}}
  engineer: {{tools: [search_assets, get_asset, trace_lineage, impact_analysis, propose_change, review_proposal]}}
  reviewer: {{tools: [get_asset, trace_lineage, review_proposal]}}
  governance: {{tools: [audit_log, review_proposal, trace_lineage]}}
  analyst: {{tools: [search_assets]}}
principals:
{principals}
"""
STG_ORDERS = "dataset:duckdb://shop/shop.staging.stg_orders"


@dataclass
class Deployment:
    url: str
    tokens: dict[str, str]
    runtime: Runtime
    home: Path

    @property
    def audit_file(self) -> Path:
        return self.home / AUDIT_FILE

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def get(self, path: str, name: str | None = None, **params: Any) -> httpx.Response:
        headers = self.headers(name) if name else {}
        return httpx.get(f"{self.url}{path}", params=params, headers=headers, timeout=60)

    def post(self, path: str, name: str | None, body: Any) -> httpx.Response:
        headers = self.headers(name) if name else {}
        return httpx.post(f"{self.url}{path}", json=body, headers=headers, timeout=60)

    def mcp(self, name: str, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """One call with the real MCP client over streamable HTTP, as `name`."""

        async def run() -> CallToolResult:
            async with httpx2.AsyncClient(headers=self.headers(name), timeout=120) as http:
                async with Client(streamable_http_client(f"{self.url}/mcp", http_client=http)) as client:
                    return await client.call_tool(tool, arguments)

        return anyio.run(run)

    def propose(self, name: str = "pat", title: str = "Drop shipping_amount from stg_orders") -> str:
        """A proposal made by `name` through the MCP endpoint; its id."""
        result = self.mcp(
            name,
            "propose_change",
            {"ref": "stg_orders", "new_sql": without_shipping_amount(), "title": title, "rationale": "Nobody uses it."},
        )
        assert not result.is_error and result.structured_content is not None, result.content
        return str(result.structured_content["proposal_id"])


@pytest.fixture
def deployment(tmp_path: Path, shop_graph: GraphStore) -> Iterator[Deployment]:  # noqa: F811
    tokens = {name: new_token() for name in ROLES}
    principals = "\n".join(
        f"  - {{name: {name}, role: {ROLES[name]}, token_sha256: {digest}}}" for name, (_, digest) in tokens.items()
    )
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY.format(principals=principals), encoding="utf-8")
    home = tmp_path / "home"
    runtime = build_runtime(Settings(home=home), store=shop_graph, policy=load_policy(policy_file))
    try:
        with serving(build_http_app(runtime, host="127.0.0.1")) as url:
            yield Deployment(url, {name: token for name, (token, _) in tokens.items()}, runtime, home)
    finally:
        runtime.close()

