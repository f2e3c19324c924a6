"""trace_lineage and impact_analysis."""

from typing import Literal

from pydantic import BaseModel, Field

from graph_schema.kinds import EdgeKind, NodeKind
from server.tools.schemas.common import REF_DESCRIPTION, PagedInput, PagedResult, TestInfo, ToolInput, ToolResult


class TraceLineageInput(ToolInput):
    ref: str = Field(min_length=1, description=REF_DESCRIPTION)
    column: str | None = Field(
        default=None, description="Trace this column of the asset instead of the whole asset; nodes are then columns."
    )
    direction: Literal["upstream", "downstream", "both"] = Field(
        default="upstream",
        description="upstream: where the data comes from; downstream: what is built from it; both.",
    )
    depth: int = Field(default=5, ge=1, le=50, description="How many hops to follow.")
    edge_kinds: list[EdgeKind] | None = Field(
        default=None,
        description=(
            "Edge kinds to follow; default feeds, has_field and contains for an asset, column_feeds and feeds for "
            "a column. contains is followed from the part to its container (chart to dashboard)."
        ),
    )
    include_mermaid: bool = Field(default=False, description="Also return the trace as a Mermaid flowchart.")


class LineageNode(BaseModel):
    id: str
    kind: NodeKind
    name: str
    distance: int = Field(description="Hops from the root; negative upstream, positive downstream, 0 the root.")
    qualified_name: str = Field(default="", description="Fully qualified name (db.schema.table[.column]).")


class LineageEdge(BaseModel):
    source: str = Field(description="Upstream end (id).")
    target: str = Field(description="Downstream end (id).")
    kind: EdgeKind
    transformation: str | None = Field(
        default=None,
        description="For column edges: passthrough, renamed, derived, aggregated, window, filter, join, group_by.",
    )
    confidence: float | None = Field(
        default=None, description="How sure the SQL analysis is of this edge (1.0 resolved, lower guessed)."
    )
    expression: str | None = Field(default=None, description="The SQL expression that transforms the column.")


class IncompleteLineage(BaseModel):
    id: str
    name: str
    status: Literal["partial", "unknown"]
    reason: str = Field(default="", description="Why its column lineage is short of complete.")


class LineageCoverage(BaseModel):
    status: Literal["complete", "partial", "unknown"] = Field(
        description=(
            "complete: every model on the way has traced column lineage; partial: some do not (listed in "
            "incomplete), so columns may be missing; unknown: the root itself has no column lineage."
        )
    )
    incomplete: list[IncompleteLineage] = Field(
        default_factory=list, description="Models on the way whose SQL was not (fully) analysed."
    )


class RowShaping(BaseModel):
    """A column that decides which rows a dataset on the way has (WHERE, JOIN key, GROUP BY)."""

    column: str = Field(description="Id of the column that filters, joins or groups.")
    dataset: str = Field(description="Id of the dataset whose rows it shapes.")
    role: Literal["filter", "join", "group_by"]
    distance: int = Field(description="Hops from the root, signed like node distances.")


class TraceLineageOutput(ToolResult):
    root: str = Field(description="Id of the asset or column traced from.")
    nodes: list[LineageNode] = Field(default_factory=list)
    edges: list[LineageEdge] = Field(default_factory=list)
    grain: Literal["dataset", "column"] = Field(default="dataset", description="column when a column was traced.")
    direction: Literal["upstream", "downstream", "both"] = "upstream"
    depth: int = 5
    coverage: LineageCoverage | None = Field(default=None, description="How complete the column lineage on the way is.")
    row_shaping: list[RowShaping] = Field(
        default_factory=list, description="Column traces: columns that filter, join or group datasets on the way."
    )
    notes: list[str] = Field(default_factory=list, description="What the answer leaves out and why (e.g. no path).")
    mermaid: str | None = Field(default=None, description="The trace as a Mermaid flowchart, when asked for.")


ChangeType = Literal["drop_column", "rename_column", "change_type", "drop_asset", "rename_asset", "modify_logic"]


class ChangeSpec(BaseModel):
    type: ChangeType = Field(description="The kind of change planned.")
    column: str | None = Field(default=None, description="The column concerned (column changes).")
    new_name: str | None = Field(default=None, description="The new name (rename_column, rename_asset).")
    new_type: str | None = Field(default=None, description="The new data type (change_type).")


class ImpactInput(PagedInput):
    ref: str = Field(min_length=1, description=REF_DESCRIPTION)
    change: ChangeSpec = Field(description="The planned change, e.g. {'type': 'drop_column', 'column': 'status'}.")
    depth: int = Field(default=10, ge=1, le=50, description="How many hops downstream to follow.")
    limit: int = Field(default=100, ge=1, le=1000, description="Most impacted assets per page (summary counts all).")


class ImpactSummary(BaseModel):
    breaking: int = Field(description="Assets that will fail or be wrong after the change.")
    at_risk: int = Field(description="Assets that may be affected and should be checked.")


class ImpactedAsset(BaseModel):
    id: str
    kind: NodeKind
    name: str
    distance: int = Field(description="Hops downstream from the changed asset.")
    severity: Literal["breaking", "at_risk"]
    reason: str = Field(description="Why it is affected (e.g. 'selects orders.status').")
    path: list[str] = Field(default_factory=list, description="Ids from the changed asset to this one.")
    owners: list[str] = Field(default_factory=list)
    qualified_name: str = Field(default="", description="Fully qualified name (db.schema.table[.column]).")
    action: str | None = Field(default=None, description="What to change in it, when that is known (renames).")


class ImpactReport(BaseModel):
    target: str = Field(description="Id of the asset (or column) that changes.")
    change: ChangeSpec
    summary: ImpactSummary
    impacted: list[ImpactedAsset] = Field(default_factory=list, description="Breaking first, then by distance.")
    notify: list[str] = Field(default_factory=list, description="Owners to tell before the change.")
    tests: list[TestInfo] = Field(default_factory=list, description="Tests that guard the impacted assets.")
    coverage: LineageCoverage | None = Field(
        default=None, description="How complete the column lineage downstream is; partial means at_risk guesses."
    )
    notes: list[str] = Field(default_factory=list, description="How the severities were decided, and any caveats.")


class ImpactOutput(ImpactReport, PagedResult):
    pass
