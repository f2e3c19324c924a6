"""The clauses of a scope that decide which rows it returns, and the named windows projections refer to."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, find_all_in_scope

from graph_schema.kinds import Transformation
from graph_schema.sql_lineage.leaves import Leaf, has_aggregate

if TYPE_CHECKING:
    from graph_schema.sql_lineage.resolve import Resolver

_CLAUSE_ROLES: tuple[tuple[str, Transformation], ...] = (
    ("where", Transformation.FILTER),
    ("having", Transformation.FILTER),
    ("qualify", Transformation.FILTER),
)


def _columns_of(node: exp.Expr | list[exp.Expr] | None) -> list[exp.Column]:
    nodes = node if isinstance(node, list) else [node] if node is not None else []
    return [c for n in nodes for c in find_all_in_scope(n, exp.Column)]


def named_window_columns(scope: Scope, window: exp.Window) -> list[exp.Column]:
    """Columns of the WINDOW clause entries `OVER w` refers to (an entry may build on another)."""
    select = scope.expression
    windows = select.args.get("windows") if isinstance(select, exp.Select) else None
    definitions = {w.this.name: w for w in windows or []}
    columns: list[exp.Column] = []
    name = window.alias
    while name in definitions:
        definition = definitions.pop(name)
        columns.extend(c for part in ("partition_by", "order") for c in _columns_of(definition.args.get(part)))
        name = definition.alias
    return columns


def clause_leaves(resolver: "Resolver", scope: Scope) -> Iterator[tuple[Transformation, Leaf]]:
    """Leaves of the columns that decide which rows `scope` returns, each with its role."""
    select = scope.expression
    if isinstance(select, exp.Except) and len(scope.set_operation_scopes) > 1:
        for output in resolver.outputs(scope.set_operation_scopes[1]):
            yield from ((Transformation.FILTER, leaf) for leaf in output.leaves)
    if not isinstance(select, exp.Select):
        return
    for arg, role in _CLAUSE_ROLES:
        clause = select.args.get(arg)
        if clause is not None:
            yield from ((role, leaf) for leaf in resolver.expression_leaves(scope, clause.this))
    for join in _joins(select):
        on = join.args.get("on")
        if on is not None:
            yield from ((Transformation.JOIN, leaf) for leaf in resolver.expression_leaves(scope, on))
        for identifier in join.args.get("using") or []:
            yield from ((Transformation.JOIN, leaf) for leaf in _using_leaves(resolver, scope, identifier.name))
    yield from ((Transformation.GROUP_BY, leaf) for leaf in _grouping_leaves(resolver, scope, select))


def _joins(select: exp.Select) -> list[exp.Join]:
    """The select's joins, and those nested in a parenthesised FROM like `FROM (a JOIN b ON ...)`."""
    joins: list[exp.Join] = list(select.args.get("joins") or [])
    from_ = select.args.get("from_")
    stack: list[exp.Expr] = [from_.this] if from_ is not None else []
    stack.extend(join.this for join in joins)
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Subquery) and not node.alias and not isinstance(node.this, exp.Query):
            stack.append(node.this)
        elif isinstance(node, (exp.Table, exp.Subquery)):
            nested = node.args.get("joins") or []
            joins.extend(nested)
            stack.extend(join.this for join in nested)
    return joins


def _using_leaves(resolver: "Resolver", scope: Scope, name: str) -> Iterator[Leaf]:
    """A JOIN ... USING sqlglot did not rewrite: the named column of every source that may hold it."""
    for alias, (_, source) in scope.selected_sources.items():
        if resolver.knows(source, name) is not False:
            yield from resolver.resolve_column(scope, exp.column(name, table=alias))


def _grouping_leaves(resolver: "Resolver", scope: Scope, select: exp.Select) -> Iterator[Leaf]:
    group = select.args.get("group")
    distinct = select.args.get("distinct")
    keys: list[exp.Expr] = []
    if group is not None:
        keys.extend(group.expressions)
        for arg in ("grouping_sets", "cube", "rollup"):
            keys.extend(group.args.get(arg) or [])
    if distinct is not None and isinstance(distinct.args.get("on"), exp.Tuple):
        keys.extend(distinct.args["on"].expressions)  # DISTINCT ON keeps one row per key, like GROUP BY
    outputs = resolver.outputs(scope)
    if group is not None and group.args.get("all"):
        for projection, output in zip(select.selects, outputs):
            if not has_aggregate(projection):
                yield from output.leaves
    for key in keys:
        # `GROUP BY 2` is left positional only when sqlglot could not qualify the query
        if isinstance(key, exp.Literal) and key.is_int:
            position = int(key.this) - 1
            if 0 <= position < len(outputs):
                yield from outputs[position].leaves
            continue
        yield from resolver.expression_leaves(scope, key)
