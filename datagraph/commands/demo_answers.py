"""The four worked answers `datagraph demo` prints, each a governed tool call on the ingested estate
(the same code an agent's MCP call runs), printed with the why: definition and source, path and
transformation, severity, reason and owners, run, time and diff."""

from datetime import datetime
from typing import Any

from rich.console import Console

from datagraph.commands.lineage import short_name
from datagraph.commands.query import call_tool
from graph_schema.config import Settings
from server.tools.names import ToolName

METRIC_QUESTION = "net revenue"
TRACED_MODEL = "dataset:duckdb://shop/shop.analytics.fct_orders"
TRACED_COLUMN = "net_amount"
REGRESSED_METRIC = "visit_to_purchase_conversion"
# what the impact answer lists by name; the rest it counts
NAMED_KINDS = ("dashboard", "metric", "exposure")
MOST_NAMED = 8


def print_answers(console: Console, settings: Settings, deployed_at: datetime) -> None:
    """The four answers; the regression is looked for in what changed since `deployed_at`."""
    def ask(tool: ToolName, arguments: dict[str, Any]) -> dict[str, Any]:
        return call_tool(settings, tool, arguments, None)

    _metric(console, ask(ToolName.RESOLVE_METRIC, {"question": METRIC_QUESTION, "limit": 3}))
    _trace(console, ask(ToolName.TRACE_LINEAGE, {"ref": TRACED_MODEL, "column": TRACED_COLUMN,
                                                 "direction": "upstream", "depth": 10}))
    _impact(console, ask(ToolName.IMPACT_ANALYSIS, {"ref": TRACED_MODEL, "depth": 10, "limit": 500,
                                                    "change": {"type": "drop_column", "column": TRACED_COLUMN}}))
    _changes(console, ask(ToolName.RECENT_CHANGES, {"ref": REGRESSED_METRIC, "since": deployed_at.isoformat()}))


def _heading(console: Console, number: int, question: str, command: str) -> None:
    console.print(f"\n[bold]Q{number}. {question}[/]", highlight=False)
    console.print(f"[dim]$ {command}[/]", highlight=False)


def _metric(console: Console, answer: dict[str, Any]) -> None:
    _heading(console, 1, f"Which governed metric answers {METRIC_QUESTION!r}?", f'datagraph metric "{METRIC_QUESTION}"')
    found = answer.get("metric")
    if not found:
        console.print(f"{answer['status']}: {answer.get('note') or 'no metric'}", highlight=False)
        return
    console.print(f"{answer['status']}: [cyan]{found['label'] or found['name']}[/] ({found['id']})", highlight=False)
    console.print(f"  why: {answer.get('note') or ''}", highlight=False)
    console.print(f"  definition: {found.get('description') or ''}", highlight=False)
    console.print(f"  computed as {found.get('expression') or found.get('aggregation')} from "
                  f"{', '.join(found.get('source_models') or []) or 'no recorded model'}"
                  f"; owners {', '.join(found.get('owners') or []) or 'none recorded'}"
                  f"; certified {found.get('certified')}", highlight=False)
    if found.get("sql"):
        sql = " ".join(found["sql"].split())
        console.print(f"  SQL ({found['sql_dialect']}, per {found['sql_grain']}): {sql}", highlight=False)


def _trace(console: Console, answer: dict[str, Any]) -> None:
    _heading(console, 2, f"Where does {TRACED_COLUMN} of fct_orders come from?",
             f"datagraph lineage {TRACED_MODEL} --column {TRACED_COLUMN} --depth 10")
    nodes = {n["id"]: n for n in answer["nodes"]}
    how = {e["target"]: e.get("transformation") or e["kind"] for e in answer["edges"]}
    for node in sorted(answer["nodes"], key=lambda n: -n["distance"]):
        if node["distance"] == 0:
            continue
        # on an upstream walk an edge's source is the column read, its target the one it makes
        made = [nodes[e["target"]] for e in answer["edges"] if e["source"] == node["id"] and e["target"] in nodes]
        into = ", ".join(f"{short_name(m)} ({how.get(m['id'], '')})" for m in made)
        console.print(f"  {-node['distance']} hop(s) up  [cyan]{short_name(node)}[/] → {into}", highlight=False)
    coverage = answer.get("coverage") or {}
    console.print(f"  coverage: {coverage.get('status', 'unknown')}", highlight=False)


def _impact(console: Console, answer: dict[str, Any]) -> None:
    _heading(console, 3, f"What breaks if {TRACED_COLUMN} is dropped from fct_orders?",
             f"datagraph impact {TRACED_MODEL} --change drop_column --column {TRACED_COLUMN}")
    summary = answer["summary"]
    by_kind: dict[str, int] = {}
    for item in answer["impacted"]:
        by_kind[item["kind"]] = by_kind.get(item["kind"], 0) + 1
    console.print(f"  {summary['breaking']} breaking, {summary['at_risk']} at risk: "
                  + ", ".join(f"{count} {kind}" for kind, count in sorted(by_kind.items(), key=lambda kv: -kv[1])),
                  highlight=False)
    named = [i for i in answer["impacted"] if i["kind"] in NAMED_KINDS]
    for item in named[:MOST_NAMED]:
        owners = ", ".join(item["owners"]) or "no owner recorded"
        console.print(f"  [red]{item['severity']}[/] {item['kind']} [cyan]{short_name(item)}[/] "
                      f"({item['distance']} hop(s)): {item['reason']} [dim]owners: {owners}[/]", highlight=False)
    if len(named) > MOST_NAMED:
        console.print(f"  … and {len(named) - MOST_NAMED} more dashboards, metrics and exposures", highlight=False)
    if answer["notify"]:
        console.print("  notify: " + ", ".join(answer["notify"]), highlight=False)


def _changes(console: Console, answer: dict[str, Any]) -> None:
    _heading(console, 4, f"{REGRESSED_METRIC} moved after the last deploy: what changed upstream?",
             f'recent_changes {{"ref": "{REGRESSED_METRIC}", "since": <the deploy>}}  (an MCP tool)')
    if not answer["changes"]:
        console.print("  no change recorded upstream", highlight=False)
    for change in answer["changes"]:
        console.print(f"  [yellow]{change['summary']}[/] ({change['distance']} hop(s) up)\n"
                      f"    run {change['run_id']} of {change['source']} at {change['at']}", highlight=False)
        for line in (change.get("diff") or "").splitlines():
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---")) and len(line) < 200:
                console.print(f"    {line}", highlight=False, markup=False)
