"""Calling a tool through the governance wrapper in-process, as the MCP app does."""

from typing import Any

import anyio
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

from server.governance.principal import Principal
from server.governed import governed
from server.runtime import Runtime
from server.tools.names import ToolName
from server.tools.registry import TOOL_SPECS

SPECS = {spec.name: spec for spec in TOOL_SPECS}
LOCAL = Principal(name="lu", role="local")


def call(runtime: Runtime, tool: ToolName, arguments: dict[str, Any], principal: Principal = LOCAL) -> Any:
    """The tool's answer as JSON, or the CallToolResult of a tool error."""
    result = anyio.run(governed(SPECS[tool], runtime, "stdio", lambda: principal), arguments)
    if isinstance(result, CallToolResult):
        return result
    assert isinstance(result, BaseModel)
    return result.model_dump(mode="json")


def error_text(result: Any) -> str:
    assert isinstance(result, CallToolResult) and result.is_error, f"expected a tool error, got {result!r}"
    content = result.content[0]
    assert isinstance(content, TextContent)
    return content.text


def text_of(result: CallToolResult) -> str:
    """The first text of an MCP client's CallToolResult."""
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured answer of a successful MCP client call; a tool error fails with its text."""
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content
