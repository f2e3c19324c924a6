"""The get_asset tool."""

from server.tools.context import ToolContext
from server.tools.schemas import GetAssetInput, GetAssetOutput


def get_asset(ctx: ToolContext, args: GetAssetInput) -> GetAssetOutput:
    # Plan: resolve args.ref, store.get + store.neighbours both ways; columns through ctx.present_column.
    raise NotImplementedError("get_asset needs the GraphStore read API")
