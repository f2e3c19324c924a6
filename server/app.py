"""The MCP server: every contract tool registered with its schemas, description and annotations, plus the
resources and prompts; every call goes through governance."""

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

from mcp.server import MCPServer
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from pydantic import model_validator

from server.governed import PrincipalResolver, governed
from server.prompts import register_prompts
from server.resources import register_resources
from server.runtime import Runtime
from server.tools.registry import TOOL_SPECS, ToolSpec

SERVER_NAME = "datagraph"
INSTRUCTIONS = (
    "datagraph answers questions about a data estate from a knowledge graph of its warehouse tables, dbt "
    "models, columns, metrics, dashboards and jobs. Start with search_assets (or resolve_metric for a KPI), "
    "then get_asset, trace_lineage or impact_analysis with the ids it returns (an asset's card is also the "
    "resource datagraph://asset/{id}). Lists come in pages: pass next_cursor back as cursor for more. Before "
    "changing anything, run impact_analysis; to change a model, use propose_change (a human reviews it). "
    "Errors start with a code in brackets, e.g. [permission_denied], [not_found], [invalid_arguments]."
)


class RawArguments(ArgModelBase):
    """Hands the call's arguments to the governance wrapper untouched, so that a call is audited (and
    its permission checked) before its arguments are validated against the tool's input model."""

    arguments: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: Any) -> dict[str, Any]:
        return {"arguments": data if isinstance(data, dict) else {}}


def sdk_tool(spec: ToolSpec, runtime: Runtime, transport: str, resolve_principal: PrincipalResolver) -> Tool:
    """The SDK's tool registration: the advertised schema is the input model's, the handler is governed."""
    return Tool(
        fn=governed(spec, runtime, transport, resolve_principal),
        name=spec.name.value,
        title=spec.title,
        description=spec.description,
        parameters=spec.input_model.model_json_schema(),
        fn_metadata=FuncMetadata(arg_model=RawArguments, output_model=spec.output_model),
        is_async=True,
        annotations=spec.annotations,
    )


def build_mcp_server(
    runtime: Runtime,
    *,
    transport: str,
    resolve_principal: PrincipalResolver,
    specs: Sequence[ToolSpec] = TOOL_SPECS,
    token_verifier: TokenVerifier | None = None,
    auth: AuthSettings | None = None,
) -> MCPServer:
    mcp = MCPServer(
        name=SERVER_NAME,
        title="datagraph",
        instructions=INSTRUCTIONS,
        version=version("datagraph"),
        tools=[sdk_tool(spec, runtime, transport, resolve_principal) for spec in specs],
        token_verifier=token_verifier,
        auth=auth,
        log_level="WARNING",
    )
    register_resources(mcp, runtime, transport, resolve_principal)
    register_prompts(mcp, runtime, transport, resolve_principal)
    return mcp
