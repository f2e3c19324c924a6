"""Resources (asset cards, the graph schema) and prompts through the SDK's client, governed like tools."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, INVALID_REQUEST, TextContent, TextResourceContents

from graph_schema.ids import column_id
from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.store import GraphStore
from server.resources import ASSET_TEMPLATE, SCHEMA_URI, asset_uri
from server.runtime import Runtime
from server.transport import stdio_server
from tests.server.conftest import policy_from
from tests.server.estate import FCT_ORDERS, RAW_ORDERS, SECRET, STG_ORDERS, STG_ORDERS_SQL

POLICY = """
roles:
  local: {tools: [get_asset, read_resources, use_prompts]}
  scoped:
    tools: [read_resources]
    scope:
      exclude: [{schema: raw}, {name: "secret_*"}]
  toolsonly: {tools: [get_asset]}
local:
  principals: {sam: scoped, tom: toolsonly}
"""


@pytest.fixture
def runtime(graph_runtime: Callable[..., Runtime], write_policy: Callable[[str], Path]) -> Runtime:
    return graph_runtime(policy_from(write_policy, POLICY))


def session(runtime: Runtime, principal: str, work: Callable[[Client], Any]) -> Any:
    async def run() -> Any:
        async with Client(stdio_server(runtime, principal)) as client:
            return await work(client)

    return anyio.run(run)


def read_or_error(runtime: Runtime, uri: str, principal: str) -> str | MCPError:
    async def work(client: Client) -> str | MCPError:
        try:
            result = await client.read_resource(uri)
        except MCPError as exc:  # caught inside the session: leaving it would wrap it in an exception group
            return exc
        [content] = result.contents
        assert isinstance(content, TextResourceContents)
        return content.text

    return session(runtime, principal, work)


def read(runtime: Runtime, uri: str, principal: str = "lu") -> str:
    text = read_or_error(runtime, uri, principal)
    assert isinstance(text, str), text
    return text


def read_error(runtime: Runtime, uri: str, principal: str = "lu") -> MCPError:
    error = read_or_error(runtime, uri, principal)
    assert isinstance(error, MCPError), error
    return error


def test_resources_are_listed(runtime: Runtime) -> None:
    async def work(client: Client) -> tuple[list[str], list[str]]:
        resources = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
        return [str(r.uri) for r in resources], [t.uri_template for t in templates]

    uris, templates = session(runtime, "lu", work)
    assert uris == [SCHEMA_URI] and templates == [ASSET_TEMPLATE]


def test_an_asset_card(runtime: Runtime) -> None:
    card = read(runtime, asset_uri(STG_ORDERS))
    assert card.startswith("# stg_orders (model)\n")
    assert f"- id: `{STG_ORDERS}`" in card and "- sources: catalog:shop, demo:shop" in card
    assert "| amount_usd | double |  |  |" in card
    assert f"- [shop.raw.raw_orders]({asset_uri(RAW_ORDERS)}) (source)" in card
    assert f"({asset_uri(FCT_ORDERS)}) (model)" in card
    assert "- not_null_stg_orders_order_id on `order_id` (not_null, last run: pass)" in card
    assert f"```sql\n{STG_ORDERS_SQL}\n```" in card


def test_a_card_by_any_ref_and_for_a_column(runtime: Runtime) -> None:
    assert read(runtime, "datagraph://asset/stg_orders") == read(runtime, asset_uri(STG_ORDERS))
    amount = column_id(STG_ORDERS, "amount_usd")
    assert "%23amount_usd" in asset_uri(amount)
    assert read(runtime, asset_uri(amount)).startswith("# amount_usd (column)")


def test_an_unknown_asset_is_a_parameter_error(runtime: Runtime) -> None:
    error = read_error(runtime, "datagraph://asset/nothing_like_it")
    assert error.code == INVALID_PARAMS and error.message.startswith("[not_found] no asset matches 'nothing_like_it'")


def test_scope_applies_to_cards(runtime: Runtime) -> None:
    assert read_error(runtime, asset_uri(SECRET), "sam").message.startswith("[not_found]")
    card = read(runtime, asset_uri(FCT_ORDERS), "sam")
    assert SECRET not in card and "secret_margin" not in card


def test_the_schema(runtime: Runtime, estate_store: GraphStore) -> None:
    schema = json.loads(read(runtime, SCHEMA_URI))
    stats = estate_store.stats()
    assert schema["snapshot"] == stats.current_run.run_id
    counts = {k["kind"]: k["count"] for k in schema["node_kinds"]}
    assert set(counts) == {k.value for k in NodeKind}
    assert {k: n for k, n in counts.items() if n} == stats.nodes_by_kind
    edges = {k["kind"]: k for k in schema["edge_kinds"]}
    assert set(edges) == {k.value for k in EdgeKind} and all(e["meaning"] for e in edges.values())
    assert edges["feeds"]["count"] == stats.edges_by_kind["feeds"]


def test_a_scoped_schema_counts_only_what_it_may_see(runtime: Runtime, estate_store: GraphStore) -> None:
    schema = json.loads(read(runtime, SCHEMA_URI, "sam"))
    counts = {k["kind"]: k["count"] for k in schema["node_kinds"]}
    everything = estate_store.stats().nodes_by_kind
    assert counts["source"] == 0 < everything["source"]
    assert counts["model"] == everything["model"] - 1  # secret_margin
    assert all(e["count"] is None for e in schema["edge_kinds"])


def test_reads_need_the_capability_and_are_audited(runtime: Runtime) -> None:
    error = read_error(runtime, asset_uri(STG_ORDERS), "tom")
    assert error.code == INVALID_REQUEST
    assert error.message == "[permission_denied] role 'toolsonly' may not call 'read_resources'"
    read(runtime, SCHEMA_URI)
    trail = [(e.principal, e.tool, e.arguments, e.decision, e.outcome) for e in runtime.audit.entries()]
    assert trail == [
        ("tom", "read_resources", {"uri": asset_uri(STG_ORDERS)}, "denied", "denied"),
        ("lu", "read_resources", {"uri": SCHEMA_URI}, "allowed", "ok"),
    ]
    assert runtime.audit.verify().ok


def get_prompt(runtime: Runtime, name: str, arguments: dict[str, str], principal: str = "lu") -> str | MCPError:
    async def work(client: Client) -> str | MCPError:
        try:
            result = await client.get_prompt(name, arguments)
        except MCPError as exc:
            return exc
        [message] = result.messages
        assert isinstance(message.content, TextContent) and message.role == "user"
        return message.content.text

    return session(runtime, principal, work)


def test_prompts_are_listed_with_their_arguments(runtime: Runtime) -> None:
    async def work(client: Client) -> dict[str, list[tuple[str, bool]]]:
        prompts = (await client.list_prompts()).prompts
        return {p.name: [(a.name, bool(a.required)) for a in p.arguments or []] for p in prompts}

    assert session(runtime, "lu", work) == {
        "investigate_dashboard_regression": [("dashboard", True), ("symptom", False), ("since", False)],
        "add_metric": [("name", True), ("definition", False)],
        "assess_change": [("ref", True), ("change", True)],
    }


def test_a_prompt_names_the_tools_to_call(runtime: Runtime) -> None:
    text = get_prompt(runtime, "assess_change", {"ref": "stg_orders", "change": "drop column status"})
    assert isinstance(text, str)
    assert "Asset: stg_orders" in text and "Planned change: drop column status" in text
    assert "impact_analysis" in text and "get_asset" in text
    dashboard = get_prompt(runtime, "investigate_dashboard_regression", {"dashboard": "Revenue overview"})
    assert isinstance(dashboard, str)
    assert "trace_lineage" in dashboard and "recent_changes" in dashboard
    metric = get_prompt(runtime, "add_metric", {"name": "net revenue", "definition": "revenue minus refunds"})
    assert isinstance(metric, str)
    assert "resolve_metric" in metric and "revenue minus refunds" in metric
    [first, *_] = runtime.audit.entries()
    assert (first.tool, first.arguments["prompt"], first.outcome) == ("use_prompts", "assess_change", "ok")


def test_prompts_need_the_capability(runtime: Runtime) -> None:
    error = get_prompt(runtime, "add_metric", {"name": "x"}, "tom")
    assert isinstance(error, MCPError) and error.code == INVALID_REQUEST
    assert error.message == "[permission_denied] role 'toolsonly' may not call 'use_prompts'"
    [entry] = runtime.audit.entries()
    assert (entry.principal, entry.tool, entry.decision) == ("tom", "use_prompts", "denied")
