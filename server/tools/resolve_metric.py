"""The resolve_metric tool: the governed metric a business question means, with its full definition and SQL."""

from server.search.access import scope_key, search_service
from server.tools.context import ToolContext
from server.tools.schemas import ResolveMetricInput, ResolveMetricOutput


def resolve_metric(ctx: ToolContext, args: ResolveMetricInput) -> ResolveMetricOutput:
    with search_service(ctx) as service:
        return service.resolve_metric(
            ctx.graph,
            args.question,
            scope_key=scope_key(ctx),
            visible=ctx.visible,
            limit=ctx.cap(args.limit),
            grain=args.grain,
        )
