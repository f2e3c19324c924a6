"""MCP resources: a card per asset (`datagraph://asset/{id}`) and the graph's schema (`datagraph://schema`).

Both are read through the same governance as tools (capability `read_resources`), so a card shows what
get_asset would show the caller and nothing outside their scope.
"""

import json
from collections import Counter
from urllib.parse import quote

from mcp.server import MCPServer
from mcp.server.mcpserver.resources.templates import ResourceSecurity

from graph_schema.kinds import EdgeKind, NodeKind
from server.budget import fit_to_budget
from server.governed import PrincipalResolver
from server.governed_access import governed_access
from server.runtime import Runtime
from server.tools.context import ToolContext
from server.tools.get_asset import get_asset
from server.tools.names import Capability
from server.tools.schemas import AssetRef, GetAssetInput, GetAssetOutput

ASSET_URI_PREFIX = "datagraph://asset/"
# Reserved expansion: ids hold ':' and '/', which a client may send as they are.
ASSET_TEMPLATE = ASSET_URI_PREFIX + "{+id}"
SCHEMA_URI = "datagraph://schema"

EDGE_MEANINGS: dict[EdgeKind, str] = {
    EdgeKind.FEEDS: "data flows from source to target (datasets, jobs, semantic and BI objects)",
    EdgeKind.COLUMN_FEEDS: "a column's values flow into another column (with a transformation)",
    EdgeKind.COLUMN_SHAPES: "a column filters, joins or groups the rows of a dataset",
    EdgeKind.HAS_COLUMN: "a dataset has this column",
    EdgeKind.HAS_FIELD: "a semantic model, explore or BI view has this measure, dimension, entity or field",
    EdgeKind.CONTAINS: "a dashboard contains a chart, an explore a view",
    EdgeKind.TESTS: "a data test checks this asset or column",
    EdgeKind.MEMBER_OF: "an asset belongs to a group",
    EdgeKind.REPLACED_BY: "a deprecated asset is replaced by another",
}


def asset_uri(asset_id: str) -> str:
    """The card's URI; '#' (in column ids) and spaces are escaped, the rest of the id stays readable."""
    return ASSET_URI_PREFIX + quote(asset_id, safe=":/@!$&'()*+,;=.-_~")


def register_resources(mcp: MCPServer, runtime: Runtime, transport: str, resolve_principal: PrincipalResolver) -> None:
    # The id is looked up in the graph, never used as a path, so path-shaped ids ('dataset:file://...') are fine.
    @mcp.resource(
        ASSET_TEMPLATE,
        name="asset",
        title="Asset card",
        description=(
            "Everything get_asset returns about one asset, as a markdown card with links to its neighbours' "
            "cards. `id` is an asset id from search_assets (escape '#' as %23), or any ref get_asset accepts."
        ),
        mime_type="text/markdown",
        security=ResourceSecurity(exempt_params=frozenset({"id"})),
    )
    async def asset_card(id: str) -> str:
        def render(ctx: ToolContext) -> str:
            return render_card(get_asset(ctx, GetAssetInput(ref=id)), ctx.settings.token_budget)

        return await governed_access(
            runtime,
            transport,
            resolve_principal,
            kind="resource",
            name="asset",
            permission=Capability.READ_RESOURCES,
            arguments={"uri": ASSET_URI_PREFIX + id},
            work=render,
        )

    @mcp.resource(
        SCHEMA_URI,
        name="schema",
        title="Graph schema",
        description="The kinds of nodes and edges the graph holds, what each edge means, and how many there are.",
        mime_type="application/json",
    )
    async def graph_schema() -> str:
        return await governed_access(
            runtime,
            transport,
            resolve_principal,
            kind="resource",
            name="schema",
            permission=Capability.READ_RESOURCES,
            arguments={"uri": SCHEMA_URI},
            work=describe_schema,
        )


def describe_schema(ctx: ToolContext) -> str:
    """Node and edge kinds with counts; a caller with a restricted scope gets counts of what it may see."""
    store = ctx.graph
    run = store.current_run()
    if ctx.policy.sees_everything(ctx.principal):
        stats = store.stats()
        node_counts: dict[str, int] = stats.nodes_by_kind
        edge_counts: dict[str, int] | None = stats.edges_by_kind
    else:
        node_counts = dict(Counter(e.node.kind.value for e in ctx.asset_index().entries if ctx.visible(e.node)))
        edge_counts = None
    schema = {
        "snapshot": run.run_id if run else None,
        "node_kinds": [{"kind": k.value, "count": node_counts.get(k.value, 0)} for k in NodeKind],
        "edge_kinds": [
            {
                "kind": k.value,
                "meaning": EDGE_MEANINGS[k],
                "count": edge_counts.get(k.value, 0) if edge_counts is not None else None,
            }
            for k in EdgeKind
        ],
        "note": "edges point the way data flows: upstream = follow edges backwards"
        + ("" if edge_counts is not None else "; edge counts are withheld from a scoped role"),
    }
    return json.dumps(schema, indent=2)


def render_card(asset: GetAssetOutput, token_budget: int) -> str:
    data, note = fit_to_budget(asset.model_dump(mode="json"), token_budget)
    card = GetAssetOutput.model_validate(data)
    lines = [f"# {card.name} ({card.kind.value})", "", f"- id: `{card.id}`"]
    if card.qualified_name:
        lines.append(f"- qualified name: `{card.qualified_name}`")
    for label, values in (("owners", card.owners), ("tags", card.tags), ("sources", card.sources)):
        if values:
            lines.append(f"- {label}: {', '.join(values)}")
    if card.description:
        lines += ["", card.description]
    if card.columns:
        lines += ["", "## Columns", "", "| column | type | description | tags |", "|---|---|---|---|"]
        for c in card.columns:
            cells = (c.name, c.data_type or "", c.description.replace("\n", " "), ", ".join(c.tags))
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    for title, refs in (("Upstream", card.upstream), ("Downstream", card.downstream)):
        if refs:
            lines += ["", f"## {title}", ""] + [_ref_line(r) for r in refs]
    if card.tests:
        lines += ["", "## Tests", ""]
        for t in card.tests:
            where = f" on `{t.column}`" if t.column else ""
            detail = ", ".join(x for x in (t.test_type, f"last run: {t.status}" if t.status else None) if x)
            lines.append(f"- {t.name}{where}" + (f" ({detail})" if detail else "") + f" `{t.id}`")
    if card.sql:
        lines += ["", "## SQL", "", "```sql", card.sql, "```"]
    if note:
        lines += ["", f"_{note}_"]
    return "\n".join(lines) + "\n"


def _ref_line(ref: AssetRef) -> str:
    label = ref.qualified_name or ref.name
    return f"- [{label}]({asset_uri(ref.id)}) ({ref.kind.value})"
