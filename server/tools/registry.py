"""One ToolSpec per contract tool: its models, handler, description and MCP annotations."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp_types import ToolAnnotations
from pydantic import BaseModel

from server.tools import schemas as s
from server.tools.audit_log import audit_log
from server.tools.context import ToolContext
from server.tools.descriptions import DESCRIPTIONS, TITLES
from server.tools.get_asset import get_asset
from server.tools.impact_analysis import impact_analysis
from server.tools.names import READ_TOOLS, ToolName
from server.tools.propose_change import propose_change
from server.tools.recent_changes import recent_changes
from server.tools.record_feedback import record_feedback
from server.tools.resolve_metric import resolve_metric
from server.tools.review_proposal import review_proposal
from server.tools.search_assets import search_assets
from server.tools.trace_lineage import trace_lineage

Handler = Callable[[ToolContext, Any], BaseModel]


@dataclass(frozen=True)
class ToolSpec:
    name: ToolName
    input_model: type[s.ToolInput]
    output_model: type[s.ToolResult]
    handler: Handler
    # The output list the governance wrapper pages with the input's `limit` and `cursor`: the handler
    # returns the whole list in order (input a PagedInput, output a PagedResult).
    paged: str | None = None

    @property
    def title(self) -> str:
        return TITLES[self.name]

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.name]

    @property
    def annotations(self) -> ToolAnnotations:
        read_only = self.name in READ_TOOLS or self.name is ToolName.AUDIT_LOG
        # Writes only add proposals, reviews and feedback; nothing is deleted or overwritten.
        return ToolAnnotations(
            title=self.title,
            read_only_hint=read_only,
            destructive_hint=False,
            idempotent_hint=read_only,
            open_world_hint=False,
        )


TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(ToolName.SEARCH_ASSETS, s.SearchAssetsInput, s.SearchAssetsOutput, search_assets, paged="results"),
    ToolSpec(ToolName.GET_ASSET, s.GetAssetInput, s.GetAssetOutput, get_asset),
    ToolSpec(ToolName.RESOLVE_METRIC, s.ResolveMetricInput, s.ResolveMetricOutput, resolve_metric),
    ToolSpec(ToolName.TRACE_LINEAGE, s.TraceLineageInput, s.TraceLineageOutput, trace_lineage),
    ToolSpec(ToolName.IMPACT_ANALYSIS, s.ImpactInput, s.ImpactOutput, impact_analysis, paged="impacted"),
    ToolSpec(ToolName.PROPOSE_CHANGE, s.ProposeChangeInput, s.ProposeChangeOutput, propose_change),
    ToolSpec(ToolName.REVIEW_PROPOSAL, s.ReviewProposalInput, s.ReviewProposalOutput, review_proposal),
    ToolSpec(ToolName.RECENT_CHANGES, s.RecentChangesInput, s.RecentChangesOutput, recent_changes, paged="changes"),
    ToolSpec(ToolName.AUDIT_LOG, s.AuditLogInput, s.AuditLogOutput, audit_log),
    ToolSpec(ToolName.RECORD_FEEDBACK, s.RecordFeedbackInput, s.RecordFeedbackOutput, record_feedback),
)
