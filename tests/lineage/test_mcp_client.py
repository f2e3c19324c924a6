"""The three lineage tools through the real MCP SDK client, against `datagraph serve` over stdio on the
ingested shop project: structured answers, paging of impacted assets, tool errors."""

from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import TextContent

from graph_schema.store.embedded.store import EmbeddedStore
from ingestors.dbt.ingest import ingest_dbt_project
from tests.cli.serve_process import cli_command, cli_env
from tests.server.calls import structured

pytestmark = pytest.mark.timeout(180)


def test_lineage_tools_answer_an_mcp_client(shop_project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with EmbeddedStore(home / "graph") as store:
        ingest_dbt_project(shop_project, store, workers=1)
    params = StdioServerParameters(
        command=cli_command()[0],
        args=[*cli_command()[1:], "serve", "--transport", "stdio", "--home", str(home), "--principal", "ada"],
        env=cli_env(),
        cwd=tmp_path,
    )

    async def session() -> None:
        async with Client(params) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert "coverage" in (tools["trace_lineage"].output_schema or {}).get("properties", {})

            traced = structured(await client.call_tool(
                "trace_lineage",
                {"ref": "fct_daily_revenue", "column": "net_revenue", "depth": 2, "include_mermaid": True},
            ))
            assert [n["name"] for n in traced["nodes"]] == ["net_revenue", "net_amount", "net_amount"]
            assert traced["mermaid"].startswith("flowchart LR")
            assert traced["coverage"]["status"] == "complete"

            first = structured(await client.call_tool(
                "impact_analysis",
                {"ref": "stg_orders", "change": {"type": "drop_column", "column": "discount_amount"}, "limit": 25},
            ))
            assert first["summary"] == {"breaking": 40, "at_risk": 2}
            assert len(first["impacted"]) == 25 and first["next_cursor"]
            assert first["impacted"][0]["severity"] == "breaking" and first["impacted"][0]["path"][0].endswith(
                "#discount_amount")
            rest = structured(await client.call_tool(
                "impact_analysis",
                {"ref": "stg_orders", "change": {"type": "drop_column", "column": "discount_amount"}, "limit": 25,
                 "cursor": first["next_cursor"]},
            ))
            assert len(rest["impacted"]) == 17 and rest["next_cursor"] is None
            assert {i["name"] for i in rest["impacted"] if i["severity"] == "at_risk"} == {
                "customer_rfm_scores", "churn_prediction_notebook"}
            assert "finance-data@shop.example" in first["notify"]

            changes = structured(await client.call_tool("recent_changes", {"ref": "net_revenue_mtd"}))
            assert changes["changes"] == [] and changes["assets_watched"] > 5

            missing = await client.call_tool(
                "impact_analysis", {"ref": "stg_orders", "change": {"type": "drop_column", "column": "nope"}})
            assert missing.is_error
            text = missing.content[0]
            assert isinstance(text, TextContent) and text.text.startswith("[not_found] stg_orders has no column 'nope'")
            incomplete = await client.call_tool("impact_analysis", {"ref": "stg_orders", "change": {"type": "drop_column"}})
            assert incomplete.is_error

    anyio.run(session)
