"""The recent_changes tool."""

from server.lineage.history import HistoryRequest, recent_changes as history
from server.tools.context import ToolContext
from server.tools.refs import resolve_ref
from server.tools.schemas import RecentChangesInput, RecentChangesOutput


def recent_changes(ctx: ToolContext, args: RecentChangesInput) -> RecentChangesOutput:
    root = resolve_ref(ctx, args.ref)
    request = HistoryRequest(
        root=root, scope=args.scope, since=args.since, depth=args.depth, visible=ctx.visible, present=ctx.present
    )
    return history(ctx.graph, request)
