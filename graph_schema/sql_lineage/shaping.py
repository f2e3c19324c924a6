"""Columns that decide which rows a query returns, and the tables it reads, over the scopes it uses."""

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from graph_schema.kinds import Transformation
from graph_schema.sql_lineage.clauses import clause_leaves
from graph_schema.sql_lineage.leaves import table_name
from graph_schema.sql_lineage.resolve import Resolver
from graph_schema.sql_lineage.statements import TARGET_MARK


def used_scopes(resolver: Resolver, root: Scope) -> list[Scope]:
    """The scopes the result depends on: CTEs that are never referenced are left out."""
    seen: set[int] = set()
    order: list[Scope] = []
    stack = [resolver.real(root)]
    while stack:
        scope = stack.pop()
        if id(scope) in seen:
            continue
        seen.add(id(scope))
        order.append(scope)
        children: list[Scope] = [src for _, src in scope.selected_sources.values() if isinstance(src, Scope)]
        children += scope.table_scopes + scope.udtf_scopes + scope.subquery_scopes + scope.set_operation_scopes
        stack.extend(resolver.real(child) for child in reversed(children))
    return order


def read_tables(scopes: list[Scope]) -> list[str]:
    names: set[str] = set()
    for scope in scopes:
        for _, source in scope.selected_sources.values():
            if isinstance(source, exp.Table) and not source.meta.get(TARGET_MARK) and source.name:
                names.add(table_name(source))
    return sorted(names)


def row_shaping(resolver: Resolver, scopes: list[Scope]) -> list[tuple[str, str, Transformation, float]]:
    """(table, column, role, confidence) of every column that filters, joins or groups a used scope."""
    found: dict[tuple[str, str, Transformation], float] = {}
    for scope in scopes:
        for role, leaf in clause_leaves(resolver, scope):
            key = (leaf.table, leaf.column, role)
            found[key] = max(found.get(key, 0.0), leaf.confidence)
    return sorted((t, c, r, conf) for (t, c, r), conf in found.items())
