"""trace_lineage and impact_analysis."""

from typing import Literal

from pydantic import BaseModel, Field

from graph_schema.kinds import EdgeKind, NodeKind
from server.tools.schemas.common import REF_DESCRIPTION, TestInfo, ToolInput, ToolResult


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


class LineageNode(BaseModel):
    id: str
    kind: NodeKind
    name: str
    distance: int = Field(description="Hops from the root; negative upstream, positive downstream, 0 the root.")


class LineageEdge(BaseModel):
    source: str = Field(description="Upstream end (id).")
    target: str = Field(description="Downstream end (id).")
    kind: EdgeKind
    transformation: str | None = Field(
        default=None,
        description="For column edges: passthrough, renamed, derived, aggregated, window, filter, join, group_by.",
    )


class TraceLineageOutput(ToolResult):
    root: str = Field(description="Id of the asset or column traced from.")
    nodes: list[LineageNode] = Field(default_factory=list)
    edges: list[LineageEdge] = Field(default_factory=list)


ChangeType = Literal["drop_column", "rename_column", "change_type", "drop_asset", "rename_asset", "modify_logic"]


class ChangeSpec(BaseModel):
    type: ChangeType = Field(description="The kind of change planned.")
    column: str | None = Field(default=None, description="The column concerned (column changes).")
    new_name: str | None = Field(default=None, description="The new name (rename_column, rename_asset).")
    new_type: str | None = Field(default=None, description="The new data type (change_type).")


class ImpactInput(ToolInput):
    ref: str = Field(min_length=1, description=REF_DESCRIPTION)
    change: ChangeSpec = Field(description="The planned change, e.g. {'type': 'drop_column', 'column': 'status'}.")
    depth: int = Field(default=10, ge=1, le=50, description="How many hops downstream to follow.")


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


class ImpactReport(BaseModel):
    target: str = Field(description="Id of the asset (or column) that changes.")
    change: ChangeSpec
    summary: ImpactSummary
    impacted: list[ImpactedAsset] = Field(default_factory=list, description="Breaking first, then by distance.")
    notify: list[str] = Field(default_factory=list, description="Owners to tell before the change.")
    tests: list[TestInfo] = Field(default_factory=list, description="Tests that guard the impacted assets.")


class ImpactOutput(ImpactReport, ToolResult):
    pass
