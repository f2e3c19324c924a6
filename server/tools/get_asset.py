"""The get_asset tool: one asset with its columns, direct lineage, tests, sources and SQL."""

from graph_schema.kinds import EdgeKind, NodeKind
from graph_schema.models import Node
from graph_schema.store import Direction
from server.tools.context import ToolContext
from server.tools.refs import asset_ref, resolve_ref
from server.tools.schemas import AssetRef, ColumnInfo, GetAssetInput, GetAssetOutput, TestInfo

# Where ingestors keep the SQL that builds an asset, best first.
SQL_PROPS = ("compiled_sql", "raw_sql", "sql", "view_definition")


def get_asset(ctx: ToolContext, args: GetAssetInput) -> GetAssetOutput:
    node = resolve_ref(ctx, args.ref)
    columns = _columns(ctx, node)
    # Columns have their own lineage edges; every other asset's direct lineage is FEEDS.
    lineage = [EdgeKind.COLUMN_FEEDS] if node.kind is NodeKind.COLUMN else [EdgeKind.FEEDS]
    return GetAssetOutput(
        id=node.id,
        kind=node.kind,
        name=node.name,
        qualified_name=node.qualified_name,
        description=node.description,
        owners=list(node.owners),
        tags=list(node.tags),
        columns=[_column_info(ctx, c) for c in columns],
        upstream=_neighbours(ctx, node.id, Direction.UPSTREAM, lineage),
        downstream=_neighbours(ctx, node.id, Direction.DOWNSTREAM, lineage),
        tests=_tests(ctx, node, columns),
        sources=list(ctx.graph.sources_of([node.id]).get(node.id, ())),
        sql=node_sql(node),
    )


def node_sql(node: Node) -> str | None:
    for key in SQL_PROPS:
        value = node.props.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _columns(ctx: ToolContext, node: Node) -> list[Node]:
    found = [n.node for n in ctx.graph.neighbours(node.id, Direction.DOWNSTREAM, [EdgeKind.HAS_COLUMN])]
    visible = [c for c in found if ctx.visible(c)]
    # Warehouse order where the catalog gave it, else the order the store returns (declaration order).
    return [c for _, c in sorted(enumerate(visible), key=lambda ic: (_position(ic[1]), ic[0]))]


def _position(column: Node) -> float:
    index = column.props.get("index")
    return float(index) if isinstance(index, int | float) and not isinstance(index, bool) else float("inf")


def _column_info(ctx: ToolContext, column: Node) -> ColumnInfo:
    data_type = column.props.get("data_type")
    info = ColumnInfo(
        name=column.name,
        data_type=str(data_type) if data_type not in (None, "") else None,
        description=column.description,
        tags=list(column.tags),
    )
    return ctx.present_column(info)


def _neighbours(ctx: ToolContext, node_id: str, direction: Direction, kinds: list[EdgeKind]) -> list[AssetRef]:
    found = {n.node.id: n.node for n in ctx.graph.neighbours(node_id, direction, kinds)}
    return [asset_ref(n) for _, n in sorted(found.items()) if ctx.visible(n)]


def _tests(ctx: ToolContext, node: Node, columns: list[Node]) -> list[TestInfo]:
    """Tests of the asset and of its (visible) columns, one edge upstream of each along TESTS."""
    column_names = {c.id: c.name for c in columns}
    reach = ctx.graph.traverse([node.id, *column_names], Direction.UPSTREAM, [EdgeKind.TESTS], max_depth=1)
    tested = {hit.id: hit.path[0] for hit in reach.reached if hit.kind is NodeKind.TEST}
    tests = ctx.graph.get_many(tested)
    out = [
        _test_info(test, column_names.get(tested[test_id]))
        for test_id, test in tests.items()
        if ctx.visible(test)
    ]
    return sorted(out, key=lambda t: (t.column or "", t.name, t.id))


def _test_info(test: Node, column: str | None) -> TestInfo:
    test_type = test.props.get("test_name") or test.props.get("test_type")
    last_run = test.props.get("last_run")
    status = last_run.get("status") if isinstance(last_run, dict) else None
    return TestInfo(
        id=test.id,
        name=test.name,
        column=column,
        test_type=str(test_type) if test_type else None,
        status=str(status) if status else None,
    )


