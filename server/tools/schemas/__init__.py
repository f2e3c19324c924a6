"""Input and output models of every tool, with descriptions written for the agent that reads them."""

from server.tools.schemas.assets import AssetHit, GetAssetInput, GetAssetOutput, SearchAssetsInput, SearchAssetsOutput
from server.tools.schemas.changes import (
    ChangeRecord,
    Proposal,
    ProposeChangeInput,
    ProposeChangeOutput,
    RecentChangesInput,
    RecentChangesOutput,
    ReviewProposalInput,
    ReviewProposalOutput,
    Validation,
)
from server.tools.schemas.common import AssetRef, ColumnInfo, TestInfo, ToolInput, ToolResult
from server.tools.schemas.governance import AuditLogInput, AuditLogOutput, RecordFeedbackInput, RecordFeedbackOutput
from server.tools.schemas.lineage import (
    ChangeSpec,
    ImpactedAsset,
    ImpactInput,
    ImpactOutput,
    ImpactReport,
    LineageEdge,
    LineageNode,
    TraceLineageInput,
    TraceLineageOutput,
)
from server.tools.schemas.metrics import MetricCandidate, MetricInfo, ResolveMetricInput, ResolveMetricOutput

__all__ = [
    "AssetHit",
    "AssetRef",
    "AuditLogInput",
    "AuditLogOutput",
    "ChangeRecord",
    "ChangeSpec",
    "ColumnInfo",
    "GetAssetInput",
    "GetAssetOutput",
    "ImpactInput",
    "ImpactOutput",
    "ImpactReport",
    "ImpactedAsset",
    "LineageEdge",
    "LineageNode",
    "MetricCandidate",
    "MetricInfo",
    "Proposal",
    "ProposeChangeInput",
    "ProposeChangeOutput",
    "RecentChangesInput",
    "RecentChangesOutput",
    "RecordFeedbackInput",
    "RecordFeedbackOutput",
    "ResolveMetricInput",
    "ResolveMetricOutput",
    "ReviewProposalInput",
    "ReviewProposalOutput",
    "SearchAssetsInput",
    "SearchAssetsOutput",
    "TestInfo",
    "ToolInput",
    "ToolResult",
    "TraceLineageInput",
    "TraceLineageOutput",
    "Validation",
]
