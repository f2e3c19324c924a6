"""The trace_lineage tool."""

from server.tools.context import ToolContext
from server.tools.schemas import TraceLineageInput, TraceLineageOutput


def trace_lineage(ctx: ToolContext, args: TraceLineageInput) -> TraceLineageOutput:
    # Plan: store.traverse([root], args.direction, max_depth=args.depth); drop nodes not ctx.visible.
    raise NotImplementedError("trace_lineage needs the GraphStore read API")
