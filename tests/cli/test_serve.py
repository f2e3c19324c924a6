"""`datagraph serve` end to end: the SDK's client against the real command over stdio and streamable HTTP,
answering from a graph in DATAGRAPH_HOME and following snapshots another process commits meanwhile."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextResourceContents

from graph_schema.config import Settings
from graph_schema.store import open_store
from server.governance.audit import open_audit_log
from server.resources import asset_uri
from server.tools.names import ToolName
from tests.cli.serve_process import cli_command, cli_env, http_server
from tests.server.conftest import new_token
from tests.server.estate import RAW_ORDERS, STG_ORDERS, add_model, build_estate, ds
from tests.server.calls import structured, text_of

pytestmark = pytest.mark.timeout(180)


def test_stdio_answers_from_the_graph_and_follows_new_snapshots(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_estate(home)
    params = StdioServerParameters(
        command=cli_command()[0],
        args=[*cli_command()[1:], "serve", "--transport", "stdio", "--home", str(home), "--principal", "ada"],
        env=cli_env(),
        cwd=tmp_path,
    )

    async def session() -> None:
        async with Client(params) as client:
            assert {t.name for t in (await client.list_tools()).tools} == {t.value for t in ToolName}

            asset = structured(await client.call_tool("get_asset", {"ref": "staging.stg_orders"}))
            assert asset["id"] == STG_ORDERS and asset["kind"] == "model"
            assert [u["id"] for u in asset["upstream"]] == [RAW_ORDERS]
            assert asset["sources"] == ["catalog:shop", "demo:shop"]
            assert {c["name"] for c in asset["columns"]} == {"order_id", "customer_id", "amount_usd", "status"}

            found = structured(await client.call_tool("search_assets", {"query": "revenue by country", "limit": 2}))
            assert found["results"][0]["id"] == ds("marts.revenue_by_country")
            assert found["next_cursor"] is not None

            card = (await client.read_resource(asset_uri(STG_ORDERS))).contents[0]
            assert isinstance(card, TextResourceContents) and card.text.startswith("# stg_orders (model)")

            missing = await client.call_tool("get_asset", {"ref": "orders_late"})
            assert text_of(missing).startswith("[not_found]")
            # Another process ingests while the server holds the graph open: it is not blocked, and the
            # server answers from the new snapshot on its next call.
            late = add_model(home, "orders_late")
            assert structured(await client.call_tool("get_asset", {"ref": "orders_late"}))["id"] == late

            denied = await client.call_tool("audit_log", {})
            assert text_of(denied) == "[permission_denied] role 'local' may not call 'audit_log'"

    anyio.run(session)

    log = open_audit_log(Settings(home=home))
    trail = [(e.principal, e.transport, e.tool, e.outcome) for e in log.entries()]
    assert log.verify().ok
    log.close()
    assert trail == [
        ("ada", "stdio", "get_asset", "ok"),
        ("ada", "stdio", "search_assets", "ok"),
        ("ada", "stdio", "read_resources", "ok"),
        ("ada", "stdio", "get_asset", "error"),
        ("ada", "stdio", "get_asset", "ok"),
        ("ada", "stdio", "audit_log", "denied"),
    ]


@dataclass
class Deployment:
    url: str
    home: Path
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One server for the module's HTTP tests (each starts in seconds, not milliseconds)."""
    tmp_path = tmp_path_factory.mktemp("http")
    home = tmp_path / "home"
    build_estate(home)
    tokens = {name: new_token() for name in ("ann", "gina", "feeder")}
    roles = {"ann": "analyst", "gina": "governance", "feeder": "lineage_producer"}
    principals = "\n".join(
        f"  - {{name: {n}, role: {roles[n]}, token_sha256: {digest}}}" for n, (_, digest) in tokens.items()
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"""
roles:
  local: {{tools: []}}
  analyst: {{tools: [search_assets, get_asset, read_resources]}}
  governance: {{tools: [audit_log]}}
  lineage_producer: {{tools: [ingest_lineage]}}
principals:
{principals}
""",
        encoding="utf-8",
    )
    with http_server(home, tmp_path / "serve.log", DATAGRAPH_POLICY=str(policy)) as url:
        yield Deployment(url, home, {n: t for n, (t, _) in tokens.items()})


def mcp_calls(deployment: Deployment, who: str, *steps: tuple[str, dict[str, Any]]) -> list[CallToolResult]:
    async def run() -> list[CallToolResult]:
        headers = {"Authorization": f"Bearer {deployment.tokens[who]}"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(f"{deployment.url}/mcp", http_client=http)) as client:
                return [await client.call_tool(name, args) for name, args in steps]

    return anyio.run(run)


def test_http_serves_bearer_principals(deployment: Deployment) -> None:
    asset, found, denied = mcp_calls(
        deployment,
        "ann",
        ("get_asset", {"ref": STG_ORDERS}),
        ("search_assets", {"query": "stg_orders"}),
        ("audit_log", {}),
    )
    assert structured(asset)["downstream"][0]["id"] == ds("marts.fct_orders")
    assert structured(found)["results"][0]["id"] == STG_ORDERS
    assert text_of(denied) == "[permission_denied] role 'analyst' may not call 'audit_log'"

    [page] = mcp_calls(deployment, "gina", ("audit_log", {"principal": "ann", "limit": 3}))
    entries = structured(page)["entries"]
    assert [(e["tool"], e["transport"], e["decision"]) for e in reversed(entries)] == [
        ("get_asset", "http", "allowed"),
        ("search_assets", "http", "allowed"),
        ("audit_log", "http", "denied"),
    ]


def read_resource(deployment: Deployment, who: str, uri: str) -> str:
    """The resource's text, or the protocol error's message."""

    async def run() -> str:
        headers = {"Authorization": f"Bearer {deployment.tokens[who]}"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(f"{deployment.url}/mcp", http_client=http)) as client:
                try:
                    [content] = (await client.read_resource(uri)).contents
                except MCPError as exc:
                    return exc.message
                assert isinstance(content, TextResourceContents)
                return content.text

    return anyio.run(run)


def test_http_resources_are_read_as_the_token_holder(deployment: Deployment) -> None:
    assert read_resource(deployment, "ann", asset_uri(STG_ORDERS)).startswith("# stg_orders (model)")
    refused = read_resource(deployment, "gina", asset_uri(STG_ORDERS))
    assert refused == "[permission_denied] role 'governance' may not call 'read_resources'"


def test_http_refuses_calls_without_a_token(deployment: Deployment) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    assert httpx.post(f"{deployment.url}/mcp", json=body, headers=headers, timeout=30).status_code == 401


def test_healthz_names_the_backend_and_snapshot(deployment: Deployment) -> None:
    with open_store(Settings(home=deployment.home), read_only=True) as store:
        run = store.current_run()
    assert run is not None
    health = httpx.get(f"{deployment.url}/healthz", timeout=30)
    assert health.json() == {"status": "ok", "backend": "embedded", "run_id": run.run_id}


def lineage_event(job: str) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2024-06-01T12:00:00Z",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "airflow", "name": job},
        "inputs": [{"namespace": "duckdb://shop", "name": "shop.staging.stg_orders"}],
        "outputs": [{"namespace": "duckdb://shop", "name": "shop.marts.orders_from_airflow"}],
        "producer": "https://example.test/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent",
    }




def post_lineage(deployment: Deployment, who: str | None, body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {deployment.tokens[who]}"} if who else {}
    return httpx.post(f"{deployment.url}/api/v1/lineage", json=body, headers=headers, timeout=60)


def test_lineage_endpoint_is_governed(deployment: Deployment) -> None:
    analyst = post_lineage(deployment, "ann", [lineage_event("load_orders")])
    assert analyst.status_code == 403
    assert analyst.json() == {"error": "[permission_denied] role 'analyst' may not call 'ingest_lineage'"}
    assert post_lineage(deployment, None, [lineage_event("load_orders")]).status_code == 401


def test_lineage_endpoint_rejects_what_is_not_events(deployment: Deployment) -> None:
    bad = post_lineage(deployment, "feeder", [1, 2])
    assert bad.status_code == 400
    assert bad.json()["error"] == (
        "[invalid_arguments] expected OpenLineage run events: a JSON object, an array of objects, or NDJSON"
    )


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_lineage_endpoint_refuses_a_body_over_the_limit(deployment: Deployment, declared: bool) -> None:
    """Declared too long, or streamed chunk by chunk with no length: refused once past the limit."""
    chunk = b" " * (1024 * 1024)
    chunks = 11  # 11 MiB, over the 10 MiB limit
    if declared:
        body: Any = chunk * chunks
    else:
        def stream() -> Iterator[bytes]:
            yield from (chunk for _ in range(chunks))

        body = stream()
    headers = {"Authorization": f"Bearer {deployment.tokens['feeder']}", "Content-Type": "application/json"}
    refused = httpx.post(f"{deployment.url}/api/v1/lineage", content=body, headers=headers, timeout=60)
    assert refused.status_code == 400
    assert "-byte limit" in refused.json()["error"] and refused.json()["error"].startswith("[invalid_arguments]")
    assert post_lineage(deployment, "feeder", [lineage_event("load_orders")]).status_code == 201


def test_posted_lineage_reaches_the_graph(deployment: Deployment) -> None:
    posted = post_lineage(deployment, "feeder", [lineage_event("load_orders")])
    assert posted.status_code == 201, posted.text
    assert posted.json()["accepted"] == 1 and posted.json()["committed"] is True
    [found] = mcp_calls(deployment, "ann", ("get_asset", {"ref": "shop.marts.orders_from_airflow"}))
    assert structured(found)["upstream"] != []




def test_the_openlineage_clients_http_transport_delivers_to_the_server(deployment: Deployment) -> None:
    """The real openlineage-python client, configured as a producer would configure it, posts to us."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import Dataset, Job, Run, RunEvent, RunState
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

    config = HttpConfig(
        url=deployment.url,
        auth=ApiKeyTokenProvider({"api_key": deployment.tokens["feeder"]}),
        retry={"total": 0},
    )
    client = OpenLineageClient(transport=HttpTransport(config))
    client.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2024-06-02T08:00:00Z",
            run=Run(runId=str(uuid.uuid4())),
            job=Job(namespace="airflow", name="load_refunds"),
            producer="https://example.test/producer",
            inputs=[Dataset(namespace="duckdb://shop", name="shop.staging.stg_orders")],
            outputs=[Dataset(namespace="duckdb://shop", name="shop.marts.refunds_from_airflow")],
        )
    )
    [found] = mcp_calls(deployment, "ann", ("get_asset", {"ref": "shop.marts.refunds_from_airflow"}))
    assert [u["name"] for u in structured(found)["upstream"]] == ["load_refunds"]
