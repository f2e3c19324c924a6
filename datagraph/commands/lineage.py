"""`datagraph lineage|impact …`: trace_lineage and impact_analysis for a person at a terminal.

Each command is one governed tool call as the local principal, like `datagraph search`: same answers,
same scope and masking, one audit entry.
"""

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datagraph.commands.query import JsonOption, PrincipalOption, answer_or_exit
from datagraph.options import HomeOption, settings_for
from graph_schema.kinds import EdgeKind
from server.tools.names import ToolName

MAX_PAGE = 1000


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    MERMAID = "mermaid"


class ImpactFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class DirectionChoice(StrEnum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


class ChangeChoice(StrEnum):
    DROP_COLUMN = "drop_column"
    RENAME_COLUMN = "rename_column"
    CHANGE_TYPE = "change_type"
    DROP_ASSET = "drop_asset"
    RENAME_ASSET = "rename_asset"
    MODIFY_LOGIC = "modify_logic"


RefArgument = Annotated[str, typer.Argument(help="An asset id, qualified name or unambiguous short name.")]


def lineage(
    ref: RefArgument,
    column: Annotated[str | None, typer.Option("--column", help="Trace this column of the asset.")] = None,
    direction: Annotated[DirectionChoice, typer.Option("--direction", help="Which way to trace.")] = (
        DirectionChoice.UPSTREAM
    ),
    depth: Annotated[int, typer.Option("--depth", help="How many hops to follow.", min=1, max=50)] = 5,
    edge_kind: Annotated[
        list[EdgeKind] | None, typer.Option("--edge-kind", help="Follow only this edge kind (repeatable).")
    ] = None,
    output: Annotated[Format, typer.Option("--format", help="table, json or a Mermaid flowchart.")] = Format.TABLE,
    as_json: JsonOption = False,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Where an asset's or a column's data comes from, or where it goes (the trace_lineage tool)."""
    arguments: dict[str, Any] = {"ref": ref, "direction": direction.value, "depth": depth}
    if column:
        arguments["column"] = column
    if edge_kind:
        arguments["edge_kinds"] = [k.value for k in edge_kind]
    if output is Format.MERMAID:
        arguments["include_mermaid"] = True
    answer = answer_or_exit(settings_for(home), ToolName.TRACE_LINEAGE, arguments, principal)
    if as_json or output is Format.JSON:
        typer.echo(json.dumps(answer, indent=2))
        return
    if output is Format.MERMAID:
        typer.echo(answer.get("mermaid") or "", nl=False)
        return
    _print_trace(answer)


def impact(
    ref: RefArgument,
    change: Annotated[ChangeChoice, typer.Option("--change", help="The planned change.")],
    column: Annotated[str | None, typer.Option("--column", help="The column that changes.")] = None,
    new_name: Annotated[str | None, typer.Option("--new-name", help="New name (renames).")] = None,
    new_type: Annotated[str | None, typer.Option("--new-type", help="New data type (change_type).")] = None,
    depth: Annotated[int, typer.Option("--depth", help="How many hops downstream.", min=1, max=50)] = 10,
    output: Annotated[ImpactFormat, typer.Option("--format", help="table or json.")] = ImpactFormat.TABLE,
    as_json: JsonOption = False,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """What a planned change breaks or puts at risk downstream (the impact_analysis tool)."""
    spec: dict[str, Any] = {"type": change.value}
    for key, value in (("column", column), ("new_name", new_name), ("new_type", new_type)):
        if value:
            spec[key] = value
    arguments = {"ref": ref, "change": spec, "depth": depth, "limit": MAX_PAGE}
    answer = answer_or_exit(settings_for(home), ToolName.IMPACT_ANALYSIS, arguments, principal)
    if as_json or output is ImpactFormat.JSON:
        typer.echo(json.dumps(answer, indent=2))
        return
    _print_impact(answer)


def short_name(item: dict[str, Any]) -> str:
    """`table.column` for a column, the qualified name (or name) for anything else."""
    qualified = item.get("qualified_name") or ""
    if item.get("kind") == "column" and qualified.count(".") >= 1:
        return ".".join(qualified.split(".")[-2:])
    return qualified or item["name"]


def _print_trace(answer: dict[str, Any]) -> None:
    console = Console()
    nodes = {n["id"]: n for n in answer["nodes"]}
    reached_by: dict[str, dict[str, Any]] = {}
    for edge in answer["edges"]:
        # an edge reaches its downstream end on a downstream walk, its upstream end on an upstream walk
        end = edge["target"] if nodes.get(edge["target"], {}).get("distance", 0) > 0 else edge["source"]
        reached_by.setdefault(end, edge)
    table = Table("hops", "kind", "asset", "via", title=f"{answer['grain']} lineage of {answer['root']}")
    for node in answer["nodes"]:
        edge = reached_by.get(node["id"]) if node["distance"] else None
        how = (edge.get("transformation") or edge["kind"]) if edge else ""
        table.add_row(str(node["distance"]), node["kind"], short_name(node), how)
    console.print(table)
    for shaping in answer.get("row_shaping", []):
        dataset = shaping["dataset"].rsplit(".", 1)[-1]
        column = shaping["column"].rsplit("/", 1)[-1].split(".")[-1].replace("#", ".")
        console.print(f"rows of {dataset}: {shaping['role']} on {column}", highlight=False)
    coverage = answer.get("coverage")
    if coverage:
        missing = ", ".join(f"{c['name']} ({c['status']}: {c['reason']})" for c in coverage["incomplete"])
        console.print(f"coverage: {coverage['status']}" + (f" - {missing}" if missing else ""), highlight=False)
    for note in answer.get("notes", []):
        console.print(f"note: {note}", highlight=False)


def _print_impact(answer: dict[str, Any]) -> None:
    console = Console()
    summary = answer["summary"]
    table = Table("severity", "hops", "asset", "reason", "owners",
                  title=f"{answer['change']['type']} on {answer['target']}: "
                        f"{summary['breaking']} breaking, {summary['at_risk']} at risk")
    for item in answer["impacted"]:
        reason = item["reason"] + (f"\n→ {item['action']}" if item.get("action") else "")
        table.add_row(item["severity"], str(item["distance"]), f"{item['kind']} {short_name(item)}", reason,
                      ", ".join(item["owners"]))
    console.print(table)
    if answer.get("next_cursor"):
        console.print("more impacted assets than shown: use --format json with the tool's cursor", highlight=False)
    if answer["notify"]:
        console.print("notify: " + ", ".join(answer["notify"]), highlight=False)
    if answer["tests"]:
        console.print("tests to re-run: " + ", ".join(t["name"] for t in answer["tests"]), highlight=False)
    coverage = answer.get("coverage")
    if coverage and coverage["incomplete"]:
        console.print("lineage unknown for: " + ", ".join(c["name"] for c in coverage["incomplete"]), highlight=False)
    for note in answer.get("notes", []):
        console.print(f"note: {note}", highlight=False)
