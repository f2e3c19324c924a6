"""The real MCP client talks to the server over stdio (the server a subprocess): tools, answers, denials, audit."""

import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import TextContent

from graph_schema.config import Settings
from server.governance.audit import open_audit_log
from server.tools.names import ToolName

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)


def test_stdio_client_calls_tools_and_gets_denials(tmp_path: Path) -> None:
    home = tmp_path / "home"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "tests.server.stdio_entry"],
        env={"DATAGRAPH_HOME": str(home), "DATAGRAPH_PRINCIPAL": "ada", "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )

    async def session() -> None:
        async with Client(params) as client:
            listed = (await client.list_tools()).tools
            assert {t.name for t in listed} == {t.value for t in ToolName}
            by_name = {t.name: t for t in listed}
            search = by_name["search_assets"]
            assert search.output_schema is not None and "results" in search.output_schema["properties"]
            assert search.input_schema["properties"]["limit"]["default"] == 10
            assert search.annotations is not None and search.annotations.read_only_hint is True
            assert by_name["propose_change"].annotations.read_only_hint is False
            assert "Example:" in (search.description or "")

            answer = await client.call_tool("search_assets", {"query": "orders", "limit": 1})
            assert not answer.is_error
            assert answer.structured_content is not None
            assert answer.structured_content["results"][0]["name"] == "orders"
            assert answer.structured_content["results"][0]["description"] == "asked by ada as local"

            denied = await client.call_tool(
                "review_proposal", {"proposal_id": "p", "decision": "approve", "comment": "c"}
            )
            assert denied.is_error
            first = denied.content[0]
            assert isinstance(first, TextContent)
            assert first.text == "[permission_denied] role 'local' may not call 'review_proposal'"

    anyio.run(session)

    log = open_audit_log(Settings(home=home))
    entries = list(log.entries())
    assert log.verify().ok
    log.close()
    assert [(e.tool, e.principal, e.transport, e.decision) for e in entries] == [
        ("search_assets", "ada", "stdio", "allowed"),
        ("review_proposal", "ada", "stdio", "denied"),
    ]
