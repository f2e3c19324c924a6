"""The recent_changes tool."""

from server.tools.context import ToolContext
from server.tools.schemas import RecentChangesInput, RecentChangesOutput


def recent_changes(ctx: ToolContext, args: RecentChangesInput) -> RecentChangesOutput:
    # Plan: store.changes(...) for the asset (and its upstream when args.scope is upstream), since args.since.
    raise NotImplementedError("recent_changes needs the GraphStore read API")
