"""MCP prompts for the workflows people most often bring to the graph. A prompt only tells the agent which
tools to call in which order and what to report; the tools do the reading, under the caller's permissions."""

from typing import Annotated

from mcp.server import MCPServer
from pydantic import Field

from server.governed import PrincipalResolver
from server.governed_access import governed_access
from server.runtime import Runtime
from server.tools.context import ToolContext
from server.tools.names import Capability


def investigate_dashboard_regression(dashboard: str, symptom: str, since: str) -> str:
    return f"""A dashboard looks wrong. Find out why, using the datagraph tools, and report with evidence.

Dashboard: {dashboard}
Symptom: {symptom or "not described; ask the user what looks wrong if the evidence is not conclusive"}
Look for changes since: {since or "the last two weeks"}

1. Call search_assets with the dashboard's name (kinds: ["dashboard", "chart"]) and get_asset on the best hit to
   confirm it is the right one and see what it reads from.
2. Call trace_lineage on it with direction "upstream" to list every model, table and source it depends on.
   If the symptom names a number or field, trace that column with `column` to follow it to its origins.
3. Call recent_changes on the dashboard with scope "upstream" and since set to the date above: changed SQL,
   dropped or retyped columns and new sources upstream are the first suspects.
4. For each suspect, call get_asset and check its tests (failing or missing tests on the columns that feed the
   dashboard) and its owners.
5. Report: the most likely cause first, with the change, when it happened and the path from it to the
   dashboard; other candidates ranked; the owners to contact; and what you could not verify. Quote asset ids.
   Do not guess a cause the tools did not show; say what is missing instead."""


def add_metric(name: str, definition: str) -> str:
    return f"""Add a business metric without duplicating or contradicting an existing one.

Metric: {name}
Definition in the requester's words: {definition or "not given; ask for it before drafting anything"}

1. Call resolve_metric with the metric's name and with its definition. If a governed metric already answers it
   (status "resolved"), stop and show it: its definition, filters, grains and owners. If candidates are close
   ("ambiguous"), show how each differs from what is asked and ask the user before going on.
2. Call search_assets for the measures and entities the definition mentions (kinds: ["model", "semantic_model",
   "column"]) and get_asset on the best models to find the columns, their types, tests and owners.
3. Check the grain: trace_lineage upstream on the chosen model to make sure it is a mart built from governed
   sources, not a staging model or a one-off table.
4. Draft the metric as a dbt semantic-layer definition (semantic model measure plus metric with type,
   expression, filter, time grains and dimensions), naming the model and columns by their ids.
5. If a model must change to support it, run impact_analysis and then propose_change with the new SQL; never
   tell the user to edit a model by hand. Record synonyms the user used with record_feedback (kind "synonym")."""


def assess_change(ref: str, change: str) -> str:
    return f"""Assess a planned change before anyone makes it.

Asset: {ref}
Planned change: {change}

1. Call get_asset on the asset to confirm what it is, its columns, tests and owners.
2. Call impact_analysis with the change expressed as {{"type": ..., "column": ..., "new_name": ...,
   "new_type": ...}} (types: drop_column, rename_column, change_type, drop_asset, rename_asset, modify_logic).
   Page through `impacted` with next_cursor if the answer says there is more.
3. For the breaking items, call get_asset to see how they use the asset (their SQL) and whether tests guard
   them; for dashboards, say who looks at them (owners).
4. Report: a verdict (safe, safe with follow-ups, or breaking), the breaking assets with the path to each,
   those at risk, the tests that will catch problems and those missing, and the owners to notify.
5. If the user wants to go ahead and the asset is a model, offer propose_change with the new SQL so a
   reviewer sees the diff and the impact together."""


def register_prompts(mcp: MCPServer, runtime: Runtime, transport: str, resolve_principal: PrincipalResolver) -> None:
    async def governed(name: str, arguments: dict[str, str], text: str) -> str:
        def render(_: ToolContext) -> str:
            return text

        return await governed_access(
            runtime,
            transport,
            resolve_principal,
            kind="prompt",
            name=name,
            permission=Capability.USE_PROMPTS,
            arguments={"prompt": name, **arguments},
            work=render,
        )

    @mcp.prompt(
        name="investigate_dashboard_regression",
        title="Investigate a dashboard regression",
        description="Find why a dashboard's numbers changed or broke: upstream lineage, recent changes, tests, owners.",
    )
    async def investigate_prompt(
        dashboard: Annotated[str, Field(description="The dashboard's name or id.")],
        symptom: Annotated[str, Field(description="What looks wrong, in the user's words.")] = "",
        since: Annotated[str, Field(description="Look for changes since this date (ISO 8601).")] = "",
    ) -> str:
        arguments = {"dashboard": dashboard, "symptom": symptom, "since": since}
        return await governed(
            "investigate_dashboard_regression", arguments, investigate_dashboard_regression(dashboard, symptom, since)
        )

    @mcp.prompt(
        name="add_metric",
        title="Add a metric",
        description=(
            "Add a business metric: check the governed metrics first, find the right model and columns, draft it."
        ),
    )
    async def metric_prompt(
        name: Annotated[str, Field(description="The metric's name, e.g. 'net revenue'.")],
        definition: Annotated[str, Field(description="What it measures, in the requester's words.")] = "",
    ) -> str:
        return await governed("add_metric", {"name": name, "definition": definition}, add_metric(name, definition))

    @mcp.prompt(
        name="assess_change",
        title="Assess a change",
        description="Before changing an asset: downstream impact, breaking consumers, tests and owners to notify.",
    )
    async def change_prompt(
        ref: Annotated[str, Field(description="The asset to change: id, qualified name or unambiguous name.")],
        change: Annotated[str, Field(description="The planned change, e.g. 'drop column status'.")],
    ) -> str:
        return await governed("assess_change", {"ref": ref, "change": change}, assess_change(ref, change))
