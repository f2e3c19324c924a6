"""Qualify a query once: fold identifiers per dialect, qualify tables, then columns as far as sqlglot can.

sqlglot refuses to qualify the columns of a subquery or lateral when a source's columns are unknown: it
cannot tell a local column from a correlated one. Then an unqualified column of a scope that reads one
source of unknown columns is given that source, which is what such SQL means in practice, and sqlglot is
asked again. If it still refuses, the query goes on with its tables qualified only and the resolver works
the columns out itself.
"""

from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify_columns import qualify_columns
from sqlglot.optimizer.qualify_tables import qualify_tables
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

# How sqlglot declines to qualify columns: an OptimizeError, or a failed `assert_is` on an odd tree.
_REFUSALS = (OptimizeError, AssertionError)

# Marks a column written in the SQL, as opposed to one sqlglot made while expanding USING or a star.
WRITTEN_MARK = "datagraph_written"


def qualify_query(
    make_query: Callable[[], exp.Query],
    dialect: Dialect,
    schema: MappingSchema,
    catalog: str | None,
    db: str | None,
) -> exp.Query:
    """The query with tables qualified, and columns too unless sqlglot refuses.

    `make_query` gives a fresh copy of the query each call: a refused attempt leaves its tree half-rewritten.
    """
    try:
        return qualify_columns(_tables_qualified(make_query(), dialect, catalog, db), schema, dialect=dialect)
    except _REFUSALS:
        pass
    tree = _tables_qualified(make_query(), dialect, catalog, db)
    _qualify_lone_sources(tree, schema)
    for expand_alias_refs in (True, False):
        try:
            return qualify_columns(tree.copy(), schema, expand_alias_refs=expand_alias_refs, dialect=dialect)
        except _REFUSALS:
            continue
    return tree


def _tables_qualified(query: exp.Query, dialect: Dialect, catalog: str | None, db: str | None) -> exp.Query:
    for column in query.find_all(exp.Column):
        column.meta[WRITTEN_MARK] = True
    tree = normalize_identifiers(query, dialect=dialect)
    return qualify_tables(tree, db=db, catalog=catalog, dialect=dialect)


def qualify_table(table: exp.Table, dialect: Dialect, catalog: str | None, db: str | None) -> exp.Table:
    """A statement target folded and completed with the default catalog/db, like the tables it reads."""
    wrapper = exp.select("*").from_(table.copy())
    wrapper = qualify_tables(normalize_identifiers(wrapper, dialect=dialect), db=db, catalog=catalog, dialect=dialect)
    return wrapper.args["from_"].this


def _columns_unknown(source: exp.Table | Scope, schema: MappingSchema) -> bool:
    if isinstance(source, exp.Table):
        return bool(source.name) and not schema.column_names(source)
    expression = source.expression
    return isinstance(expression, exp.Select) and any(s.is_star for s in expression.selects)


def _qualify_lone_sources(tree: exp.Expr, schema: MappingSchema) -> None:
    for scope in traverse_scope(tree):
        expression = scope.expression
        if not isinstance(expression, exp.Select) or len(scope.selected_sources) != 1:
            continue
        (name, (_, source)), = scope.selected_sources.items()
        if not _columns_unknown(source, schema):
            continue
        aliases = {s.alias: s for s in expression.selects if isinstance(s, exp.Alias)}
        for column in scope.unqualified_columns:
            owner = aliases.get(column.name)
            if owner is not None and column.find_ancestor(exp.Alias) is not owner:
                continue  # a reference to a projection alias, not to the source
            column.set("table", exp.to_identifier(name))


def fold_defaults(dialect: Dialect, catalog: str | None, db: str | None) -> tuple[str | None, str | None]:
    """Default catalog and db folded the way `dialect` folds those parts of a table name written unquoted."""
    if not catalog and not db:
        return catalog, db
    probe = exp.select("*").from_(exp.table_("probe", db=db or "probe", catalog=catalog))
    table = normalize_identifiers(probe, dialect=dialect).args["from_"].this
    return (table.catalog or None) if catalog else None, (table.db or None) if db else None
