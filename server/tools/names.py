"""The names of what a principal may be allowed to call: the contract's MCP tools, the HTTP endpoints and
the MCP capabilities outside tools (resources, prompts)."""

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


class Capability(StrEnum):
    """MCP features other than tools that the policy governs like tools."""

    READ_RESOURCES = "read_resources"  # datagraph://asset/{id} cards and datagraph://schema
    USE_PROMPTS = "use_prompts"  # the workflow prompts


Permission = ToolName | EndpointName | Capability

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
    """A tool, endpoint or capability from its spelling; ValueError lists the known names."""
    for enum in (ToolName, EndpointName, Capability):
        try:
            return enum(text)
        except ValueError:
            continue
    known = ", ".join([*ToolName, *EndpointName, *Capability])
    raise ValueError(f"{text!r} is not a tool, endpoint or capability (known: {known})")
