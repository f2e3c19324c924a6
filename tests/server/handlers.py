"""Small tool handlers that stand in for graph-backed ones where a test is about governance, not answers."""

from graph_schema.kinds import NodeKind
from server.errors import NotFoundError
from server.tools.context import ToolContext
from server.tools.schemas import AssetHit, SearchAssetsInput, SearchAssetsOutput


def echo_search(ctx: ToolContext, args: SearchAssetsInput) -> SearchAssetsOutput:
    """One hit named after the query, so a test can see its arguments arrived validated."""
    hit = AssetHit(
        id="dataset:duckdb://shop/main.orders",
        kind=NodeKind.MODEL,
        name=args.query,
        qualified_name="main.orders",
        description=f"asked by {ctx.principal.name} as {ctx.principal.role}",
        score=1.0,
    )
    return SearchAssetsOutput(results=[hit] * min(args.limit, 3))


def huge_search(ctx: ToolContext, args: SearchAssetsInput) -> SearchAssetsOutput:
    hit = AssetHit(
        id="dataset:duckdb://shop/main.orders", kind=NodeKind.MODEL, name="o", description="d" * 400, score=1
    )
    return SearchAssetsOutput(results=[hit] * 5000)


def missing_search(ctx: ToolContext, args: SearchAssetsInput) -> SearchAssetsOutput:
    raise NotFoundError(f"no asset matches {args.query!r}; candidates: main.orders, main.customers")


def crashing_search(ctx: ToolContext, args: SearchAssetsInput) -> SearchAssetsOutput:
    raise RuntimeError("database password is hunter2")
