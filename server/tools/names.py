"""The names of what a principal may be allowed to call: the contract's MCP tools and the HTTP endpoints."""

from enum import StrEnum


class ToolName(StrEnum):
    SEARCH_ASSETS = "search_assets"
    GET_ASSET = "get_asset"
    RESOLVE_METRIC = "resolve_metric"
    TRACE_LINEAGE = "trace_lineage"
    IMPACT_ANALYSIS = "impact_analysis"
    PROPOSE_CHANGE = "propose_change"
    REVIEW_PROPOSAL = "review_proposal"
    RECENT_CHANGES = "recent_changes"
    AUDIT_LOG = "audit_log"
    RECORD_FEEDBACK = "record_feedback"


class EndpointName(StrEnum):
    """HTTP endpoints outside MCP that the policy governs like tools."""

    INGEST_LINEAGE = "ingest_lineage"  # POST /api/v1/lineage (OpenLineage run events)


Permission = ToolName | EndpointName

READ_TOOLS: frozenset[ToolName] = frozenset(
    {
        ToolName.SEARCH_ASSETS,
        ToolName.GET_ASSET,
        ToolName.RESOLVE_METRIC,
        ToolName.TRACE_LINEAGE,
        ToolName.IMPACT_ANALYSIS,
        ToolName.RECENT_CHANGES,
    }
)


def parse_permission(text: str) -> Permission:
    """A tool or endpoint name from its spelling; ValueError lists the known names."""
    for enum in (ToolName, EndpointName):
        try:
            return enum(text)
        except ValueError:
            continue
    known = ", ".join([*ToolName, *EndpointName])
    raise ValueError(f"{text!r} is not a tool or endpoint (known: {known})")
