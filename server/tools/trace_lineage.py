"""The trace_lineage tool."""

from graph_schema.store import Direction
from server.errors import NotFoundError
from server.lineage.columns import resolve_column
from server.lineage.trace import TraceRequest, trace
from server.tools.context import ToolContext
from server.tools.refs import resolve_ref
from server.tools.schemas import TraceLineageInput, TraceLineageOutput
from server.lineage.walk import DEFAULT_LIMIT


def trace_lineage(ctx: ToolContext, args: TraceLineageInput) -> TraceLineageOutput:
    root = resolve_ref(ctx, args.ref)
    if args.column is not None:
        root = resolve_column(ctx.graph, root, args.column)
        if not ctx.visible(root):
            raise NotFoundError(f"{args.ref} has no column {args.column!r} you may see")
    request = TraceRequest(
        root=root,
        direction=Direction(args.direction),
        depth=args.depth,
        edge_kinds=args.edge_kinds,
        include_mermaid=args.include_mermaid,
        limit=ctx.cap(DEFAULT_LIMIT),
        visible=ctx.visible,
    )
    return trace(ctx.graph, request)
