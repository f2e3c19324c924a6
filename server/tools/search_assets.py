"""The search_assets tool."""

from server.tools.context import ToolContext
from server.tools.schemas import SearchAssetsInput, SearchAssetsOutput


def search_assets(ctx: ToolContext, args: SearchAssetsInput) -> SearchAssetsOutput:
    # Plan: store.find_by_name(args.query, kinds=args.kinds, limit=ctx.cap(args.limit)) (plus the vector index),
    #   keep ctx.visible_nodes(...).
    raise NotImplementedError("search_assets needs the GraphStore read API")
