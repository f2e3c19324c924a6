"""The resolve_metric tool."""

from server.tools.context import ToolContext
from server.tools.schemas import ResolveMetricInput, ResolveMetricOutput


def resolve_metric(ctx: ToolContext, args: ResolveMetricInput) -> ResolveMetricOutput:
    # Plan: match args.question against metric nodes (names, labels, synonyms from feedback).
    raise NotImplementedError("resolve_metric needs the GraphStore read API")
