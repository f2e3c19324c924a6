"""The impact_analysis tool."""

from graph_schema.kinds import NodeKind
from server.errors import InvalidArgumentsError, NotFoundError
from server.lineage.columns import dataset_id_of, resolve_column
from server.lineage.impact import ImpactRequest, analyse
from server.lineage.walk import DEFAULT_LIMIT
from server.tools.context import ToolContext
from server.tools.refs import resolve_ref
from server.tools.schemas import ImpactInput, ImpactOutput


def impact_analysis(ctx: ToolContext, args: ImpactInput) -> ImpactOutput:
    target = resolve_ref(ctx, args.ref)
    column = None
    if target.kind is NodeKind.COLUMN:
        column = target
        owner = dataset_id_of(target)
        dataset = ctx.graph.get(owner) if owner else None
        if dataset is None:
            raise NotFoundError(f"the dataset of column {target.id} is not in the graph")
        target = ctx.present(dataset)
    elif args.change.column is not None:
        column = resolve_column(ctx.graph, target, args.change.column)
        if not ctx.visible(column):
            raise NotFoundError(f"{args.ref} has no column {args.change.column!r} you may see")
    if column is not None and args.change.type in ("drop_asset", "rename_asset"):
        raise InvalidArgumentsError(f"{args.change.type} changes a whole asset; for one column use drop_column or rename_column")
    change = args.change if column is None else args.change.model_copy(update={"column": column.name})
    request = ImpactRequest(
        target=target, change=change, column=column, depth=args.depth, limit=ctx.cap(DEFAULT_LIMIT),
        visible=ctx.visible,
    )
    report = analyse(ctx.graph, request)
    # the report's own (validated) parts, not a dump of them to validate again
    return ImpactOutput(**dict(report))
