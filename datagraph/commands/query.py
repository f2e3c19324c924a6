"""`datagraph search|get …`: the MCP tools' answers for a person at a terminal.

Each command is one governed tool call (transport `cli`): the same policy, scope, masking and audit entry
as an agent's call, made as the local principal (--principal, DATAGRAPH_PRINCIPAL or the OS user).
"""

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datagraph.options import HomeOption, settings_for
from graph_schema.config import Settings
from graph_schema.errors import DatagraphError
from graph_schema.kinds import NodeKind
from server.tools.names import ToolName

PrincipalOption = Annotated[
    str | None, typer.Option("--principal", help="Call as this principal (default: DATAGRAPH_PRINCIPAL or OS user).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the tool's JSON answer.")]


class ToolFailedError(DatagraphError):
    """The tool answered with an error (denied, unknown ref, ...); the message is the tool's."""


def call_tool(settings: Settings, tool: ToolName, arguments: dict[str, Any], principal: str | None) -> dict[str, Any]:
    """One governed, audited call of `tool` as the local principal; its JSON answer, or ToolFailedError."""
    # The server stack loads only when a query runs, so that every other command starts fast.
    import anyio
    from mcp_types import CallToolResult, TextContent

    from graph_schema.store import open_store
    from server.governed import governed
    from server.runtime import build_runtime
    from server.tools.registry import TOOL_SPECS
    from server.governance.principal import local_principal_name

    spec = next(s for s in TOOL_SPECS if s.name is tool)
    with open_store(settings, read_only=True) as store:
        runtime = build_runtime(settings, store=store)
        try:
            caller = runtime.policy.local_principal(local_principal_name(principal))
            result = anyio.run(governed(spec, runtime, "cli", lambda: caller), arguments)
        finally:
            runtime.close()
    if isinstance(result, CallToolResult):
        texts = [c.text for c in result.content if isinstance(c, TextContent)]
        raise ToolFailedError(" ".join(texts) or f"{tool} failed")
    return result.model_dump(mode="json")


def answer_or_exit(
    settings: Settings, tool: ToolName, arguments: dict[str, Any], principal: str | None
) -> dict[str, Any]:
    """call_tool, with a tool error printed as one plain line (its `[code]` intact) and exit status 2
    (SystemExit: typer.Exit would become status 0 under the entry point's non-standalone click)."""
    try:
        return call_tool(settings, tool, arguments, principal)
    except ToolFailedError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


def search(
    query: Annotated[str, typer.Argument(help="Words to look for: a name, a business term, a question.")],
    kind: Annotated[list[NodeKind] | None, typer.Option("--kind", help="Only this kind (repeatable).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most results per page.", min=1, max=100)] = 10,
    cursor: Annotated[str | None, typer.Option("--cursor", help="next_cursor of a previous search.")] = None,
    as_json: JsonOption = False,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Find assets by name, qualified name or description (the search_assets tool)."""
    arguments: dict[str, Any] = {"query": query, "limit": limit}
    if kind:
        arguments["kinds"] = [k.value for k in kind]
    if cursor:
        arguments["cursor"] = cursor
    answer = answer_or_exit(settings_for(home), ToolName.SEARCH_ASSETS, arguments, principal)
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    console = Console()
    if not answer["results"]:
        console.print(f"nothing matches {query!r}")
        return
    table = Table("score", "kind", "asset", "id")
    for hit in answer["results"]:
        table.add_row(f"{hit['score']:.2f}", hit["kind"], hit["qualified_name"] or hit["name"], hit["id"])
    console.print(table)
    if answer.get("next_cursor"):
        console.print(f"more: --cursor {answer['next_cursor']}", highlight=False)


def get(
    ref: Annotated[str, typer.Argument(help="An asset id, qualified name or unambiguous short name.")],
    as_json: JsonOption = False,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Show one asset: columns, direct lineage, tests, sources and SQL (the get_asset tool)."""
    from server.resources import render_card
    from server.tools.schemas import GetAssetOutput

    settings = settings_for(home)
    answer = answer_or_exit(settings, ToolName.GET_ASSET, {"ref": ref}, principal)
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    typer.echo(render_card(GetAssetOutput.model_validate(answer), settings.token_budget), nl=False)
